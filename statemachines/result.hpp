#pragma once
// A small result type for the request and message path: a value, or an error that says whether a
// retry makes sense. Exceptions are kept for start-up and configuration.
#include <string>
#include <utility>
#include <variant>

namespace corridor {

struct Error {
  std::string message;
  bool retryable = false;
  int http_status = 0;  // where an HTTP answer follows from the error (401 for a bad signature); 0: 400
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

inline Error fail(std::string message, bool retryable = false) { return Error{std::move(message), retryable}; }

}  // namespace corridor
