#pragma once
// The codes of the operations listener's own refusals (core/error.hpp): what the command API refuses
// before a command reaches the router's rules (those answer with pipeline.* codes).
#include <array>

#include "core/error.hpp"

namespace corridor {

enum class api_errc {
  missing_idempotency_key = 1,  // a command without an Idempotency-Key header, or one that is not 1-128 visible ASCII
  idempotency_conflict,         // the key already named another command on the same transaction
  other_merchant,               // a merchant's token naming another merchant
  unknown_transaction,          // no such transaction (or another merchant's)
  not_a_command_body,           // a body that is not a JSON object, or contradicts the path
};

template <>
struct errc_info<api_errc> {
  static constexpr const char* module = "api";
  static constexpr std::array<ErrcEntry<api_errc>, 5> codes{{
      {api_errc::missing_idempotency_key, "missing_idempotency_key", failure::invalid},
      {api_errc::idempotency_conflict, "idempotency_conflict", failure::conflict},
      {api_errc::other_merchant, "other_merchant", failure::forbidden},
      {api_errc::unknown_transaction, "unknown_transaction", failure::not_found},
      {api_errc::not_a_command_body, "not_a_command_body", failure::invalid},
  }};
};

}  // namespace corridor

template <>
struct std::is_error_code_enum<corridor::api_errc> : std::true_type {};
