#pragma once
// Plain HTTP values, free of Beast, so handlers and adapters are functions request -> response that
// tests call without a socket. Only engine/io/http_server.cpp and engine/io/http_client.cpp see Beast.
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corridor {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; empty when absent.
std::string_view find_header(const HttpHeaders& headers, std::string_view name);

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  // Server side: the request target ("/webhooks/novasend?x=1"). Client side: the absolute URL
  // ("http://127.0.0.1:9000/v1/payin/sessions").
  std::string target;
  HttpHeaders headers;
  std::string body;
  std::string remote_address;  // server side: the peer's IP address

  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;

  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

HttpResponse json_response(int status, std::string body);

// A handler answers through `respond`, possibly later and from another thread (the webhook
// ingress answers only once Kafka acknowledged the record). `respond` must be called exactly once.
using Respond = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest, Respond)>;

}  // namespace corridor
