// HttpServer and the Beast HttpClient over loopback. (Lives under unit/sandbox because that folder
// links corridor_http without the runtime library; it covers engine/io/http_*.cpp and core/http.cpp.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/http.hpp"
#include "engine/io/http_client.hpp"
#include "engine/io/http_server.hpp"

namespace corridor {
namespace {

using namespace std::chrono_literals;

HttpRequest get(const std::string& url) {
  HttpRequest r;
  r.method = "GET";
  r.target = url;
  return r;
}

HttpRequest post(const std::string& url, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.target = url;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

std::string url(const HttpServer& s, std::string_view path) { return "http://" + s.address() + std::string(path); }

// A mailbox of pending answers, so a test can answer a request later from another thread.
class Pending {
 public:
  void push(Respond r) {
    std::lock_guard lock(m_);
    q_.push_back(std::move(r));
    cv_.notify_all();
  }
  std::optional<Respond> pop(std::chrono::milliseconds within) {
    std::unique_lock lock(m_);
    if (!cv_.wait_for(lock, within, [&] { return !q_.empty(); })) return std::nullopt;
    Respond r = std::move(q_.front());
    q_.pop_front();
    return r;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Respond> q_;
};

TEST(HttpHeaders, FindHeaderIsCaseInsensitive) {
  HttpHeaders h{{"Content-Type", "application/json"}, {"X-Idempotency-Key", "k1"}};
  EXPECT_EQ(find_header(h, "content-type"), "application/json");
  EXPECT_EQ(find_header(h, "X-IDEMPOTENCY-KEY"), "k1");
  EXPECT_EQ(find_header(h, "Authorization"), "");
  auto r = json_response(201, R"({"a":1})");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.body, R"({"a":1})");
}

TEST(Http, RoundTrip) {
  HttpServer server("127.0.0.1", 0, [](HttpRequest req, Respond respond) {
    HttpResponse r = json_response(201, req.method + " " + req.target + " " + req.body);
    r.headers.emplace_back("X-Echo", std::string(req.header("x-custom")));
    r.headers.emplace_back("X-Remote", req.remote_address);
    respond(std::move(r));
  });
  ASSERT_NE(server.port(), 0);
  EXPECT_EQ(server.address(), "127.0.0.1:" + std::to_string(server.port()));

  auto client = make_http_client();
  HttpRequest req = post(url(server, "/webhooks/novasend?x=1"), R"({"hello":"world"})");
  req.headers.emplace_back("X-Custom", "abc");
  auto res = client->send(req, 5s);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, R"(POST /webhooks/novasend?x=1 {"hello":"world"})");
  EXPECT_EQ(res->header("x-echo"), "abc");
  EXPECT_EQ(res->header("x-remote"), "127.0.0.1");
  EXPECT_EQ(res->header("content-type"), "application/json");

  auto g = client->send(get(url(server, "")), 5s);
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->body, "GET / ");
}

TEST(Http, AnyStatusIsAResponse) {
  HttpServer server("127.0.0.1", 0, [](HttpRequest req, Respond respond) {
    respond(json_response(req.target == "/500" ? 500 : 404, R"({"error":"x"})"));
  });
  auto client = make_http_client();
  auto a = client->send(get(url(server, "/500")), 5s);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->status, 500);
  auto b = client->send(get(url(server, "/missing")), 5s);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->status, 404);
}

TEST(Http, OversizedBodyIs413BeforeTheHandler) {
  std::atomic<int> handled{0};
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  HttpServer server(
      "127.0.0.1", 0,
      [&](HttpRequest, Respond respond) {
        ++handled;
        respond(json_response(200, "{}"));
      },
      options);
  auto client = make_http_client();
  auto big = client->send(post(url(server, "/"), std::string(512 * 1024, 'x')), 5s);
  ASSERT_TRUE(big.ok()) << big.error().message;
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(handled.load(), 0);

  auto small = client->send(post(url(server, "/"), std::string(1024, 'x')), 5s);
  ASSERT_TRUE(small.ok()) << small.error().message;
  EXPECT_EQ(small->status, 200);
  EXPECT_EQ(handled.load(), 1);
}

// read_request: the session's reading of a request, without a socket.
TEST(HttpReadRequest, GivesTheHandlersRequestAndWhereTheNextOneStarts) {
  const std::string first = "POST /webhooks/novasend?x=1 HTTP/1.1\r\nHost: a\r\nX-Sig: t=1\r\nContent-Length: 2\r\n\r\n{}";
  const std::string second = "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n";
  auto read = read_request(first + second, HttpServerOptions{});
  ASSERT_TRUE(read.request);
  EXPECT_EQ(read.request->method, "POST");
  EXPECT_EQ(read.request->target, "/webhooks/novasend?x=1");
  EXPECT_EQ(read.request->header("x-sig"), "t=1");
  EXPECT_EQ(read.request->body, "{}");
  EXPECT_TRUE(read.keep_alive);
  EXPECT_EQ(read.consumed, first.size());
  auto next = read_request(std::string_view(first + second).substr(read.consumed), HttpServerOptions{});
  ASSERT_TRUE(next.request);
  EXPECT_EQ(next.request->target, "/healthz");
  EXPECT_FALSE(next.keep_alive);
}

TEST(HttpReadRequest, RefusesAsTheServerDoes) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  EXPECT_EQ(read_request("POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n", options).refused_status, 413);
  const std::string chunk = std::string("401\r\n") + std::string(0x401, 'x') + "\r\n0\r\n\r\n";
  EXPECT_EQ(read_request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk, options).refused_status, 413);
  EXPECT_EQ(read_request("GET / HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n", options).refused_status, 431);
  EXPECT_EQ(read_request("GET / HTTP/9.9\r\n\r\n", options).refused_status, 400);
  EXPECT_EQ(read_request("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab", options).refused_status, 400);
  // Nothing sent: the session closes without an answer.
  auto none = read_request("", options);
  EXPECT_FALSE(none.request);
  EXPECT_EQ(none.refused_status, 0);
}

TEST(Http, SlowHandlerTimesOutAsARetryableError) {
  Pending pending;
  HttpServer server("127.0.0.1", 0, [&](HttpRequest, Respond respond) { pending.push(std::move(respond)); });
  auto client = make_http_client();
  const auto start = std::chrono::steady_clock::now();
  auto res = client->send(get(url(server, "/slow")), 200ms);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(res.ok());
  EXPECT_TRUE(res.error().retryable());
  EXPECT_NE(res.error().message.find("timeout"), std::string::npos) << res.error().message;
  EXPECT_LT(took, 5s);
  // Answering after the client gave up is harmless.
  auto late = pending.pop(5s);
  ASSERT_TRUE(late.has_value());
  (*late)(json_response(200, "{}"));
}

TEST(Http, RespondLaterFromAnotherThread) {
  Pending pending;
  HttpServer server("127.0.0.1", 0, [&](HttpRequest, Respond respond) { pending.push(std::move(respond)); });
  std::thread responder([&] {
    for (int i = 0; i < 3; ++i) {
      auto r = pending.pop(10s);
      if (!r) return;
      (*r)(json_response(202, "{\"n\":" + std::to_string(i) + "}"));
    }
  });
  auto client = make_http_client();
  for (int i = 0; i < 3; ++i) {
    auto res = client->send(get(url(server, "/later")), 10s);
    ASSERT_TRUE(res.ok()) << res.error().message;
    EXPECT_EQ(res->status, 202);
    EXPECT_EQ(res->body, "{\"n\":" + std::to_string(i) + "}");
  }
  responder.join();
}

TEST(Http, RespondIsExactlyOnce) {
  HttpServer server("127.0.0.1", 0, [](HttpRequest req, Respond respond) {
    respond(json_response(200, req.target));
    respond(json_response(500, "second"));  // ignored
  });
  auto client = make_http_client();
  for (const char* path : {"/a", "/b", "/c"}) {
    auto res = client->send(get(url(server, path)), 5s);
    ASSERT_TRUE(res.ok()) << res.error().message;
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, path);
  }
}

TEST(Http, DroppedRespondAnswers500) {
  HttpServer server("127.0.0.1", 0, [](HttpRequest, Respond) {});
  auto client = make_http_client();
  auto res = client->send(get(url(server, "/")), 5s);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->status, 500);
}

TEST(Http, ThrowingHandlerAnswers500) {
  HttpServer server("127.0.0.1", 0, [](HttpRequest, Respond) { throw std::runtime_error("boom"); });
  auto client = make_http_client();
  auto res = client->send(get(url(server, "/")), 5s);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->status, 500);
}

TEST(Http, ConnectionRefusedIsRetryable) {
  std::uint16_t port = 0;
  {
    HttpServer server("127.0.0.1", 0, [](HttpRequest, Respond r) { r(json_response(200, "{}")); });
    port = server.port();
  }
  auto client = make_http_client();
  auto res = client->send(get("http://127.0.0.1:" + std::to_string(port) + "/"), 2s);
  ASSERT_FALSE(res.ok());
  EXPECT_TRUE(res.error().retryable());
}

TEST(Http, OnlyPlainHttpUrls) {
  auto client = make_http_client();
  auto res = client->send(get("https://example.com/"), 1s);
  ASSERT_FALSE(res.ok());
  EXPECT_FALSE(res.error().retryable());
  EXPECT_NE(res.error().message.find("http://"), std::string::npos);
}

TEST(Http, ConcurrentCallersShareOneClient) {
  HttpServerOptions options;
  options.threads = 2;
  HttpServer server(
      "127.0.0.1", 0, [](HttpRequest req, Respond respond) { respond(json_response(200, req.body)); }, options);
  auto client = make_http_client();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string body = std::to_string(t) + "-" + std::to_string(i);
        auto res = client->send(post(url(server, "/"), body), 5s);
        if (res.ok() && res->status == 200 && res->body == body) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 150);
}

TEST(Http, StopWithAnAnswerStillPending) {
  Pending pending;
  auto server = std::make_unique<HttpServer>("127.0.0.1", 0, [&](HttpRequest, Respond r) { pending.push(std::move(r)); });
  const std::string target = url(*server, "/");
  std::thread caller([&] {
    auto client = make_http_client();
    (void)client->send(get(target), 10s);  // fails once the server closes the connection
  });
  auto held = pending.pop(10s);
  ASSERT_TRUE(held.has_value());
  server->stop();
  server.reset();
  caller.join();
  (*held)(json_response(200, "{}"));  // the server is gone: dropped, no crash
}

// ---- a raw socket server, to see connections the way the client uses them -------------------------

class RawServer {
 public:
  // Answers every request with 200 "ok"; with close_after_each it closes the connection after each
  // answer without saying so (as a server whose idle timeout fired would); with drop_second it takes
  // the second request of a connection and closes it without an answer (as a server that failed while
  // it acted on the request would).
  explicit RawServer(bool close_after_each, bool drop_second = false)
      : close_after_each_(close_after_each), drop_second_(drop_second) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~RawServer() {
    stop_ = true;
    thread_.join();
    for (auto& t : connections_) t.join();
    ::close(fd_);
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }
  int requests() const { return requests_.load(); }

 private:
  bool wait_readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    while (!stop_) {
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void run() {
    while (wait_readable(fd_)) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++accepted_;
      // A thread per connection: a client may hold one connection idle while it opens another.
      connections_.emplace_back([this, c] {
        serve(c);
        ::close(c);
      });
    }
  }

  void serve(int c) {
    std::string in;
    char buf[4096];
    int served = 0;
    while (wait_readable(c)) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
      for (;;) {
        auto end = in.find("\r\n\r\n");
        if (end == std::string::npos) break;
        std::size_t body = 0;
        if (auto cl = in.find("Content-Length: "); cl != std::string::npos && cl < end) body = std::stoul(in.substr(cl + 16));
        if (in.size() < end + 4 + body) break;
        in.erase(0, end + 4 + body);
        ++requests_;
        if (drop_second_ && ++served == 2) return;
        const std::string out = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
        if (close_after_each_) return;
      }
    }
  }

  bool close_after_each_;
  bool drop_second_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  std::thread thread_;
  std::vector<std::thread> connections_;  // touched by thread_ only, until it is joined
};

TEST(HttpClient, ReusesAKeptAliveConnection) {
  RawServer raw(false);
  auto client = make_http_client();
  for (int i = 0; i < 5; ++i) {
    auto res = client->send(post(raw.base() + "/x", "{}"), 5s);
    ASSERT_TRUE(res.ok()) << res.error().message;
    EXPECT_EQ(res->body, "ok");
  }
  EXPECT_EQ(raw.requests(), 5);
  EXPECT_EQ(raw.accepted(), 1);
}

TEST(HttpClient, RetriesAStalePooledConnectionOnce) {
  RawServer raw(true);
  auto client = make_http_client();
  for (int i = 0; i < 4; ++i) {
    auto res = client->send(get(raw.base() + "/x"), 5s);
    ASSERT_TRUE(res.ok()) << "request " << i << ": " << res.error().message;
    EXPECT_EQ(res->body, "ok");
  }
  EXPECT_EQ(raw.requests(), 4);
  EXPECT_EQ(raw.accepted(), 4);
}

// A request on a pooled connection that closes with no answer is sent again on a fresh one: right for
// an idle connection the server had closed, and the server below took the request before it closed.
// A request sent at most once never takes a pooled connection, so it reaches the server once.
TEST(HttpClient, ARequestSentAtMostOnceNeverGoesOnAPooledConnection) {
  {
    RawServer raw(false, /*drop_second=*/true);
    auto client = make_http_client();
    ASSERT_TRUE(client->send(get(raw.base() + "/x"), 5s).ok());
    auto res = client->send(post(raw.base() + "/charge", "{}"), 5s);
    ASSERT_TRUE(res.ok()) << res.error().message;
    EXPECT_EQ(raw.requests(), 3);  // the charge reached the server twice: what send() may do
  }
  RawServer raw(false, /*drop_second=*/true);
  auto client = make_http_client();
  ASSERT_TRUE(client->send(get(raw.base() + "/x"), 5s).ok());  // leaves a pooled connection
  auto res = client->send_at_most_once(post(raw.base() + "/charge", "{}"), 5s);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->body, "ok");
  EXPECT_EQ(raw.requests(), 2);
  EXPECT_EQ(raw.accepted(), 2);  // a connection of its own
}

TEST(HttpServer, KeepAliveServesManyRequestsOnOneConnection) {
  std::atomic<int> handled{0};
  HttpServer server("127.0.0.1", 0, [&](HttpRequest, Respond r) {
    ++handled;
    r(json_response(200, "{}"));
  });
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(server.port());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string in;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    std::size_t answers = 0;
    while ((answers = [&] {
              std::size_t n = 0, at = 0;
              while ((at = in.find("HTTP/1.1 200", at)) != std::string::npos) ++n, ++at;
              return n;
            }()) < static_cast<std::size_t>(i + 1) &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[1024];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      ASSERT_GT(n, 0);
      in.append(buf, static_cast<std::size_t>(n));
    }
    ASSERT_EQ(answers, static_cast<std::size_t>(i + 1));
  }
  EXPECT_EQ(handled.load(), 3);
  // A malformed request on the same connection gets a 400, not a crash.
  const std::string bad = "NOT HTTP AT ALL\r\n\r\n";
  ::send(fd, bad.data(), bad.size(), MSG_NOSIGNAL);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (in.find("HTTP/1.1 400") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[1024];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }
  EXPECT_NE(in.find("HTTP/1.1 400"), std::string::npos) << in;
  ::close(fd);
}

}  // namespace
}  // namespace corridor
