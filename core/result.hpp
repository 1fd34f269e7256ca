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

}  // namespace corridor
