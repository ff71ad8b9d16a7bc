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
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <list>
#include <mutex>
#include <thread>

namespace lgsp::bus {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

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

  Impl(HttpServerOptions o, const Router& r, RequestObserver req, RejectObserver rej)
      : options(std::move(o)), router(r), on_request(std::move(req)), on_reject(std::move(rej)) {}

  void accept();
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

 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server)
      : stream_(make_stream(std::move(socket), *server)), server_(std::move(server)) {
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
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::eof || ec == net::error::bad_descriptor ||
        ec == net::ssl::error::stream_truncated)
      return close();
    started_ = std::chrono::steady_clock::now();
    if (ec == http::error::body_limit)
      return reject(errors::kRequestTooLarge, "the request body exceeds the limit of " +
                                                  std::to_string(server_->options.max_body_bytes) + " bytes");
    if (ec == http::error::header_limit)
      return reject(errors::kHeadersTooLarge, "the request headers exceed the limit of " +
                                                  std::to_string(server_->options.max_header_bytes) + " bytes");
    if (ec) return reject(errors::kMalformedRequest, "cannot parse the request: " + ec.message());
    handle(parser_->release());
  }

  void reject(const ErrorCode& error, const std::string& detail) {
    if (server_->on_reject) server_->on_reject(error.http_status, std::string(error.code), remote_);
    keep_alive_ = false;  // the stream position is unknown after a parse error
    route_ = "invalid";
    send(problem(error, detail), 11);
  }

  void handle(http::request<http::string_body>&& req) {
    busy_ = true;
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    auto q = request.target.find('?');
    request.path = request.target.substr(0, q);
    if (q != std::string::npos) request.query = request.target.substr(q + 1);
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(field.value());
    }
    request.body = std::move(req.body());
    request.remote = remote_;
    request.peer_certificate_sha256 = peer_certificate_;

    if (request.path.empty() || request.path.front() != '/') {
      route_ = "invalid";
      return send(problem(errors::kMalformedRequest, "the request target must be an absolute path"), version_);
    }
    auto match = server_->router.match(request);
    if (!match.handler) {
      if (!match.allowed_methods.empty()) {
        route_ = match.route;
        std::string allow;
        for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
        auto r = problem(errors::kMethodNotAllowed, request.method + " is not allowed on " + request.path);
        r.headers.emplace_back("Allow", allow);
        return send(std::move(r), version_);
      }
      route_ = "unmatched";
      return send(problem(errors::kUnknownRoute, "no resource at " + request.path), version_);
    }
    route_ = match.route;
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
      (*match.handler)(request, reply);
    } catch (const std::exception& e) {
      log::error("http.handler_failed", {{"route", route_}, {"error", e.what()}});
      reply(problem(errors::kInternal, "the request could not be processed"));
    }
  }

  void send(HttpResponse response, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(response.status), version);
    res->set(http::field::server, "lgsp");
    res->set(http::field::content_type, response.content_type);
    for (auto& [k, v] : response.headers) res->set(k, v);
    bool keep = keep_alive_ && !server_->draining;
    res->keep_alive(keep);
    res->body() = std::move(response.body);
    res->prepare_payload();
    if (head_) res->body().clear();  // Content-Length still tells the size of the GET answer
    status_ = response.status;
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
    if (ec || !keep) return close();
    read();
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
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpServer::Impl> server_;
  std::list<std::weak_ptr<SessionBase>>::iterator registration_;
  bool registered_ = false;
  std::string remote_;
  std::string peer_certificate_;
  std::string route_;
  unsigned status_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool busy_ = false;
  bool head_ = false;
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
    if (!ec) {
      if (self->tls)
        std::make_shared<Session<TlsStream>>(std::move(socket), self)->start();
      else
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), self)->start();
    } else {
      log::warn("http.accept_failed", {{"error", ec.message()}});
    }
    self->accept();
  });
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

}  // namespace lgsp::bus
