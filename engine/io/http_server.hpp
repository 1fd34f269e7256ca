#pragma once
// An HTTP/1.1 server (Boost.Beast) that hands each request to an HttpHandler.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/http.hpp"

namespace corridor {

struct HttpServerOptions {
  std::size_t max_body_bytes = 1 << 20;  // a larger body is refused (413) before it is read whole
  int threads = 1;
  std::chrono::milliseconds read_timeout{30000};
  // Told of every request the server refuses itself, before any handler (413, 431, malformed HTTP):
  // method, target, headers and peer as far as they were read; never the body. Runs on a server
  // thread: it must not block.
  std::function<void(const HttpRequest& request, int status, const std::string& reason)> on_refused = {};
};

// One request read from raw bytes as a session reads it from its socket (the same Beast parser, the
// same limits and the same conversion to HttpRequest), without a socket: for tests and fuzzing.
struct RequestRead {
  std::optional<HttpRequest> request;  // what the handler would get (remote_address left empty)
  bool keep_alive = false;             // whether the session would read another request after it
  int refused_status = 0;              // 413, 431 or 400: the server answers it without the handler
  std::string refused_reason;
  std::size_t consumed = 0;  // bytes taken; a kept-alive connection's next request starts after them
};
// Neither a request nor a refusal: the session would close without answering (nothing was sent).
RequestRead read_request(std::string_view bytes, const HttpServerOptions& options);

class HttpServer {
 public:
  // Binds host:port (port 0: the OS chooses) and starts serving on its own threads.
  // Throws std::runtime_error when it cannot bind.
  HttpServer(const std::string& host, std::uint16_t port, HttpHandler handler, HttpServerOptions options = {});
  ~HttpServer();  // stops and joins
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;
  std::string address() const;  // "127.0.0.1:54321"
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace corridor
