#pragma once
// The adapters' failure codes (core/error.hpp): what went wrong between corridor and a provider's
// wire, the same codes for every provider. Retryability and the answer to a notification follow from
// each code's condition.
#include <array>
#include <optional>

#include "core/error.hpp"

namespace corridor {

enum class adapter_errc {
  // A provider's answer to a call.
  provider_unavailable = 1,  // 5xx or 408: the provider could not answer now
  rate_limited,              // 429
  malformed,                 // a body corridor cannot read, answer or notification alike (not JSON, a
                             // field missing or of another type, a value out of its range): 400
  unexpected_answer,         // a readable answer corridor cannot act on (a status the call never gets,
                             // another transaction's id, an amount in another currency)
  not_found,                 // the provider does not hold what the call looked up
  unknown_operation,         // the call names an operation the adapter does not make
  bad_parameters,            // the call's parameters cannot become a request (refused before sending)
  // A provider's notification (webhook, callback, return URL).
  bad_signature,             // missing or wrong signature, token or credentials: 401
  forbidden_source,          // sent from an address the provider never sends from: 403
  unknown_route,             // a path or token that is not corridor's: 404
  wrong_method,              // 405
  // A provider's settlement file, and the plugins' registration.
  malformed_settlement,
  bad_registration,
  unknown_provider,  // no plugin of that name
  no_capability,     // the provider's plugin lacks the capability asked for (a settlement file)
  // The adapter threw: its answer counts as unreadable.
  adapter_threw,
};

template <>
struct errc_info<adapter_errc> {
  static constexpr const char* module = "adapter";
  static constexpr std::array<ErrcEntry<adapter_errc>, 16> codes{{
      {adapter_errc::provider_unavailable, "provider_unavailable", failure::transient},
      {adapter_errc::rate_limited, "rate_limited", failure::transient},
      {adapter_errc::malformed, "malformed", failure::invalid},
      {adapter_errc::unexpected_answer, "unexpected_answer", failure::invalid},
      {adapter_errc::not_found, "not_found", failure::not_found},
      {adapter_errc::unknown_operation, "unknown_operation", failure::invalid},
      {adapter_errc::bad_parameters, "bad_parameters", failure::invalid},
      {adapter_errc::bad_signature, "bad_signature", failure::unauthenticated},
      {adapter_errc::forbidden_source, "forbidden_source", failure::forbidden},
      {adapter_errc::unknown_route, "unknown_route", failure::not_found},
      {adapter_errc::wrong_method, "wrong_method", failure::method_not_allowed},
      {adapter_errc::malformed_settlement, "malformed_settlement", failure::invalid},
      {adapter_errc::bad_registration, "bad_registration", failure::invalid},
      {adapter_errc::unknown_provider, "unknown_provider", failure::invalid},
      {adapter_errc::no_capability, "no_capability", failure::invalid},
      {adapter_errc::adapter_threw, "adapter_threw", failure::invalid},
  }};
};

// The code of a provider's HTTP status that says "not now": 429 rate_limited, 5xx and 408
// provider_unavailable; nullopt for any other status.
std::optional<adapter_errc> busy_status(int status);

}  // namespace corridor

template <>
struct std::is_error_code_enum<corridor::adapter_errc> : std::true_type {};
