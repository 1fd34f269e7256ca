#pragma once
// The HTTP client seam. The real one (Boost.Beast) keeps connections alive per host and is safe to
// call from several threads; tests may substitute a fake.
#include <chrono>
#include <memory>

#include "core/http.hpp"
#include "core/result.hpp"

namespace corridor {

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends `request` (its target is an absolute http:// URL). A connection failure or a timeout is a
  // retryable error; any HTTP answer, 4xx and 5xx included, is a response.
  virtual Result<HttpResponse> send(const HttpRequest& request, std::chrono::milliseconds timeout) = 0;
};

std::unique_ptr<HttpClient> make_http_client();

}  // namespace corridor
