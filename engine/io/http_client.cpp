// The HTTP client: synchronous to its caller, asynchronous inside so every step (resolve, connect,
// write, read) obeys one deadline. Idle keep-alive connections are pooled per host:port. One of the
// two translation units allowed to include Beast/Asio.
#include "engine/io/http_client.hpp"

#include "engine/io/errc.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace corridor {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxIdlePerHost = 16;
// A server closes idle keep-alive connections after a while (corridor's own after its read timeout,
// 30 s); an older pooled connection is not worth trying.
constexpr std::chrono::seconds kMaxIdleAge{20};
constexpr std::uint64_t kMaxResponseBody = 64ull << 20;

struct Url {
  std::string host;
  std::string port;
  std::string host_header;
  std::string target;
};

Result<Url> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || !beast::iequals(url.substr(0, kScheme.size()), kScheme)) {
    return fail(http_errc::bad_url, "unsupported URL '" + std::string(url) + "': only http:// is supported");
  }
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  Url u;
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!u.target.empty() && u.target[0] == '?') u.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return fail(http_errc::bad_url, "URL '" + std::string(url) + "' has user info");
  u.host_header = std::string(authority);
  std::string_view host = authority;
  std::string_view port = "80";
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail(http_errc::bad_url, "URL '" + std::string(url) + "' has a bad IPv6 host");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return fail(http_errc::bad_url, "URL '" + std::string(url) + "' has a bad port");
      port = authority.substr(close + 2);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return fail(http_errc::bad_url, "URL '" + std::string(url) + "' has no host");
  if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos || port.size() > 5) {
    return fail(http_errc::bad_url, "URL '" + std::string(url) + "' has a bad port");
  }
  u.host = std::string(host);
  u.port = std::string(port);
  return u;
}

// One connection with its own io_context, so a caller's thread runs exactly its own operations.
struct Connection {
  asio::io_context ioc{1};
  tcp::socket socket{ioc};
  beast::flat_buffer buffer;
  Clock::time_point idle_since{};

  // Runs one asynchronous step to completion or until the deadline; on timeout the step is
  // cancelled (closing the socket) and `timed_out` is returned.
  template <typename Start, typename Cancel>
  beast::error_code step(Clock::time_point deadline, Start start, Cancel cancel) {
    std::optional<beast::error_code> result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run_until(deadline);
    if (!result) {
      cancel();
      ioc.restart();
      ioc.run();
      return asio::error::timed_out;
    }
    return *result;
  }

  void close() {
    beast::error_code ec;
    socket.close(ec);
  }
};

class BeastHttpClient final : public HttpClient {
 public:
  Result<HttpResponse> send(const HttpRequest& request, std::chrono::milliseconds timeout) override {
    return send_request(request, timeout, /*may_resend=*/true);
  }
  Result<HttpResponse> send_at_most_once(const HttpRequest& request, std::chrono::milliseconds timeout) override {
    return send_request(request, timeout, /*may_resend=*/false);
  }

 private:
  // A request that may be sent again goes on a pooled connection when there is one, and on a fresh
  // one when that fails before any answer; one that may not goes on a fresh connection only.
  Result<HttpResponse> send_request(const HttpRequest& request, std::chrono::milliseconds timeout, bool may_resend) {
    auto url = parse_url(request.target);
    if (!url) return url.error();
    const auto deadline = Clock::now() + timeout;
    const std::string key = url->host + ":" + url->port;
    // Errors name the method and the host, never the path or query: a provider may carry card data
    // there (a card number in the path), and errors travel into inputs and events.
    const std::string what = request.method + " " + key;

    bhttp::request<bhttp::string_body> req;
    const auto verb = bhttp::string_to_verb(request.method);
    if (verb == bhttp::verb::unknown) return fail(http_errc::unknown_method, what + ": unknown method");
    req.method(verb);
    req.target(url->target);
    req.version(11);
    req.set(bhttp::field::host, url->host_header);
    req.set(bhttp::field::user_agent, "corridor");
    for (const auto& [name, value] : request.headers) {
      if (beast::iequals(name, "Host") || beast::iequals(name, "Content-Length") || beast::iequals(name, "Connection") ||
          beast::iequals(name, "Transfer-Encoding")) {
        continue;
      }
      req.insert(name, value);
    }
    req.body() = request.body;
    req.keep_alive(true);
    req.prepare_payload();

    if (auto pooled = may_resend ? take(key) : nullptr) {
      bool stale = false;
      auto r = exchange(*pooled, req, deadline, what, &stale);
      if (r.ok()) {
        release(key, std::move(pooled), r->second);
        return std::move(r->first);
      }
      // The server closed the idle connection before our request reached it: try a fresh one once.
      if (!stale || Clock::now() >= deadline) return r.error();
    }
    auto conn = std::make_unique<Connection>();
    if (auto ec = connect(*conn, *url, deadline); ec) {
      if (ec == asio::error::timed_out) return fail(http_errc::timeout, what + ": timeout while connecting");
      return fail(http_errc::connect_failed, what + ": connect: " + ec.message());
    }
    auto r = exchange(*conn, req, deadline, what, nullptr);
    if (!r) return r.error();
    release(key, std::move(conn), r->second);
    return std::move(r->first);
  }

  std::unique_ptr<Connection> take(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    auto& list = it->second;
    const auto now = Clock::now();
    while (!list.empty()) {
      auto conn = std::move(list.back());
      list.pop_back();
      if (now - conn->idle_since < kMaxIdleAge) return conn;
    }
    return nullptr;
  }

  void release(const std::string& key, std::unique_ptr<Connection> conn, bool reusable) {
    if (!reusable) return;
    conn->idle_since = Clock::now();
    std::lock_guard lock(mutex_);
    auto& list = idle_[key];
    if (list.size() < kMaxIdlePerHost) list.push_back(std::move(conn));
  }

  static beast::error_code connect(Connection& c, const Url& url, Clock::time_point deadline) {
    tcp::resolver resolver(c.ioc);
    tcp::resolver::results_type endpoints;
    auto ec = c.step(
        deadline,
        [&](auto done) {
          resolver.async_resolve(url.host, url.port, [&endpoints, done](beast::error_code e, tcp::resolver::results_type r) {
            endpoints = std::move(r);
            done(e);
          });
        },
        [&] { resolver.cancel(); });
    if (ec) return ec;
    ec = c.step(
        deadline, [&](auto done) { asio::async_connect(c.socket, endpoints, [done](beast::error_code e, const tcp::endpoint&) { done(e); }); },
        [&] { c.close(); });
    if (!ec) {
      beast::error_code ignored;
      c.socket.set_option(tcp::no_delay(true), ignored);
    }
    return ec;
  }

  // Writes the request and reads the answer. The bool says whether the connection may be reused.
  // `stale` (when given) is set when the failure looks like a connection the server had closed.
  static Result<std::pair<HttpResponse, bool>> exchange(Connection& c, bhttp::request<bhttp::string_body>& req,
                                                        Clock::time_point deadline, const std::string& what, bool* stale) {
    auto ec = c.step(deadline, [&](auto done) { bhttp::async_write(c.socket, req, done); }, [&] { c.close(); });
    if (ec) {
      if (stale && ec != asio::error::timed_out) *stale = true;
      c.close();
      if (ec == asio::error::timed_out) return fail(http_errc::timeout, what + ": timeout while sending");
      return fail(http_errc::send_failed, what + ": send: " + ec.message());
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxResponseBody);
    parser.header_limit(64 * 1024);
    ec = c.step(deadline, [&](auto done) { bhttp::async_read(c.socket, c.buffer, parser, done); }, [&] { c.close(); });
    if (ec) {
      if (stale && ec != asio::error::timed_out && !parser.got_some()) *stale = true;
      c.close();
      if (ec == asio::error::timed_out) return fail(http_errc::timeout, what + ": timeout waiting for the response");
      return fail(http_errc::receive_failed, what + ": receive: " + ec.message());
    }
    auto msg = parser.release();
    HttpResponse res;
    res.status = static_cast<int>(msg.result_int());
    for (const auto& field : msg) res.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    res.body = std::move(msg.body());
    const bool reusable = msg.keep_alive();
    if (!reusable) c.close();
    return std::pair<HttpResponse, bool>{std::move(res), reusable};
  }

  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

}  // namespace

std::unique_ptr<HttpClient> make_http_client() { return std::make_unique<BeastHttpClient>(); }

}  // namespace corridor
