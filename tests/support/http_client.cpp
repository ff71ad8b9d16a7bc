#include "http_client.hpp"

#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lgsp::test {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct HttpClient::Impl {
  net::io_context ioc;
  tcp::socket socket{ioc};
  beast::flat_buffer buffer;
  std::string host;
};

HttpClient::HttpClient(const std::string& host, unsigned short port) : impl_(std::make_unique<Impl>()) {
  impl_->host = host;
  impl_->socket.connect(tcp::endpoint(net::ip::make_address(host), port));
}

HttpClient::~HttpClient() = default;

ClientResponse HttpClient::read_response() { return read_response_to("GET"); }

ClientResponse HttpClient::read_response_to(const std::string& method) {
  http::response_parser<http::string_body> parser;
  parser.skip(method == "HEAD");  // a HEAD answer announces a body it does not carry
  parser.body_limit(1024 * 1024 * 64);
  http::read(impl_->socket, impl_->buffer, parser);
  auto res = parser.release();
  ClientResponse out;
  out.status = res.result_int();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = res.body();
  out.keep_alive = res.keep_alive();
  return out;
}

ClientResponse HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                                   const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, impl_->host);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(impl_->socket, req);
  return read_response_to(method);
}

void HttpClient::send_raw(const std::string& bytes) { net::write(impl_->socket, net::buffer(bytes)); }

ClientResponse HttpClient::raw(const std::string& bytes) {
  send_raw(bytes);
  return read_response();
}

bool HttpClient::closed_by_peer(int timeout_ms) {
  pollfd p{impl_->socket.native_handle(), POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  char c;
  beast::error_code ec;
  impl_->socket.read_some(net::buffer(&c, 1), ec);
  return ec == net::error::eof || ec == net::error::connection_reset;
}

unsigned short free_port() {
  net::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

std::string answer_to_header(unsigned short port, const std::string& head) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::send(fd, head.data(), head.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(head.size())) {
    pollfd p{fd, POLLIN, 0};
    char buf[4096];
    while (::poll(&p, 1, 5000) > 0) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

bool wait_ready(unsigned short port, std::chrono::milliseconds timeout, const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    try {
      if (HttpClient("127.0.0.1", port).request("GET", path).status == 200) return true;
    } catch (const std::exception&) {  // not listening yet
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

}  // namespace lgsp::test
