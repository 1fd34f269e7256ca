#pragma once
// The codes of the records the engine reads back (inputs, transactions, provider calls) and of
// amounts (core/error.hpp). All are invalid: a record that does not read will not read later.
#include <array>

#include "core/error.hpp"

namespace corridor {

enum class record_errc {
  not_an_object = 1,
  missing_field,
  wrong_type,
  bad_time,
  unknown_kind,
  bad_amount,
};

template <>
struct errc_info<record_errc> {
  static constexpr const char* module = "record";
  static constexpr std::array<ErrcEntry<record_errc>, 6> codes{{
      {record_errc::not_an_object, "not_an_object", failure::invalid},
      {record_errc::missing_field, "missing_field", failure::invalid},
      {record_errc::wrong_type, "wrong_type", failure::invalid},
      {record_errc::bad_time, "bad_time", failure::invalid},
      {record_errc::unknown_kind, "unknown_kind", failure::invalid},
      {record_errc::bad_amount, "bad_amount", failure::invalid},
  }};
};

}  // namespace corridor

template <>
struct std::is_error_code_enum<corridor::record_errc> : std::true_type {};
