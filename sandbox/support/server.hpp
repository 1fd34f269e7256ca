#pragma once
// The HTTP server a provider sandbox answers on.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/http.hpp"
#include "engine/io/http_server.hpp"

namespace corridor {

// Starts `server` on host:port (0: the OS chooses), refusing bodies over `max_body_bytes`, and
// returns its base URL ("http://127.0.0.1:PORT"). Throws std::runtime_error when `server` is
// already running ("<provider> sandbox already started") or the port cannot be bound.
std::string start_server(std::unique_ptr<HttpServer>& server, std::string_view provider, const std::string& host,
                         std::uint16_t port, std::size_t max_body_bytes, HttpHandler handler);

}  // namespace corridor
