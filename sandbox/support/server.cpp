#include "sandbox/support/server.hpp"

#include <stdexcept>
#include <utility>

namespace corridor {

std::string start_server(std::unique_ptr<HttpServer>& server, std::string_view provider, const std::string& host,
                         std::uint16_t port, std::size_t max_body_bytes, HttpHandler handler) {
  if (server) throw std::runtime_error(std::string(provider) + " sandbox already started");
  HttpServerOptions options;
  options.max_body_bytes = max_body_bytes;
  server = std::make_unique<HttpServer>(host, port, std::move(handler), options);
  return "http://" + server->address();
}

}  // namespace corridor
