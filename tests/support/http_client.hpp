// A small blocking HTTP/1.1 client for tests: one keep-alive connection, raw writes for bad input.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace lgsp::test {

struct ClientResponse {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  bool keep_alive = false;
};

class HttpClient {
 public:
  HttpClient(const std::string& host, unsigned short port);
  ~HttpClient();
  ClientResponse request(const std::string& method, const std::string& target, const std::string& body = "",
                         const std::map<std::string, std::string>& headers = {});
  // Sends bytes as they are and reads one response (for malformed requests).
  ClientResponse raw(const std::string& bytes);
  void send_raw(const std::string& bytes);
  ClientResponse read_response();
  ClientResponse read_response_to(const std::string& method);
  // True if the server has closed the connection (reads EOF within the timeout).
  bool closed_by_peer(int timeout_ms = 2000);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Sends `head` (a request's header, whose announced body never follows) to 127.0.0.1:port and returns all the
// server answers within 5 s of silence: what a server that decides on the header says without the body.
std::string answer_to_header(unsigned short port, const std::string& head);

// A free loopback TCP port (bound then released).
unsigned short free_port();

// Polls GET `path` on 127.0.0.1:port until it answers 200 (a node or office process starting: /readyz turns 200
// once its store is open and migrated). False after `timeout`; a loaded CI machine starts a process slowly.
bool wait_ready(unsigned short port, std::chrono::milliseconds timeout = std::chrono::seconds(30),
                const std::string& path = "/readyz");

}  // namespace lgsp::test
