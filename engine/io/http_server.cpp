// The HTTP/1.1 server: Boost.Beast sessions around a plain HttpHandler (modelled on Beast's
// advanced_server example). One of the two translation units allowed to include Beast/Asio, so one
// file: the sessions, the listener and read_request (the fuzzed parser) all need Beast.
#include "engine/io/http_server.hpp"

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

namespace corridor {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using tcp_executor = beast::tcp_stream::executor_type;

namespace {

class Session;

// What sessions share with the server. Sessions keep it alive, so a session whose answer is still
// pending in a handler (held by a Respond) can outlive the HttpServer object without touching a
// destroyed io_context.
struct Core {
  asio::io_context ioc;
  HttpHandler handler;
  HttpServerOptions options;

  std::mutex mutex;  // guards stopped and sessions; held while posting an answer
  bool stopped = false;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
};

// How long a written answer may take to leave, and how long a refused request's remaining body is
// drained before the connection closes (so the client reads the 413 rather than a reset).
constexpr std::chrono::seconds kWriteTimeout{30};
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr std::size_t kLingerMaxBytes = 64 << 20;

using RequestParser = bhttp::request_parser<bhttp::string_body>;

// The limits every request is read under: the body limit of the options and Beast's default header
// limit (8 KiB).
void apply_limits(RequestParser& parser, const HttpServerOptions& options) {
  parser.body_limit(options.max_body_bytes);
}

std::string body_limit_reason(const HttpServerOptions& options) {
  return "body larger than " + std::to_string(options.max_body_bytes) + " bytes";
}

// A declared body over the limit is refused as soon as the header is read, before any of it arrives.
bool declares_oversized_body(const RequestParser& parser, const HttpServerOptions& options) {
  const auto length = parser.content_length();
  return length && *length > options.max_body_bytes;
}

struct Refusal {
  int status;
  std::string reason;
};

// The read errors the server answers itself; any other (end of stream, timeout, a closed socket)
// closes the connection without an answer.
std::optional<Refusal> refusal_of(beast::error_code ec, const HttpServerOptions& options) {
  if (ec == bhttp::error::body_limit) return Refusal{413, body_limit_reason(options)};
  if (ec == bhttp::error::header_limit) return Refusal{431, "request headers too large"};
  if (ec == bhttp::error::end_of_stream) return std::nullopt;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
    return Refusal{400, "malformed HTTP request: " + ec.message()};
  }
  return std::nullopt;
}

// Method, target and headers as far as they were read (a refused request's may be incomplete).
HttpRequest request_head(const bhttp::request_header<>& head) {
  HttpRequest request;
  request.method = std::string(head.method_string());
  request.target = std::string(head.target());
  for (const auto& field : head) request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return request;
}

HttpResponse plain_error(int status, std::string message) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = "{\"error\":\"" + message + "\"}";
  return r;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Core> core, tcp::socket socket) : core_(std::move(core)), stream_(std::move(socket)) {
    boost::system::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_address_ = ep.address().to_string();
  }

  ~Session() {
    std::lock_guard lock(core_->mutex);
    core_->sessions.erase(this);
  }

  // Registers the session with the server; false when the server is stopping.
  bool attach() {
    std::lock_guard lock(core_->mutex);
    if (core_->stopped) return false;
    core_->sessions.emplace(this, weak_from_this());
    return true;
  }

  tcp_executor executor() { return stream_.get_executor(); }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  // Called on the session's executor by the server when it stops.
  void close() {
    closing_ = true;
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  // Queues an answer from any thread; dropped when the server has stopped.
  void deliver(HttpResponse response) {
    std::lock_guard lock(core_->mutex);
    if (core_->stopped) return;
    asio::post(stream_.get_executor(),
               [self = shared_from_this(), r = std::move(response)]() mutable { self->write(std::move(r)); });
  }

 private:
  // One answer per request, whatever the handler does with `respond`: the first call wins; a
  // Respond dropped without being called answers 500 so the client is not left waiting.
  struct Slot {
    std::shared_ptr<Session> session;
    std::atomic<bool> done{false};
    ~Slot() {
      if (!done.exchange(true)) session->deliver(plain_error(500, "handler did not respond"));
    }
  };

  void read_header() {
    if (closing_) return;
    parser_.emplace();
    apply_limits(*parser_, core_->options);
    stream_.expires_after(core_->options.read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return fail_read(ec);
    auto& req = parser_->get();
    if (declares_oversized_body(*parser_, core_->options)) return refuse(413, body_limit_reason(core_->options));
    // curl and others wait for this before sending a large body.
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, req.version());
      stream_.expires_after(kWriteTimeout);
      bhttp::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code wec, std::size_t) {
        if (wec) return self->fail_read(wec);
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(core_->options.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
  }

  void fail_read(beast::error_code ec) {
    if (!closing_) {
      if (auto refusal = refusal_of(ec, core_->options)) return refuse(refusal->status, std::move(refusal->reason));
    }
    close();
  }

  void on_body(beast::error_code ec) {
    if (ec) return fail_read(ec);
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();

    HttpRequest request = request_head(msg);
    request.body = std::move(msg.body());
    request.remote_address = remote_address_;

    auto slot = std::make_shared<Slot>();
    slot->session = shared_from_this();
    Respond respond = [slot](HttpResponse response) {
      if (slot->done.exchange(true)) return;  // exactly once: later calls are ignored
      slot->session->deliver(std::move(response));
    };
    try {
      core_->handler(std::move(request), std::move(respond));
    } catch (...) {
      // The slot answers 500 when the last copy of `respond` is gone (already, if the handler kept none).
    }
  }

  // Answers a request that will not reach the handler, then closes after draining what the client
  // is still sending.
  void refuse(int status, std::string message) {
    keep_alive_ = false;
    refused_ = true;
    HttpRequest seen;
    if (parser_) {
      // Beast refuses an oversized Content-Length while finishing the header: the fields read so far
      // are there even when is_header_done() is not yet true.
      if (parser_->is_header_done()) version_ = parser_->get().version();
      seen = request_head(parser_->get());
    }
    seen.remote_address = remote_address_;
    if (core_->options.on_refused) {
      try {
        core_->options.on_refused(seen, status, message);
      } catch (...) {
        // A failing observer never changes the answer.
      }
    }
    write(plain_error(status, std::move(message)));
  }

  void write(HttpResponse r) {
    if (closing_) return;
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(r.status));
    for (auto& [name, value] : r.headers) {
      if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding") ||
          beast::iequals(name, "Connection")) {
        continue;
      }
      res->insert(name, value);
    }
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    stream_.expires_after(kWriteTimeout);
    bhttp::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      if (self->refused_) return self->linger();
      if (!self->keep_alive_) {
        beast::error_code sec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, sec);
        return self->close();
      }
      self->read_header();
    });
  }

  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kLingerTimeout);
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_buffer_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kLingerMaxBytes) return self->close();
      self->drain();
    });
  }

  std::shared_ptr<Core> core_;  // declared first: destroyed after the stream
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string remote_address_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool refused_ = false;
  bool closing_ = false;
  std::size_t drained_ = 0;
  std::array<char, 16384> drain_buffer_{};
};

}  // namespace

struct HttpServer::Impl {
  std::shared_ptr<Core> core = std::make_shared<Core>();
  tcp::acceptor acceptor{asio::make_strand(core->ioc)};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  tcp::endpoint bound;
  std::once_flag stop_once;

  void accept() {
    acceptor.async_accept(asio::make_strand(core->ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        auto session = std::make_shared<Session>(core, std::move(socket));
        if (session->attach()) session->start();
      }
      accept();
    });
  }

  void stop() {
    std::call_once(stop_once, [this] {
      std::vector<std::weak_ptr<Session>> live;
      {
        std::lock_guard lock(core->mutex);
        core->stopped = true;
        for (auto& [ptr, weak] : core->sessions) live.push_back(weak);
      }
      asio::post(acceptor.get_executor(), [this] {
        beast::error_code ec;
        acceptor.close(ec);
      });
      for (auto& weak : live) {
        if (auto s = weak.lock()) {
          // Posted to each session's strand: sockets are touched on their own executor only.
          asio::post(s->executor(), [s] { s->close(); });
        }
      }
      work.reset();
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    });
  }
};

}  // namespace corridor

namespace corridor {

HttpServer::HttpServer(const std::string& host, std::uint16_t port, HttpHandler handler, HttpServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->core->handler = std::move(handler);
  impl_->core->options = options;
  try {
    tcp::resolver resolver(impl_->core->ioc);
    auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service);
    if (results.empty()) throw std::runtime_error("no address for " + host);
    tcp::endpoint endpoint = results.begin()->endpoint();
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen(asio::socket_base::max_listen_connections);
    impl_->bound = impl_->acceptor.local_endpoint();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("http server: cannot listen on " + host + ":" + std::to_string(port) + ": " + e.what());
  }
  impl_->work.emplace(impl_->core->ioc.get_executor());
  impl_->accept();
  const int n = options.threads < 1 ? 1 : options.threads;
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([core = impl_->core] { core->ioc.run(); });
}

HttpServer::~HttpServer() { stop(); }

RequestRead read_request(std::string_view bytes, const HttpServerOptions& options) {
  RequestRead out;
  RequestParser parser;
  apply_limits(parser, options);
  std::string_view rest = bytes;
  bool head_checked = false;
  beast::error_code ec;
  while (!ec) {
    if (parser.is_header_done() && !head_checked) {
      head_checked = true;
      if (declares_oversized_body(parser, options)) {
        out.refused_status = 413;
        out.refused_reason = body_limit_reason(options);
        return out;
      }
    }
    if (parser.is_done()) break;
    const std::size_t n = parser.put(asio::buffer(rest.data(), rest.size()), ec);
    rest.remove_prefix(n);
    // Every byte left was offered: needing more means the peer's end of stream, as a session sees it.
    if (ec == bhttp::error::need_more || (!ec && n == 0)) {
      ec = {};
      if (parser.got_some()) {
        parser.put_eof(ec);
        if (!ec && !parser.is_done()) ec = bhttp::error::partial_message;
      } else {
        ec = bhttp::error::end_of_stream;
      }
    }
  }
  out.consumed = bytes.size() - rest.size();
  if (ec) {
    if (auto refusal = refusal_of(ec, options)) {
      out.refused_status = refusal->status;
      out.refused_reason = std::move(refusal->reason);
    }
    return out;
  }
  auto msg = parser.release();
  out.keep_alive = msg.keep_alive();
  out.request = request_head(msg);
  out.request->body = std::move(msg.body());
  return out;
}

std::uint16_t HttpServer::port() const { return impl_->bound.port(); }

std::string HttpServer::address() const {
  const auto a = impl_->bound.address();
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port()) : a.to_string() + ":" + std::to_string(port());
}

void HttpServer::stop() { impl_->stop(); }

}  // namespace corridor
