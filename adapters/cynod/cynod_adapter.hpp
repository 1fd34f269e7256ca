#pragma once
// Cynod (seed 000_375b0fce72fe380b.txt): card debit confirmed by the customer in the Cynod wallet.
// The seed has no wire format; corridor's choice (a REST JSON API) is written down in
// docs/providers/cynod.md, and the sandbox in sandbox/cynod/ implements the same contract.
#include <string>
#include <string_view>

#include "adapters/adapter.hpp"

namespace corridor {

struct CynodSettings {
  std::string base_url;                                // "https://api.cynod.example", no trailing slash needed
  std::string api_key;                                 // Authorization: Bearer <api_key>
  std::string webhook_secret;                          // HMAC-SHA256 key of webhook signatures
  std::string signature_header = "X-Cynod-Signature";  // "sha256=<hex HMAC-SHA256(webhook_secret, raw body)>"
  std::string authorizations_path = "/v1/authorizations";
  std::string public_url;  // corridor's public URL: notification_url = <public_url>/webhooks/cynod
};

// Reads providers.cynod (defaults applied). Throws std::invalid_argument naming a missing key.
CynodSettings cynod_settings(const ProviderSettings& settings);

class CynodAdapter final : public ProviderAdapter {
 public:
  explicit CynodAdapter(CynodSettings settings);

  std::string_view provider() const override { return "cynod"; }
  Result<HttpRequest> build_request(const ProviderCall& call) const override;
  Result<ParsedInput> parse_response(const ProviderCall& call, const HttpResponse& response) const override;
  Result<ParsedInput> parse_webhook(const HttpRequest& request) const override;

 private:
  CynodSettings settings_;
};

AdapterRegistration cynod_registration();

// "sha256=" + lowercase hex of HMAC-SHA256(secret, body): the webhook signature corridor expects.
// Exposed for tests and for the sandbox.
std::string cynod_webhook_signature(std::string_view secret, std::string_view body);

// First 6 and last 4 digits kept, the rest '*'; anything that is not 13-19 digits is fully starred.
std::string cynod_mask_card(std::string_view number);

}  // namespace corridor
