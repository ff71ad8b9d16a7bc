#include "lgsp/bus/http_server.hpp"

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/io_thread.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/thread_name.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <future>
#include <list>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace lgsp::bus {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

using Parser = http::request_parser<http::string_body>;
using RequestHeader = http::request_header<>;

// A request refused before its handler runs; the connection closes after the answer.
struct Refusal {
  const ErrorCode* error = &errors::kMalformedRequest;
  std::string detail;
};

enum class Progress { need_more, done, refused };

Refusal refusal_for(beast::error_code ec, std::uint64_t body_limit, std::uint32_t header_limit) {
  if (ec == http::error::body_limit)
    return {&errors::kRequestTooLarge,
            "the request body exceeds the limit of " + std::to_string(body_limit) + " bytes"};
  if (ec == http::error::header_limit)
    return {&errors::kHeadersTooLarge,
            "the request headers exceed the limit of " + std::to_string(header_limit) + " bytes"};
  return {&errors::kMalformedRequest, "cannot parse the request: " + ec.message()};
}

// Beast's string_view is Boost's or the standard one, depending on the Boost version and compiler.
std::string_view std_view(beast::string_view v) { return std::string_view(v.data(), v.size()); }

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string quoted(std::string_view v) { return "'" + std::string(v.substr(0, 64)) + (v.size() > 64 ? "...'" : "'"); }

// Beast unfolds obs-fold (a header line starting with SP or HTAB) without telling; RFC 9112 section 5.2 lets
// a server refuse it instead, and a proxy in front may read the folded line differently, so it is refused on
// the raw bytes. Only the header block counts: a body may hold anything.
bool has_folded_line(std::string_view buffered) {
  while (!buffered.empty() && (buffered.front() == '\r' || buffered.front() == '\n')) buffered.remove_prefix(1);
  auto end = buffered.find("\r\n\r\n");
  if (end == std::string_view::npos) return false;  // not complete yet: checked when it is
  auto head = buffered.substr(0, end + 2);
  for (auto i = head.find('\n'); i != std::string_view::npos && i + 1 < head.size(); i = head.find('\n', i + 1))
    if (head[i + 1] == ' ' || head[i + 1] == '\t') return true;
  return false;
}

// Parses the buffered bytes until the header is complete (Beast needs the whole header buffered, so it
// consumes nothing until then).
Progress parse_header(Parser& parser, beast::flat_buffer& buffer, const HttpServerOptions& o, Refusal& refusal) {
  if (buffer.size() == 0) return Progress::need_more;
  auto data = buffer.data();
  if (has_folded_line(std::string_view(static_cast<const char*>(data.data()), data.size()))) {
    refusal = {&errors::kBadFraming, "a header line starts with a space or a tab (obsolete line folding)"};
    return Progress::refused;
  }
  beast::error_code ec;
  auto used = parser.put(buffer.data(), ec);
  buffer.consume(used);
  if (ec == http::error::need_more) return Progress::need_more;
  if (ec) {
    refusal = refusal_for(ec, o.max_body_bytes, o.max_header_bytes);
    return Progress::refused;
  }
  return parser.is_header_done() ? Progress::done : Progress::need_more;
}

// RFC 9112 sections 6.1-6.3: only one reading of where the body ends is allowed, or a proxy and this server
// could split the bytes into different requests (request smuggling).
std::optional<Refusal> check_framing(const RequestHeader& h) {
  auto bad = [](std::string detail) { return Refusal{&errors::kBadFraming, std::move(detail)}; };
  std::size_t te = 0, cl = 0, host = 0;
  std::string_view te_value, cl_value;
  for (const auto& f : h) {
    if (f.name() == http::field::transfer_encoding) {
      ++te;
      te_value = std_view(f.value());
    } else if (f.name() == http::field::content_length) {
      ++cl;
      cl_value = std_view(f.value());
    } else if (f.name() == http::field::host) {
      ++host;
    }
  }
  if (te > 1) return bad("Transfer-Encoding is given more than once");
  if (cl > 1) return bad("Content-Length is given more than once");
  if (host > 1) return bad("Host is given more than once");
  if (te && cl) return bad("Transfer-Encoding and Content-Length are both given");
  if (te) {
    if (h.version() < 11) return bad("Transfer-Encoding in an HTTP/1.0 request");
    if (!iequals(trim(te_value), "chunked"))
      return bad("Transfer-Encoding must be exactly 'chunked', got " + quoted(te_value));
  }
  if (cl) {
    auto v = trim(cl_value);
    bool digits = !v.empty() && v.size() <= 19;
    for (char c : v) digits = digits && c >= '0' && c <= '9';
    if (!digits) return bad("Content-Length must be a decimal number of bytes, got " + quoted(cl_value));
  }
  return std::nullopt;
}

std::optional<std::uint64_t> announced_length(const Parser& parser) {
  auto n = parser.content_length();
  return n ? std::optional<std::uint64_t>(*n) : std::nullopt;
}

bool expects_continue(const RequestHeader& h) {
  auto it = h.find(http::field::expect);
  return h.version() >= 11 && it != h.end() && iequals(trim(std_view(it->value())), "100-continue");
}

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// A request refused on its header whose body is announced at most this long has the body read and dropped,
// so the connection stays usable (a client that sent a small body with a wrong key keeps its keep-alive).
// A longer or chunked body is never read: the connection closes instead.
constexpr std::uint64_t kSkippableBody = 16 * 1024;

bool skippable(const Parser& parser) {
  auto n = parser.content_length();
  // A client waiting for "100 Continue" has sent no body: it gets the refusal at once.
  return !parser.chunked() && n && *n <= kSkippableBody && !expects_continue(parser.get().base());
}

HttpRequest header_request(const RequestHeader& h, const std::string& remote, const std::string& peer_certificate) {
  HttpRequest request;
  request.method = std::string(h.method_string());
  request.target = std::string(h.target());
  auto q = request.target.find('?');
  request.path = request.target.substr(0, q);
  if (q != std::string::npos) request.query = request.target.substr(q + 1);
  for (const auto& field : h) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers[name] = std::string(field.value());
  }
  request.remote = remote;
  request.peer_certificate_sha256 = peer_certificate;
  return request;
}

// What the header alone decides: the route, the body limit, or an answer that ends the request unread.
struct HeaderDecision {
  const Handler* handler = nullptr;
  std::string route = "invalid";
  std::uint64_t body_limit = 0;
  std::optional<HttpResponse> answer;
  bool refused_by_check = false;
};

HeaderDecision decide_on_header(const Router& router, const HttpServerOptions& o, HttpRequest& request,
                                std::optional<std::uint64_t> content_length) {
  HeaderDecision d;
  if (request.path.empty() || request.path.front() != '/') {
    d.answer = problem(errors::kMalformedRequest, "the request target must be an absolute path");
    return d;
  }
  auto match = router.match(request);
  d.route = match.route;
  if (!match.handler) {
    if (!match.allowed_methods.empty()) {
      std::string allow;
      for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
      d.answer = problem(errors::kMethodNotAllowed, request.method + " is not allowed on " + request.path);
      d.answer->headers.emplace_back("Allow", allow);
      return d;
    }
    d.route = "unmatched";
    d.answer = problem(errors::kUnknownRoute, "no resource at " + request.path);
    return d;
  }
  d.body_limit = o.max_body_bytes;
  if (match.max_body_bytes && match.max_body_bytes < d.body_limit) d.body_limit = match.max_body_bytes;
  if (content_length && *content_length > d.body_limit) {
    d.answer = problem(errors::kRequestTooLarge,
                       "the request body exceeds the limit of " + std::to_string(d.body_limit) + " bytes");
    d.refused_by_check = true;
    return d;
  }
  auto run = [&](const HeaderCheck& check) {
    if (!check || d.answer) return;
    try {
      d.answer = check(request);
    } catch (const std::exception& e) {
      log::error("http.header_check_failed", {{"route", d.route}, {"error", e.what()}});
      d.answer = problem(errors::kInternal, "the request could not be checked");
    }
    d.refused_by_check = d.answer.has_value();
  };
  run(o.header_check);
  if (match.checks)
    for (const auto& check : *match.checks) run(check);
  if (!d.answer) d.handler = match.handler;
  return d;
}

http::response<http::string_body> to_message(HttpResponse response, unsigned version, bool keep, bool head) {
  http::response<http::string_body> res(static_cast<http::status>(response.status), version);
  res.set(http::field::server, "lgsp");
  res.set(http::field::content_type, response.content_type);
  for (auto& [k, v] : response.headers) res.set(k, v);
  res.keep_alive(keep);
  res.body() = std::move(response.body);
  res.prepare_payload();
  if (head) res.body().clear();  // Content-Length still tells the size of the GET answer
  return res;
}

// One log line per interval for a condition that can repeat thousands of times a second (accept failing
// while out of file descriptors); the line says how many were left out since the last one.
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::seconds interval) : interval_(interval) {}
  // The count left out since the last line when a line is due now; nullopt (counted) otherwise.
  std::optional<std::uint64_t> due() {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    if (logged_ && now - last_ < interval_) {
      ++suppressed_;
      return std::nullopt;
    }
    logged_ = true;
    last_ = now;
    return std::exchange(suppressed_, 0);
  }

 private:
  std::mutex mutex_;
  std::chrono::seconds interval_;
  std::chrono::steady_clock::time_point last_;
  bool logged_ = false;
  std::uint64_t suppressed_ = 0;
};

// Out of descriptors or memory, the same accept fails again at once: the loop waits instead of spinning
// (the pending connections wait in the listen backlog meanwhile). Other failures wait a little too.
bool resource_exhausted(const beast::error_code& ec) {
  return ec == beast::error_code(EMFILE, boost::system::system_category()) ||
         ec == beast::error_code(ENFILE, boost::system::system_category()) ||
         ec == beast::error_code(ENOBUFS, boost::system::system_category()) ||
         ec == beast::error_code(ENOMEM, boost::system::system_category());
}
constexpr std::chrono::milliseconds kAcceptBackoffFirst{10};
constexpr std::chrono::milliseconds kAcceptBackoffOther{1};
constexpr std::chrono::milliseconds kAcceptBackoffMax{1000};
constexpr std::chrono::seconds kLogInterval{5};

// What the server needs from a connection, whatever its stream (plain TCP or TLS).
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // On drain: close now if idle between requests; otherwise finish the request in flight.
  virtual void on_drain() = 0;
  // Only once no io thread runs.
  virtual void close_now() = 0;
  virtual void force_close() = 0;
};

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  HttpServerOptions options;
  const Router& router;
  RequestObserver on_request;
  RejectObserver on_reject;

  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::size_t next_context = 0;
  HostPort bound;

  std::atomic<bool> draining{false};
  mutable std::mutex sessions_mutex;
  std::condition_variable sessions_changed;
  std::list<std::weak_ptr<SessionBase>> sessions;
  std::atomic<bool> stopped{false};
  std::unique_ptr<net::ssl::context> tls;  // null: plain HTTP

  // The accept loop's wait after a failed accept (on the acceptor's thread only).
  std::unique_ptr<net::steady_timer> accept_timer;
  std::chrono::milliseconds accept_backoff{0};
  LogThrottle accept_log{kLogInterval};
  LogThrottle refused_log{kLogInterval};
  std::mutex sources_mutex;
  std::unordered_map<std::string, unsigned> per_source;  // open connections by source address

  Impl(HttpServerOptions o, const Router& r, RequestObserver req, RejectObserver rej)
      : options(std::move(o)), router(r), on_request(std::move(req)), on_reject(std::move(rej)) {}

  void accept();
  void accept_failed(const beast::error_code& ec);
  void admit(tcp::socket socket);
  void release_source(const std::string& source) {
    std::lock_guard lock(sources_mutex);
    auto it = per_source.find(source);
    if (it != per_source.end() && --it->second == 0) per_source.erase(it);
  }
  std::list<std::weak_ptr<SessionBase>>::iterator add_session(const std::shared_ptr<SessionBase>& s) {
    std::lock_guard lock(sessions_mutex);
    return sessions.insert(sessions.end(), s);
  }
  void remove_session(std::list<std::weak_ptr<SessionBase>>::iterator it) {
    {
      std::lock_guard lock(sessions_mutex);
      sessions.erase(it);
    }
    sessions_changed.notify_all();
  }
  void stop_threads();
};

namespace {

std::string endpoint_text(const tcp::endpoint& ep) {
  auto addr = ep.address();
  return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" + std::to_string(ep.port());
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// SHA-256 of the DER certificate the client presented, if the handshake verified one.
std::string peer_fingerprint(TlsStream& stream) {
  SSL* ssl = stream.native_handle();
  if (SSL_get_verify_result(ssl) != X509_V_OK) return {};
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return {};
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  X509_free(cert);
  if (len <= 0) return {};
  std::string fp = sha256_hex(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  return fp;
}

// One connection: owns its stream, buffer and parser; lives as long as its async chain.
// `Stream` is beast::tcp_stream (plain HTTP, loopback only) or TlsStream.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  static constexpr std::size_t kReadChunk = 16 * 1024;
  static constexpr std::chrono::seconds kLingerTime{2};
  static constexpr std::uint64_t kLingerBytes = 16 * 1024 * 1024;

 public:
  // `source` is the address counted against max_connections_per_source (empty: not counted).
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server, std::string source)
      : stream_(make_stream(std::move(socket), *server)), server_(std::move(server)), source_(std::move(source)) {
    beast::error_code ec;
    auto ep = lowest().socket().remote_endpoint(ec);
    remote_ = ec ? "unknown" : endpoint_text(ep);
  }

  void start() {
    registration_ = server_->add_session(this->shared_from_this());
    registered_ = true;
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->handshake(); });
  }

  ~Session() override {
    if (registered_) server_->remove_session(registration_);
    if (!source_.empty()) server_->release_source(source_);
  }

  void on_drain() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      bool mid_request = self->busy_ || self->buffer_.size() > 0 || (self->parser_ && self->parser_->got_some());
      if (!mid_request) self->close();
    });
  }

  void close_now() override { close(); }

  void force_close() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->close(); });
  }

 private:
  static Stream make_stream(tcp::socket socket, HttpServer::Impl& server) {
    if constexpr (kTls)
      return Stream(beast::tcp_stream(std::move(socket)), *server.tls);
    else
      return Stream(std::move(socket));
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void handshake() {
    if constexpr (kTls) {
      lowest().expires_after(server_->options.request_timeout);
      stream_.async_handshake(net::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) {
          // Not an HTTP request yet: nothing to answer. Recorded so an operator
          // can see refused clients (no certificate, untrusted CA, bad TLS).
          if (self->server_->on_reject) self->server_->on_reject(0, "tls-handshake: " + ec.message(), self->remote_);
          return self->close();
        }
        self->peer_certificate_ = peer_fingerprint(self->stream_);
        self->read();
      });
    } else {
      read();
    }
  }

  void read() {
    if (server_->draining) return close();
    parser_.emplace();
    parser_->body_limit(server_->options.max_body_bytes);
    parser_->header_limit(server_->options.max_header_bytes);
    lowest().expires_after(server_->options.request_timeout);
    read_header();
  }

  // The header first, on its own: nothing of the body is read before the header is decided on.
  void read_header() {
    Refusal refusal;
    switch (parse_header(*parser_, buffer_, server_->options, refusal)) {
      case Progress::done:
        return on_header();
      case Progress::refused:
        started_ = std::chrono::steady_clock::now();
        return reject(refusal);
      case Progress::need_more:
        break;
    }
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              // Closed, reset, timed out or torn down: nothing to answer.
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->read_header();
                            });
  }

  void on_header() {
    started_ = std::chrono::steady_clock::now();
    const auto& h = parser_->get().base();
    version_ = h.version();
    keep_alive_ = parser_->keep_alive();
    head_ = h.method() == http::verb::head;
    if (auto bad = check_framing(h)) return reject(*bad);
    request_ = header_request(h, remote_, peer_certificate_);
    auto decision = decide_on_header(server_->router, server_->options, request_, announced_length(*parser_));
    route_ = decision.route;
    if (decision.answer) {
      if (decision.refused_by_check && server_->on_reject) {
        auto body = nlohmann::json::parse(decision.answer->body, nullptr, false);
        server_->on_reject(decision.answer->status, body.is_object() ? body.value("code", "") : "", remote_);
      }
      if (!parser_->is_done() && decision.answer->status != 413 && skippable(*parser_)) {
        after_body_ = std::move(decision.answer);
        body_limit_ = kSkippableBody;
        return read_body();
      }
      // The announced body is never read: the stream position after it is unknown, so the connection ends.
      if (!parser_->is_done()) {
        keep_alive_ = false;
        linger_ = true;
      }
      return send(std::move(*decision.answer), version_);
    }
    handler_ = decision.handler;
    if (parser_->is_done()) return dispatch();
    body_limit_ = decision.body_limit;
    parser_->body_limit(body_limit_);
    if (!expects_continue(h)) return read_body();
    net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->close();
                       self->read_body();
                     });
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::eof || ec == net::error::bad_descriptor ||
        ec == net::ssl::error::stream_truncated || ec == http::error::partial_message)
      return close();
    if (ec) return reject(refusal_for(ec, body_limit_, server_->options.max_header_bytes));
    if (after_body_) {  // refused on the header; its small body was only skipped
      auto answer = std::move(*after_body_);
      after_body_.reset();
      return send(std::move(answer), version_);
    }
    request_.body = std::move(parser_->get().body());
    dispatch();
  }

  void reject(const Refusal& refusal) {
    if (server_->on_reject) server_->on_reject(refusal.error->http_status, std::string(refusal.error->code), remote_);
    keep_alive_ = false;  // the stream position is unknown after a parse error
    linger_ = true;
    route_ = "invalid";
    send(problem(*refusal.error, refusal.detail), 11);
  }

  void dispatch() {
    busy_ = true;
    // A handler that loses its Reply without answering must not leave the client hanging.
    struct ReplyState {
      std::shared_ptr<Session> session;
      std::atomic<bool> answered{false};
      void answer(HttpResponse response) {
        if (answered.exchange(true)) return;    // a handler answers once; later calls are ignored
        if (session->server_->stopped) return;  // too late: the connection is gone
        net::post(session->stream_.get_executor(),
                  [s = session, r = std::move(response)]() mutable { s->send(std::move(r), s->version_); });
      }
      ~ReplyState() {
        if (!answered) answer(problem(errors::kInternal, "the request was dropped without an answer"));
      }
    };
    auto state = std::make_shared<ReplyState>();
    state->session = this->shared_from_this();
    Reply reply = [state](HttpResponse response) { state->answer(std::move(response)); };
    try {
      (*handler_)(request_, reply);
    } catch (const std::exception& e) {
      log::error("http.handler_failed", {{"route", route_}, {"error", e.what()}});
      reply(problem(errors::kInternal, "the request could not be processed"));
    }
  }

  void send(HttpResponse response, unsigned version) {
    bool keep = keep_alive_ && !server_->draining;
    status_ = response.status;
    auto res =
        std::make_shared<http::response<http::string_body>>(to_message(std::move(response), version, keep, head_));
    lowest().expires_after(server_->options.request_timeout);
    http::async_write(stream_, *res, [self = this->shared_from_this(), res, keep](beast::error_code ec, std::size_t) {
      self->on_write(ec, keep);
    });
  }

  void on_write(beast::error_code ec, bool keep) {
    busy_ = false;
    head_ = false;
    if (server_->on_request) {
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
      server_->on_request(route_, status_, seconds);
    }
    if (!ec && !keep && linger_) return linger_close();
    if (ec || !keep) return close();
    read();
  }

  // After refusing a request whose body was not read: stop sending and discard what still arrives, for a
  // short while, into a small fixed buffer. Closing with unread bytes would reset the connection, and the
  // client, still sending its body, would lose the answer. Memory stays bounded; time and bytes too.
  void linger_close() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(kLingerTime);
    discard();
  }

  void discard() {
    lowest().async_read_some(net::buffer(discard_buffer_),
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                               self->discarded_ += n;
                               if (ec || self->discarded_ > kLingerBytes) return self->close();
                               self->discard();
                             });
  }

  // TLS close_notify is skipped on purpose: HTTP/1.1 framing already tells where the answer ends,
  // and waiting for the peer's close_notify would let a silent client hold the connection.
  void close() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::shared_ptr<HttpServer::Impl> server_;
  std::string source_;
  std::list<std::weak_ptr<SessionBase>>::iterator registration_;
  bool registered_ = false;
  std::string remote_;
  std::string peer_certificate_;
  std::string route_;
  HttpRequest request_;
  const Handler* handler_ = nullptr;
  std::optional<HttpResponse> after_body_;
  std::uint64_t body_limit_ = 0;
  unsigned status_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool busy_ = false;
  bool head_ = false;
  bool linger_ = false;
  std::uint64_t discarded_ = 0;
  std::array<char, 16 * 1024> discard_buffer_{};
  std::chrono::steady_clock::time_point started_;
};

}  // namespace

void HttpServer::Impl::stop_threads() {
  if (stopped.exchange(true)) return;
  for (auto& g : guards) g.reset();
  for (auto& c : contexts) c->stop();
  for (auto& t : threads)
    if (t.joinable()) t.join();
  // No io thread runs now. Close what is left and let the aborted operations complete here, so the
  // queued handlers release their sessions (which hold this object: otherwise a reference cycle).
  if (acceptor) {
    beast::error_code ignored;
    acceptor->close(ignored);
  }
  if (accept_timer) accept_timer->cancel();
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(sessions_mutex);
    for (auto& w : sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->close_now();
  live.clear();
  for (auto& c : contexts) {
    c->restart();
    while (c->poll() > 0) {
    }
  }
}

void HttpServer::Impl::accept() {
  auto& target = *contexts[next_context];
  next_context = (next_context + 1) % contexts.size();
  acceptor->async_accept(target, [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor->is_open()) return;
    if (ec) return self->accept_failed(ec);
    self->accept_backoff = std::chrono::milliseconds(0);
    self->admit(std::move(socket));
    self->accept();
  });
}

void HttpServer::Impl::accept_failed(const beast::error_code& ec) {
  const bool exhausted = resource_exhausted(ec);
  if (exhausted)
    accept_backoff =
        accept_backoff.count() == 0 ? kAcceptBackoffFirst : std::min(accept_backoff * 2, kAcceptBackoffMax);
  else
    accept_backoff = kAcceptBackoffOther;
  if (auto suppressed = accept_log.due())
    log::warn("http.accept_failed", {{"error", ec.message()},
                                     {"retry_in_ms", accept_backoff.count()},
                                     {"suppressed_since_last_line", *suppressed}});
  accept_timer->expires_after(accept_backoff);
  accept_timer->async_wait([self = shared_from_this()](beast::error_code wait_ec) {
    if (wait_ec || self->draining || !self->acceptor->is_open()) return;
    self->accept();
  });
}

void HttpServer::Impl::admit(tcp::socket socket) {
  std::string source;
  if (options.max_connections_per_source > 0) {
    beast::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    source = ec ? "unknown" : ep.address().to_string();
    bool admitted;
    {
      std::lock_guard lock(sources_mutex);
      auto& open = per_source[source];
      admitted = open < options.max_connections_per_source;
      if (admitted) ++open;
    }
    if (!admitted) {
      // Closed at once, unanswered: a flood from one address must not hold the descriptors others need.
      beast::error_code ignored;
      socket.set_option(net::socket_base::linger(true, 0), ignored);
      socket.close(ignored);
      if (options.on_connection_refused) options.on_connection_refused("per_source_limit");
      if (auto suppressed = refused_log.due())
        log::warn("http.connection_refused", {{"source", source},
                                              {"reason", "per_source_limit"},
                                              {"limit", options.max_connections_per_source},
                                              {"suppressed_since_last_line", *suppressed}});
      return;
    }
  }
  if (tls)
    std::make_shared<Session<TlsStream>>(std::move(socket), shared_from_this(), std::move(source))->start();
  else
    std::make_shared<Session<beast::tcp_stream>>(std::move(socket), shared_from_this(), std::move(source))->start();
}

namespace {

std::unique_ptr<net::ssl::context> make_server_tls_context(const TlsConfig& tls) {
  auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 | net::ssl::context::no_sslv3 |
                   net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  auto load = [&](const char* key, const std::filesystem::path& file, auto&& fn) {
    beast::error_code ec;
    fn(file.string(), ec);
    if (ec) throw ConfigError(std::string(key) + " " + file.string(), "cannot load: " + ec.message());
  };
  load("tls.certificate", tls.certificate,
       [&](const std::string& f, beast::error_code& ec) { ctx->use_certificate_chain_file(f, ec); });
  load("tls.private_key", tls.private_key,
       [&](const std::string& f, beast::error_code& ec) { ctx->use_private_key_file(f, net::ssl::context::pem, ec); });
  if (!tls.client_ca.empty()) {
    load("tls.client_ca", tls.client_ca,
         [&](const std::string& f, beast::error_code& ec) { ctx->load_verify_file(f, ec); });
    // Ask every client for a certificate; one that does not chain to client_ca fails the handshake.
    // Without require_client_certificate a client may still send none and use an API key instead.
    auto mode = net::ssl::verify_peer;
    if (tls.require_client_certificate) mode |= net::ssl::verify_fail_if_no_peer_cert;
    ctx->set_verify_mode(mode);
  }
  return ctx;
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, const Router& router, RequestObserver on_request,
                       RejectObserver on_reject)
    : impl_(std::make_shared<Impl>(std::move(options), router, std::move(on_request), std::move(on_reject))) {}

HttpServer::~HttpServer() { drain(std::chrono::milliseconds(0)); }

void HttpServer::start() {
  auto& o = impl_->options;
  const unsigned n = std::max(1u, o.threads);
  for (unsigned i = 0; i < n; ++i) {
    impl_->contexts.push_back(std::make_unique<net::io_context>(1));
    impl_->guards.push_back(net::make_work_guard(*impl_->contexts.back()));
  }
  const std::string what = "listen " + o.listen.to_string();
  if (o.tls.enabled()) impl_->tls = make_server_tls_context(o.tls);
  try {
    beast::error_code ec;
    auto address = net::ip::make_address(o.listen.host, ec);
    tcp::endpoint endpoint;
    if (ec) {
      tcp::resolver resolver(*impl_->contexts[0]);
      auto results = resolver.resolve(o.listen.host, std::to_string(o.listen.port));
      endpoint = results.begin()->endpoint();
    } else {
      endpoint = tcp::endpoint(address, o.listen.port);
    }
    impl_->acceptor = std::make_unique<tcp::acceptor>(*impl_->contexts[0]);
    impl_->accept_timer = std::make_unique<net::steady_timer>(*impl_->contexts[0]);
    impl_->acceptor->open(endpoint.protocol());
    impl_->acceptor->set_option(net::socket_base::reuse_address(true));
    impl_->acceptor->bind(endpoint);
    impl_->acceptor->listen(net::socket_base::max_listen_connections);
    auto local = impl_->acceptor->local_endpoint();
    impl_->bound = HostPort{local.address().to_string(), local.port()};
  } catch (const boost::system::system_error& e) {
    throw ConfigError(what, e.code().message());
  }
  impl_->accept();
  for (auto& c : impl_->contexts) {
    impl_->threads.emplace_back([ctx = c.get()] {
      name_this_thread("lgsp-http");
      const IoThreadScope scope(*ctx);
      for (;;) {
        try {
          ctx->run();
          return;
        } catch (const std::exception& e) {
          log::error("http.thread_error", {{"error", e.what()}});
        }
      }
    });
  }
}

HostPort HttpServer::local_endpoint() const { return impl_->bound; }

std::size_t HttpServer::open_connections() const {
  std::lock_guard lock(impl_->sessions_mutex);
  return impl_->sessions.size();
}

bool HttpServer::drain(std::chrono::milliseconds timeout) {
  if (impl_->stopped) return true;
  impl_->draining = true;
  if (impl_->acceptor) {
    std::promise<void> closed;
    auto done = closed.get_future();
    net::post(impl_->acceptor->get_executor(), [this, &closed] {
      beast::error_code ignored;
      impl_->acceptor->close(ignored);
      if (impl_->accept_timer) impl_->accept_timer->cancel();
      closed.set_value();
    });
    if (!impl_->threads.empty()) done.wait();
  }
  auto for_each_session = [&](auto fn) {
    std::vector<std::shared_ptr<SessionBase>> live;
    {
      std::lock_guard lock(impl_->sessions_mutex);
      for (auto& w : impl_->sessions)
        if (auto s = w.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) fn(*s);
  };
  for_each_session([](SessionBase& s) { s.on_drain(); });
  bool finished;
  {
    std::unique_lock lock(impl_->sessions_mutex);
    finished = impl_->sessions_changed.wait_for(lock, timeout, [&] { return impl_->sessions.empty(); });
  }
  if (!finished) {
    log::warn("http.drain_timeout", {{"open_connections", open_connections()}});
    for_each_session([](SessionBase& s) { s.force_close(); });
    std::unique_lock lock(impl_->sessions_mutex);
    impl_->sessions_changed.wait_for(lock, std::chrono::seconds(2), [&] { return impl_->sessions.empty(); });
  }
  impl_->stop_threads();
  return finished;
}

std::string serve_in_memory(const Router& router, const HttpServerOptions& options, std::string_view input,
                            const std::string& remote) {
  std::ostringstream out;
  beast::flat_buffer buffer;
  auto in = buffer.prepare(input.size());
  net::buffer_copy(in, net::buffer(input.data(), input.size()));
  buffer.commit(input.size());
  auto write = [&](HttpResponse response, unsigned version, bool keep, bool head) {
    out << to_message(std::move(response), version, keep, head);
    return keep;
  };
  for (;;) {  // one request per round, as Session::read does
    Parser parser;
    parser.body_limit(options.max_body_bytes);
    parser.header_limit(options.max_header_bytes);
    Refusal refusal;
    auto progress = parse_header(parser, buffer, options, refusal);
    if (progress == Progress::need_more) break;  // the input ended: the connection closes unanswered
    if (progress == Progress::refused) {
      write(problem(*refusal.error, refusal.detail), 11, false, false);
      break;
    }
    const auto& h = parser.get().base();
    const unsigned version = h.version();
    const bool head = h.method() == http::verb::head;
    bool keep = parser.keep_alive();
    if (auto bad = check_framing(h)) {
      write(problem(*bad->error, bad->detail), 11, false, false);
      break;
    }
    HttpRequest request = header_request(h, remote, {});
    auto decision = decide_on_header(router, options, request, announced_length(parser));
    const bool skip = decision.answer && !parser.is_done() && decision.answer->status != 413 && skippable(parser);
    if (decision.answer && !skip) {
      if (!parser.is_done()) keep = false;
      if (!write(std::move(*decision.answer), version, keep, head)) break;
      continue;
    }
    if (!parser.is_done()) {
      parser.body_limit(skip ? kSkippableBody : decision.body_limit);
      if (!skip && expects_continue(h)) out << kContinue;
      beast::error_code ec;
      while (!parser.is_done() && buffer.size() > 0) {
        auto used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec || used == 0) break;
      }
      if (ec == http::error::need_more || (!ec && !parser.is_done())) break;  // the input ended mid-body
      if (ec) {
        auto r = refusal_for(ec, decision.body_limit, options.max_header_bytes);
        write(problem(*r.error, r.detail), 11, false, false);
        break;
      }
      request.body = std::move(parser.get().body());
    }
    if (skip) {
      if (!write(std::move(*decision.answer), version, keep, head)) break;
      continue;
    }
    std::optional<HttpResponse> answer;
    Reply reply = [&answer](HttpResponse r) {
      if (!answer) answer = std::move(r);
    };
    try {
      (*decision.handler)(request, reply);
    } catch (const std::exception&) {
      reply(problem(errors::kInternal, "the request could not be processed"));
    }
    if (!answer) break;  // answered later, if at all: not waited for
    if (!write(std::move(*answer), version, keep, head)) break;
  }
  return out.str();
}

}  // namespace lgsp::bus
