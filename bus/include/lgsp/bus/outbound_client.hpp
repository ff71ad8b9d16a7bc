// Outbound HTTP/1.1 from the node (sync proxy, delivery to peer nodes): keep-alive connection pools per
// origin, a deadline per request, and HTTPS verified against configured CAs with the node's own
// certificate as the client certificate (mutual TLS). Asynchronous: callbacks run on an I/O thread
// (the caller's, or the client's own), so a caller never blocks a thread while the provider thinks.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lgsp::bus {

struct Url {
  bool https = false;
  std::string host;
  std::uint16_t port = 0;
  std::string target;  // path and query, "/" at least
  // http:// or https:// URLs only; nullopt otherwise.
  static std::optional<Url> parse(const std::string& text);
  std::string origin() const;  // "https://host:port"
};

struct OutboundTls {
  std::filesystem::path ca;           // PEM roots that servers must chain to; empty: the system's
  std::filesystem::path certificate;  // PEM client certificate (+ chain) for mutual TLS; empty: none
  std::filesystem::path private_key;  // PEM
};

struct OutboundRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};
};

struct OutboundResponse {
  enum class Failure { none, bad_url, connect, tls, timeout, protocol };
  Failure failure = Failure::none;
  std::string error;  // why, when failure != none
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool ok() const { return failure == Failure::none; }
  std::optional<std::string> header(const std::string& lower_name) const;
};

class OutboundClient {
 public:
  // Throws ConfigError naming the file when the TLS material cannot be loaded.
  explicit OutboundClient(const OutboundTls& tls = {}, unsigned threads = 1,
                          std::uint64_t max_response_bytes = 64 * 1024 * 1024);
  ~OutboundClient();
  OutboundClient(const OutboundClient&) = delete;
  OutboundClient& operator=(const OutboundClient&) = delete;

  using Callback = std::function<void(OutboundResponse)>;
  // Sent from one of the HTTP server's I/O threads (io_thread.hpp), the request runs on that thread
  // over that thread's own keep-alive connections, and `done` runs there too; from any other thread,
  // on the client's threads.
  void send(OutboundRequest request, Callback done);
  // Blocks the calling thread (for worker threads and tools, never an I/O thread).
  OutboundResponse send_sync(OutboundRequest request);

  struct Impl;

 private:
  void send_on(OutboundRequest request, Callback done, bool caller_thread);
  std::shared_ptr<Impl> impl_;
};

}  // namespace lgsp::bus
