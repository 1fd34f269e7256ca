#pragma once
// Failures as codes. Every module names its failures in an enum of its own, its errc (as each of
// Redpanda's modules has one), registered with <system_error>: the code says which module failed and
// how, the message gives a person the details. What a caller does about a failure follows from the
// code alone, through the condition every code maps to (retry it, answer 401, give up), never from
// matching a message or an HTTP status.
//
// A module declares its enum, one errc_info specialisation (the module's name, and per code its name
// and its condition) and std::is_error_code_enum; make_error_code and the category come from here.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <system_error>

namespace corridor {

// What a failure means to whoever meets it, whichever module raised it.
enum class failure {
  transient = 1,       // may succeed later: retried with backoff (a provider's 5xx, a timeout, a busy store)
  invalid,             // wrong and will stay wrong (a malformed answer, a bad parameter): never retried
  unauthenticated,     // a signature or token that does not check out: HTTP 401
  forbidden,           // a source that may not send this: HTTP 403
  not_found,           // what was asked for does not exist: HTTP 404
  method_not_allowed,  // HTTP 405
  conflict,            // the request contradicts what corridor already holds (a reused idempotency key): HTTP 409
};
std::string_view to_string(failure f);
const std::error_category& failure_category();
inline std::error_condition make_error_condition(failure f) { return {static_cast<int>(f), failure_category()}; }

template <class E>
struct ErrcEntry {
  E code;
  std::string_view name;  // snake_case, unique in its module: "<module>.<name>" is the code's text
  failure means;
};

// Specialised by each module for its enum: `static constexpr const char* module` and
// `static constexpr std::array<ErrcEntry<E>, N> codes`.
template <class E>
struct errc_info;

template <class E>
concept module_errc = std::is_enum_v<E> && requires {
  errc_info<E>::module;
  errc_info<E>::codes;
};

template <module_errc E>
class ErrcCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return errc_info<E>::module; }
  std::string message(int value) const override { return std::string(entry(value).name); }
  std::error_condition default_error_condition(int value) const noexcept override {
    return make_error_condition(entry(value).means);
  }

 private:
  static ErrcEntry<E> entry(int value) noexcept {
    const auto& codes = errc_info<E>::codes;
    auto it = std::find_if(codes.begin(), codes.end(), [&](const auto& e) { return static_cast<int>(e.code) == value; });
    return it == codes.end() ? ErrcEntry<E>{E{}, "unknown", failure::invalid} : *it;
  }
};

template <module_errc E>
const std::error_category& errc_category() {
  static const ErrcCategory<E> category;
  return category;
}

template <module_errc E>
std::error_code make_error_code(E e) {
  return {static_cast<int>(e), errc_category<E>()};
}

// "adapter.rate_limited": the module and the code's name, as call.failed inputs and dead letters
// carry it. Empty for no error.
std::string code_text(const std::error_code& code);

}  // namespace corridor

template <>
struct std::is_error_condition_enum<corridor::failure> : std::true_type {};
