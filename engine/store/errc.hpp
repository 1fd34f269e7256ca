#pragma once
// The store's and the card vault's codes (core/error.hpp).
#include <array>

#include "core/error.hpp"

namespace corridor {

enum class store_errc {
  statement_failed = 1,  // a statement failed (busy, locked, I/O): the batch is tried again
  unavailable,           // no connection could be opened
  in_use,                // another corridor process writes this SQLite file
  fenced,                // the partition has a newer owner: this process may no longer write for it
  schema_too_new,        // the database's schema is newer than this binary knows
};

template <>
struct errc_info<store_errc> {
  static constexpr const char* module = "store";
  static constexpr std::array<ErrcEntry<store_errc>, 5> codes{{
      {store_errc::statement_failed, "statement_failed", failure::transient},
      {store_errc::unavailable, "unavailable", failure::transient},
      {store_errc::in_use, "in_use", failure::invalid},
      {store_errc::fenced, "fenced", failure::conflict},
      {store_errc::schema_too_new, "schema_too_new", failure::invalid},
  }};
};

enum class vault_errc {
  malformed = 1,  // sealed data that is not the vault's format
  wrong_key,      // does not open with this key: another key, or tampered data
};

template <>
struct errc_info<vault_errc> {
  static constexpr const char* module = "vault";
  static constexpr std::array<ErrcEntry<vault_errc>, 2> codes{{
      {vault_errc::malformed, "malformed", failure::invalid},
      {vault_errc::wrong_key, "wrong_key", failure::invalid},
  }};
};

}  // namespace corridor

template <>
struct std::is_error_code_enum<corridor::store_errc> : std::true_type {};
template <>
struct std::is_error_code_enum<corridor::vault_errc> : std::true_type {};
