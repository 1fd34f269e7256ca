#pragma once
// The codes of corridor's own I/O (core/error.hpp): the HTTP client that calls providers, and Kafka.
#include <array>

#include "core/error.hpp"

namespace corridor {

enum class http_errc {
  bad_url = 1,      // not an http:// URL corridor can call (configuration): never retried
  unknown_method,
  connect_failed,   // refused, unreachable, or no connection within the timeout
  timeout,          // no complete answer within the timeout
  send_failed,
  receive_failed,   // the connection broke, or the answer was not HTTP or too large
};

template <>
struct errc_info<http_errc> {
  static constexpr const char* module = "http";
  static constexpr std::array<ErrcEntry<http_errc>, 6> codes{{
      {http_errc::bad_url, "bad_url", failure::invalid},
      {http_errc::unknown_method, "unknown_method", failure::invalid},
      {http_errc::connect_failed, "connect_failed", failure::transient},
      {http_errc::timeout, "timeout", failure::transient},
      {http_errc::send_failed, "send_failed", failure::transient},
      {http_errc::receive_failed, "receive_failed", failure::transient},
  }};
};

enum class kafka_errc {
  not_acknowledged = 1,   // no acknowledgement within the timeout
  refused,                // the broker refused the record
  commit_failed,          // an offset commit failed
  watermarks_unavailable,
};

template <>
struct errc_info<kafka_errc> {
  static constexpr const char* module = "kafka";
  static constexpr std::array<ErrcEntry<kafka_errc>, 4> codes{{
      {kafka_errc::not_acknowledged, "not_acknowledged", failure::transient},
      {kafka_errc::refused, "refused", failure::transient},
      {kafka_errc::commit_failed, "commit_failed", failure::transient},
      {kafka_errc::watermarks_unavailable, "watermarks_unavailable", failure::transient},
  }};
};

}  // namespace corridor

template <>
struct std::is_error_code_enum<corridor::http_errc> : std::true_type {};
template <>
struct std::is_error_code_enum<corridor::kafka_errc> : std::true_type {};
