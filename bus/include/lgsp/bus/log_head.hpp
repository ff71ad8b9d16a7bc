// The message log's head (record count and the last record's hash), sealed by the node at intervals
// and on shutdown into table log_head. The chain alone cannot show records removed from its end: a
// sealed head can (it names a record the log must still hold), and a head kept outside the store
// (`lgsp log head`, `lgsp log verify --expect-head`) shows it even when the sealed heads went too.
#pragma once

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/store.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::bus {

class Sealer;

struct LogHead {
  std::int64_t count = 0;  // records 1..count
  std::string hash;        // record `count`'s hash (kLogGenesis for an empty log)
  // "COUNT:HASH", what `lgsp log head` prints and --expect-head takes.
  std::string text() const { return std::to_string(count) + ":" + hash; }
  // Parses "COUNT:HASH" (HASH 64 lower-case hex); nullopt when malformed.
  static std::optional<LogHead> parse(std::string_view text);
  bool operator==(const LogHead&) const = default;
};

// The leaf the node seals for a head: SHA-256 over a domain tag, the count and the hash.
Sha256 log_head_leaf(const LogHead& head);

struct SealedLogHead {
  std::int64_t id = 0;
  LogHead head;
  std::string sealed_at;  // the seal's signed_at
  std::string seal;       // the full seal (JSON text, with its certificate)
};

// Inside a store transaction.
LogHead read_log_head(Transaction& tx);
std::vector<SealedLogHead> read_sealed_heads(Transaction& tx);
void store_sealed_head(Transaction& tx, const LogHead& head, const std::string& seal_text);

// Seals the head every `every` while running, and once more in stop(), when it moved since the last
// sealed head (a head is not sealed again for only the `batch` record of its own seal).
class LogHeadSealer {
 public:
  LogHeadSealer(std::function<Store*()> store, std::function<Sealer*()> sealer, std::chrono::seconds every);
  ~LogHeadSealer();
  LogHeadSealer(const LogHeadSealer&) = delete;
  LogHeadSealer& operator=(const LogHeadSealer&) = delete;

  void start();
  void stop();  // seals the final head (the sealer and store must still be open)
  // Seals the current head if it moved. False with `why` when it could not.
  bool seal_now(std::string& why);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::bus
