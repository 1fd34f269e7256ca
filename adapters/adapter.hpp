#pragma once
// The provider adapter seam: everything provider-specific about the wire. Pure functions of their
// inputs (no sockets, no clock), so they are tested on recorded bodies.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/errc.hpp"
#include "core/http.hpp"
#include "statemachines/domain.hpp"
#include "core/result.hpp"

namespace corridor {

// A provider's configuration section, flattened to strings (providers.<name>.* in corridor.yaml),
// after ${ENV} interpolation. Lists are comma-joined.
using ProviderSettings = std::map<std::string, std::string, std::less<>>;

struct ConfigKey {
  std::string_view name;
  bool required;
  std::string_view fallback;  // default when not required
  std::string_view doc;
};

// What the flow will see: an input name and its data, for a known transaction.
struct ParsedInput {
  std::string txn_id;
  std::string name;       // "session.created", "payin.confirmed", ...
  json::object data;
  std::string dedupe_id;  // webhooks: a stable id of the notification (provider event id, or a body hash)
  // Webhooks: an authenticated, well-formed notification of a type corridor does not act on. It is
  // acknowledged (2xx, so the provider stops redelivering), kept (on corridor.inputs when its
  // transaction is known, where its flow records it as an input with no row; else as a dead letter)
  // and ignored. `name` is the provider's event type; `txn_id` may be empty.
  bool unhandled = false;
};

// What a provider accepts, declared by its adapter: the router rejects a command that breaks it
// before a transaction exists, instead of the adapter refusing the call later.
struct ProviderConstraints {
  std::vector<std::string_view> currencies;  // ISO 4217 codes; empty: any currency corridor knows
  bool whole_units = false;                  // amounts must be whole major units (no cents)
  // Digits of a card number, for providers that take cards (0: no card number checks).
  std::size_t card_digits_min = 0;
  std::size_t card_digits_max = 0;

  // Empty when `amount` is acceptable, else why not.
  std::string check_amount(const Money& amount) const;
  // Empty when `digits` (a card number, digits only) is acceptable, else why not.
  std::string check_card_number(std::string_view digits) const;
};

class ProviderAdapter {
 public:
  virtual ~ProviderAdapter() = default;
  virtual std::string_view provider() const = 0;

  // The HTTP request of a provider call; its target is an absolute URL under the configured base.
  virtual Result<HttpRequest> build_request(const ProviderCall& call) const = 0;

  // The provider's answer as the flow's input (txn_id is the call's transaction). A retryable error
  // (5xx, 429) makes the executor try again with backoff; a non-retryable error becomes a
  // `call.failed` input carrying its message.
  virtual Result<ParsedInput> parse_response(const ProviderCall& call, const HttpResponse& response) const = 0;

  // Authenticates a webhook or callback (signature, token, source address) and parses it. The
  // ingress routes both `POST /webhooks/{provider}` and `GET|POST /callbacks/{provider}/...` here, with
  // the request's target (path and query) and remote_address intact. An error is answered with its
  // http_status (400 when 0) and dead-lettered with its message.
  virtual Result<ParsedInput> parse_webhook(const HttpRequest& request) const = 0;

  // Whether the call may be sent again after a timeout or a crash (the provider deduplicates it, by
  // an idempotency key or a merchant reference). A call that is not retry-safe is sent at most once:
  // no retries, and one found in flight after a crash becomes `call.failed` with outcome unknown.
  virtual bool retry_safe(const ProviderCall& /*call*/) const { return true; }
};

// A provider's adapter as its plugin carries it (adapters/plugin.hpp): the settings schema the config
// is validated against (providers.<provider>.*: unknown keys refused, each key documented with its
// default), the factory, and what the provider accepts.
struct AdapterRegistration {
  std::string_view provider;
  std::vector<ConfigKey> config_keys;
  std::unique_ptr<ProviderAdapter> (*make)(const ProviderSettings& settings);
  ProviderConstraints constraints{};
};

// The transaction a provider call belongs to: call ids are "<txn_id>:<seq>:<what>" (StepContext::next_id).
std::string_view txn_id_of_call(std::string_view call_id);

}  // namespace corridor
