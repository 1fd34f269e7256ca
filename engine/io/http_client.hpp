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
  // Sends a request the provider must receive at most once (a call that is not retry-safe: a charge,
  // a refund). send() may send a request again on a fresh connection when a pooled one fails before
  // any answer (the server had closed it while idle); that cannot tell a server that closed an idle
  // connection from one that took the request and then failed, so this one never goes on a pooled
  // connection and is never sent twice. A client that never sends twice needs no other definition.
  virtual Result<HttpResponse> send_at_most_once(const HttpRequest& request, std::chrono::milliseconds timeout) {
    return send(request, timeout);
  }
};

std::unique_ptr<HttpClient> make_http_client();

}  // namespace corridor
