#pragma once
// A small result type for the request and message path: a value, or an Error (core/error.hpp: a
// module's code, from which retryability and the HTTP answer follow, and a message for a person).
// Exceptions are kept for start-up and configuration.
#include <string>
#include <system_error>
#include <utility>
#include <variant>

#include "core/error.hpp"

namespace corridor {

struct Error {
  std::error_code code;
  std::string message;

  // Whether trying again later may succeed (the code's condition is failure::transient).
  bool retryable() const { return code == failure::transient; }
  // The HTTP status that answers whoever sent what failed: 401, 403, 404 or 405 from the code's
  // condition, else 400.
  int http_status() const;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// The value of a Result that carries nothing but success.
struct Ok {};

inline Error fail(std::error_code code, std::string message) { return Error{code, std::move(message)}; }

// Errors not yet given a module's code: transient when `retryable`, else invalid.
enum class unclassified_errc { invalid = 1, transient };
template <>
struct errc_info<unclassified_errc> {
  static constexpr const char* module = "unclassified";
  static constexpr std::array<ErrcEntry<unclassified_errc>, 2> codes{{
      {unclassified_errc::invalid, "invalid", failure::invalid},
      {unclassified_errc::transient, "transient", failure::transient},
  }};
};
inline Error fail(std::string message, bool retryable = false) {
  return Error{make_error_code(retryable ? unclassified_errc::transient : unclassified_errc::invalid), std::move(message)};
}

}  // namespace corridor

template <>
struct std::is_error_code_enum<corridor::unclassified_errc> : std::true_type {};
