#include "sandbox/support/webhooks.hpp"

#include <algorithm>
#include <utility>

namespace corridor {

std::optional<std::chrono::milliseconds> RetryPolicy::delay_after(int attempt) const {
  if (attempt >= attempts) return std::nullopt;
  return first_delay * (1 << std::min(attempt - 1, 10));
}

bool post_json(HttpClient& client, const std::string& url, const std::string& body, HttpHeaders extra_headers,
               std::chrono::milliseconds timeout) {
  HttpRequest req;
  req.method = "POST";
  req.target = url;
  req.headers = {{"Content-Type", "application/json"}};
  for (auto& h : extra_headers) req.headers.push_back(std::move(h));
  req.body = body;
  auto res = client.send(req, timeout);
  return res.ok() && res->status >= 200 && res->status < 300;
}

}  // namespace corridor
