// `lgsp adapter run --config adapters.toml`: loads the file, makes every [[adapter]], gives each its node
// identity, dead letters, metrics and routes on one listener (GET /metrics, GET /healthz, the adapters' own
// routes under /adapters/<name>/), starts them and stops them on SIGTERM/SIGINT.
//
// adapters.toml:
//   [runner]  listen = "127.0.0.1:8090", state_dir = "var/adapters", max_body_bytes, threads, worker_threads,
//             public_url, request_timeout_seconds, drain_timeout_seconds, max_dead_letters, [runner.tls]
//   [node]    url = "http://127.0.0.1:8080", ca, trust_roots, node_certificates, contracts_dir, timeout_ms
//   [[adapter]] name, kind, client, api_key_file | api_key_env | certificate + private_key, then the kind's keys
#pragma once

#include "lgsp/adapters/adapter.hpp"

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lgsp::adapters {

class Runner {
 public:
  // Parses and checks the whole file (every adapter's keys, via its factory): throws AdapterConfigError.
  explicit Runner(const std::filesystem::path& config_file);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Binds the listener and starts every adapter; throws AdapterConfigError when one cannot start.
  void start();
  // Stops every adapter and the listener. Idempotent.
  void stop();
  std::string listen_address() const;  // "HOST:PORT" actually bound

  DeadLetterStore& dead_letters();
  // The adapter called `name`, or null.
  Adapter* find(const std::string& name);
  // The adapters' names in file order.
  std::vector<std::string> adapter_names() const;
  const std::filesystem::path& state_dir() const;
  // True when <state_dir>/dead-letters.sqlite exists (the dlq commands never make one in a wrong folder).
  bool has_dead_letter_store() const;

  // `lgsp adapter dlq replay`, on a runner that was not started: hands the letter to its adapter's replay()
  // (after Adapter::prepare_replay), removes it when that succeeds, records failed_again otherwise.
  struct ReplayOutcome {
    std::int64_t id = 0;
    std::string adapter;  // empty when there is no such letter
    bool replayed = false;
    std::string reason;  // why not, when !replayed
  };
  ReplayOutcome replay(std::int64_t id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::adapters
