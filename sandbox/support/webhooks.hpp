#pragma once
// Webhook and callback delivery, as every provider sandbox does it: a JSON POST, tried again with a
// doubling delay while the receiver does not answer 2xx.
#include <chrono>
#include <optional>
#include <string>

#include "core/http.hpp"
#include "engine/io/http_client.hpp"

namespace corridor {

struct RetryPolicy {
  int attempts = 5;                          // deliveries tried in all
  std::chrono::milliseconds first_delay{100};  // before the 2nd attempt; doubled after each failure

  // The wait before the attempt following `attempt` (1-based), or nullopt when that was the last.
  // The doubling stops at 2^10 times the first delay.
  std::optional<std::chrono::milliseconds> delay_after(int attempt) const;
};

// POSTs `body` to `url` with Content-Type application/json followed by `extra_headers`; true when the
// receiver answered 2xx within `timeout`.
bool post_json(HttpClient& client, const std::string& url, const std::string& body, HttpHeaders extra_headers,
               std::chrono::milliseconds timeout);

}  // namespace corridor
