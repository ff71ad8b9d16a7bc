#include "lgsp/bus/outbound_client.hpp"

#include "lgsp/bus/config.hpp"
#include "lgsp/bus/io_thread.hpp"
#include "lgsp/bus/thread_name.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <charconv>
#include <future>
#include <map>
#include <mutex>
#include <thread>

namespace lgsp::bus {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::optional<Url> Url::parse(const std::string& text) {
  Url url;
  std::string rest;
  if (text.rfind("http://", 0) == 0) {
    rest = text.substr(7);
  } else if (text.rfind("https://", 0) == 0) {
    url.https = true;
    rest = text.substr(8);
  } else {
    return std::nullopt;
  }
  auto slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  url.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (url.target.front() == '?') url.target = "/" + url.target;
  if (authority.empty() || authority.find('@') != std::string::npos) return std::nullopt;
  std::string port_text;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port_text = authority.substr(close + 2);
    }
  } else {
    auto colon = authority.find(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return std::nullopt;
  url.port = url.https ? 443 : 80;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
      return std::nullopt;
    url.port = static_cast<std::uint16_t>(port);
  }
  return url;
}

std::string Url::origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (https ? "https://" : "http://") + h + ":" + std::to_string(port);
}

std::optional<std::string> OutboundResponse::header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return std::nullopt;
}

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

OutboundResponse failed(OutboundResponse::Failure kind, std::string why) {
  OutboundResponse r;
  r.failure = kind;
  r.error = std::move(why);
  return r;
}

// One request in flight, possibly retried once on a fresh connection.
struct Exchange {
  OutboundRequest request;
  Url url;
  OutboundClient::Callback done;
  Clock::time_point deadline;
  bool retried = false;
  // The caller's I/O thread's io_context, when the request was sent from one: the connection runs
  // there and the callback too. Null: the client's own threads.
  net::io_context* home = nullptr;

  std::chrono::milliseconds remaining() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return std::max(left, std::chrono::milliseconds(1));
  }
};

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // `fresh`: the connection was just opened (a failure is the server's, not a stale keep-alive).
  virtual void run(std::shared_ptr<Exchange> exchange, bool fresh) = 0;
};

}  // namespace

struct OutboundClient::Impl : std::enable_shared_from_this<OutboundClient::Impl> {
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
  std::vector<std::thread> threads;
  std::optional<net::ssl::context> tls;
  std::uint64_t max_response_bytes;

  std::mutex pool_mutex;
  std::map<std::string, std::vector<std::shared_ptr<ConnectionBase>>> idle;  // by origin
  static constexpr std::size_t kMaxIdlePerOrigin = 64;

  std::shared_ptr<ConnectionBase> take_idle(const std::string& origin) {
    std::lock_guard lock(pool_mutex);
    auto it = idle.find(origin);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto c = std::move(it->second.back());
    it->second.pop_back();
    return c;
  }
  void give_back(const std::string& origin, std::shared_ptr<ConnectionBase> c) {
    std::lock_guard lock(pool_mutex);
    auto& list = idle[origin];
    if (list.size() < kMaxIdlePerOrigin) list.push_back(std::move(c));
  }
  void start(std::shared_ptr<Exchange> exchange);
  void open(std::shared_ptr<Exchange> exchange);
};

namespace {

// Idle connections that live on a caller's I/O thread, kept by that thread (no lock): keyed by the
// client they belong to and the origin. They go when the thread ends, while its io_context still
// exists.
using CallerPoolKey = std::pair<const OutboundClient::Impl*, std::string>;
thread_local std::map<CallerPoolKey, std::vector<std::shared_ptr<ConnectionBase>>> caller_idle;

template <class Stream>
class Connection : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `home`: the caller's single-threaded io_context, or null for the client's own (multi-threaded,
  // hence a strand).
  Connection(std::shared_ptr<OutboundClient::Impl> client, net::io_context* home)
      : client_(std::move(client)),
        home_(home),
        executor_(home ? net::any_io_executor(home->get_executor())
                       : net::any_io_executor(net::make_strand(client_->ioc))),
        resolver_(executor_),
        stream_(make_stream()) {}

  void open(std::shared_ptr<Exchange> ex) {
    auto self = this->shared_from_this();
    // An address needs no lookup. Asio runs every lookup of an io_context on one thread of its own, so
    // an address would otherwise queue behind a host name whose DNS server does not answer.
    beast::error_code not_an_address;
    const auto address = net::ip::make_address(ex->url.host, not_an_address);
    if (!not_an_address) {
      lowest().expires_after(ex->remaining());
      lowest().async_connect(tcp::endpoint(address, static_cast<unsigned short>(ex->url.port)),
                             [self, ex](beast::error_code ec) { self->connected(ex, ec); });
      return;
    }
    // The lookup has no deadline of its own (getaddrinfo cannot be interrupted): the request's deadline
    // gives up on it, and the lookup's late answer is ignored.
    auto resolved = std::make_shared<bool>(false);
    auto give_up = std::make_shared<net::steady_timer>(executor_, ex->deadline);
    give_up->async_wait([self, ex, resolved](beast::error_code ec) {
      if (ec || *resolved) return;
      self->resolver_.cancel();
      self->finish(ex,
                   failed(OutboundResponse::Failure::timeout, "cannot resolve " + ex->url.host + " within " +
                                                                  std::to_string(ex->request.timeout.count()) + " ms"));
    });
    resolver_.async_resolve(
        ex->url.host, std::to_string(ex->url.port),
        [self, ex, resolved, give_up](beast::error_code ec, tcp::resolver::results_type results) {
          *resolved = true;
          give_up->cancel();
          if (!ex->done) return;  // given up at the deadline
          if (ec)
            return self->finish(
                ex, failed(OutboundResponse::Failure::connect, "cannot resolve " + ex->url.host + ": " + ec.message()));
          self->lowest().expires_after(ex->remaining());
          self->lowest().async_connect(
              results, [self, ex](beast::error_code ec2, const tcp::endpoint&) { self->connected(ex, ec2); });
        });
  }

  void run(std::shared_ptr<Exchange> ex, bool fresh) override {
    fresh_ = fresh;
    auto req = std::make_shared<http::request<http::string_body>>();
    req->method_string(ex->request.method);
    req->target(ex->url.target);
    req->version(11);
    req->set(http::field::host, ex->url.host + ":" + std::to_string(ex->url.port));
    req->set(http::field::user_agent, "lgsp");
    for (const auto& [k, v] : ex->request.headers) req->set(k, v);
    req->body() = ex->request.body;
    req->keep_alive(true);
    req->prepare_payload();
    parser_.emplace();
    parser_->body_limit(client_->max_response_bytes);
    lowest().expires_after(ex->remaining());
    auto self = this->shared_from_this();
    http::async_write(stream_, *req, [self, ex, req](beast::error_code ec, std::size_t) {
      if (ec) return self->fail_exchange(ex, ec, false);
      self->lowest().expires_after(ex->remaining());
      http::async_read(self->stream_, self->buffer_, *self->parser_, [self, ex](beast::error_code ec2, std::size_t) {
        if (ec2) return self->fail_exchange(ex, ec2, self->parser_->got_some());
        self->complete(ex);
      });
    });
  }

 private:
  Stream make_stream() {
    if constexpr (kTls)
      return Stream(beast::tcp_stream(executor_), *client_->tls);
    else
      return Stream(executor_);
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void handshake(std::shared_ptr<Exchange> ex) {
    if constexpr (kTls) {
      SSL* ssl = stream_.native_handle();
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      beast::error_code not_an_address;
      net::ip::make_address(ex->url.host, not_an_address);
      const bool is_ip = !not_an_address;
      // The server's certificate must name the host we dialled: an IP SAN for an address, a DNS name
      // (and SNI) otherwise.
      if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(param, ex->url.host.c_str());
      } else {
        X509_VERIFY_PARAM_set1_host(param, ex->url.host.c_str(), 0);
        SSL_set_tlsext_host_name(ssl, ex->url.host.c_str());
      }
      lowest().expires_after(ex->remaining());
      auto self = this->shared_from_this();
      stream_.async_handshake(net::ssl::stream_base::client, [self, ex](beast::error_code ec) {
        if (ec) {
          if (ec == beast::error::timeout)
            return self->finish(ex, failed(OutboundResponse::Failure::timeout, "TLS handshake timed out"));
          return self->finish(ex, failed(OutboundResponse::Failure::tls,
                                         "TLS handshake with " + ex->url.origin() + " failed: " + ec.message()));
        }
        self->run(ex, true);
      });
    } else {
      run(ex, true);
    }
  }

  void connected(std::shared_ptr<Exchange> ex, beast::error_code ec) {
    if (ec) return fail_connect(ex, ec);
    handshake(ex);
  }

  void fail_connect(std::shared_ptr<Exchange> ex, beast::error_code ec) {
    if (ec == beast::error::timeout)
      return finish(ex, failed(OutboundResponse::Failure::timeout, "connect to " + ex->url.origin() + " timed out"));
    finish(ex,
           failed(OutboundResponse::Failure::connect, "cannot connect to " + ex->url.origin() + ": " + ec.message()));
  }

  void fail_exchange(std::shared_ptr<Exchange> ex, beast::error_code ec, bool got_answer_bytes) {
    close();
    // A kept-alive connection the server closed meanwhile fails before any answer: try once more on
    // a new connection. Receivers deduplicate by LGSP-Message-Id, so a repeat is harmless.
    if (!fresh_ && !got_answer_bytes && ec != beast::error::timeout && !ex->retried) {
      ex->retried = true;
      return client_->open(ex);
    }
    if (ec == beast::error::timeout)
      return finish(
          ex, failed(OutboundResponse::Failure::timeout, "no answer from " + ex->url.origin() + " within " +
                                                             std::to_string(ex->request.timeout.count()) + " ms"));
    finish(ex, failed(OutboundResponse::Failure::protocol,
                      "exchange with " + ex->url.origin() + " failed: " + ec.message()));
  }

  void complete(std::shared_ptr<Exchange> ex) {
    auto res = parser_->release();
    OutboundResponse r;
    r.status = res.result_int();
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    r.body = std::move(res.body());
    if (res.keep_alive()) {
      lowest().expires_never();
      keep(ex->url.origin());
    } else {
      close();
    }
    finish(ex, std::move(r));
  }

  void finish(std::shared_ptr<Exchange> ex, OutboundResponse r) {
    auto done = std::move(ex->done);
    if (done) done(std::move(r));
  }

  // Back to the pool it came from. A connection of a caller's thread is kept only by that thread
  // (completions run elsewhere only while the server shuts down: then it is closed).
  void keep(const std::string& origin) {
    if (!home_) return client_->give_back(origin, this->shared_from_this());
    if (current_io_context() != home_) return close();
    auto& list = caller_idle[{client_.get(), origin}];
    if (list.size() < OutboundClient::Impl::kMaxIdlePerOrigin) list.push_back(this->shared_from_this());
  }

  void close() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }

  std::shared_ptr<OutboundClient::Impl> client_;
  net::io_context* home_;
  net::any_io_executor executor_;
  tcp::resolver resolver_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  bool fresh_ = true;
};

}  // namespace

void OutboundClient::Impl::open(std::shared_ptr<Exchange> ex) {
  if (ex->url.https) {
    if (!tls) {
      auto done = std::move(ex->done);
      return done(failed(OutboundResponse::Failure::tls, "HTTPS is not configured for outbound requests"));
    }
    std::make_shared<Connection<TlsStream>>(shared_from_this(), ex->home)->open(ex);
  } else {
    std::make_shared<Connection<beast::tcp_stream>>(shared_from_this(), ex->home)->open(ex);
  }
}

void OutboundClient::Impl::start(std::shared_ptr<Exchange> ex) {
  if (ex->home) {
    // On the caller's I/O thread, which owns its pool: no lock, no hand-off.
    auto it = caller_idle.find({this, ex->url.origin()});
    if (it != caller_idle.end() && !it->second.empty()) {
      auto idle_connection = std::move(it->second.back());
      it->second.pop_back();
      idle_connection->run(ex, false);
      return;
    }
    return open(ex);
  }
  if (auto idle_connection = take_idle(ex->url.origin())) {
    // Run on the connection's own strand: the pooled connection was last used by another thread.
    net::post(ioc, [idle_connection, ex] { idle_connection->run(ex, false); });
    return;
  }
  open(ex);
}

OutboundClient::OutboundClient(const OutboundTls& tls, unsigned threads, std::uint64_t max_response_bytes)
    : impl_(std::make_shared<Impl>()) {
  impl_->max_response_bytes = max_response_bytes;
  auto& ctx = impl_->tls.emplace(net::ssl::context::tls_client);
  ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 | net::ssl::context::no_sslv3 |
                  net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
  ctx.set_verify_mode(net::ssl::verify_peer);
  beast::error_code ec;
  if (tls.ca.empty())
    ctx.set_default_verify_paths(ec);
  else
    ctx.load_verify_file(tls.ca.string(), ec);
  if (ec) throw ConfigError("outbound TLS CA " + tls.ca.string(), "cannot load: " + ec.message());
  if (!tls.certificate.empty()) {
    ctx.use_certificate_chain_file(tls.certificate.string(), ec);
    if (ec) throw ConfigError("tls.certificate " + tls.certificate.string(), "cannot load: " + ec.message());
    ctx.use_private_key_file(tls.private_key.string(), net::ssl::context::pem, ec);
    if (ec) throw ConfigError("tls.private_key " + tls.private_key.string(), "cannot load: " + ec.message());
  }
  impl_->guard.emplace(net::make_work_guard(impl_->ioc));
  for (unsigned i = 0; i < std::max(1u, threads); ++i)
    impl_->threads.emplace_back([impl = impl_.get()] {
      name_this_thread("lgsp-out");
      impl->ioc.run();
    });
}

OutboundClient::~OutboundClient() {
  impl_->guard.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  std::lock_guard lock(impl_->pool_mutex);
  impl_->idle.clear();
}

void OutboundClient::send(OutboundRequest request, Callback done) {
  send_on(std::move(request), std::move(done), true);
}

void OutboundClient::send_on(OutboundRequest request, Callback done, bool caller_thread) {
  auto ex = std::make_shared<Exchange>();
  if (caller_thread) ex->home = current_io_context();
  auto url = Url::parse(request.url);
  if (!url) return done(failed(OutboundResponse::Failure::bad_url, "not an http(s) URL: " + request.url));
  ex->url = *url;
  ex->deadline = Clock::now() + request.timeout;
  ex->request = std::move(request);
  ex->done = std::move(done);
  impl_->start(std::move(ex));
}

OutboundResponse OutboundClient::send_sync(OutboundRequest request) {
  auto promise = std::make_shared<std::promise<OutboundResponse>>();
  auto future = promise->get_future();
  // Never on the caller's thread: it is about to block.
  send_on(
      std::move(request), [promise](OutboundResponse r) { promise->set_value(std::move(r)); }, false);
  return future.get();
}

}  // namespace lgsp::bus
