// An adapter's dead letters: work it could not hand on (refused by the node, by its contract or by the
// legacy system after its retries), kept with the reason until replayed. One SQLite file per runner
// (<state_dir>/dead-letters.sqlite), rows per adapter; bounded by count, oldest dropped first (counted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::adapters {

struct DeadLetter {
  std::int64_t id = 0;
  std::string adapter;        // the adapter's name
  std::string key;            // what the work was: a file name, a row key, a message id
  std::string reason;         // why it failed (the node's problem, the validator's message, the legacy error)
  std::string payload;        // what to send again (may be empty when `detail` says where it is, e.g. a file)
  std::string detail;         // adapter-specific JSON text (service, content type, where the file is ...)
  std::string created_at;     // RFC 3339 UTC
  std::int64_t attempts = 0;  // replays tried
};

class DeadLetters {
 public:
  virtual ~DeadLetters() = default;
  virtual std::int64_t add(const std::string& key, const std::string& reason, const std::string& payload,
                           const std::string& detail) = 0;
  virtual std::vector<DeadLetter> list(std::int64_t after_id = 0, int limit = 100) const = 0;
  virtual std::optional<DeadLetter> get(std::int64_t id) const = 0;
  virtual void remove(std::int64_t id) = 0;                                   // replayed successfully
  virtual void failed_again(std::int64_t id, const std::string& reason) = 0;  // attempts+1, new reason
  virtual std::int64_t count() const = 0;
};

// The runner's store: one file, one DeadLetters view per adapter name.
class DeadLetterStore {
 public:
  explicit DeadLetterStore(const std::filesystem::path& file, std::int64_t max_per_adapter = 100000);
  ~DeadLetterStore();
  DeadLetters& for_adapter(const std::string& adapter);
  std::vector<DeadLetter> list_all(std::int64_t after_id = 0, int limit = 100) const;
  // Any adapter's letter by id (for `lgsp adapter dlq replay ID`).
  std::optional<DeadLetter> get(std::int64_t id) const;
  // Letters dropped (oldest first) to keep `adapter` within max_per_adapter, since the file was made.
  std::int64_t dropped(const std::string& adapter) const;
  std::int64_t count(const std::string& adapter) const;

  // Bounds on what one letter keeps: longer keys and reasons are cut (reasons at 2 KB, said with " …"),
  // a larger payload or detail is refused with std::length_error (the adapter keeps the work elsewhere,
  // e.g. the file in failed/, and puts where it is in `detail`).
  static constexpr std::size_t kMaxKeyBytes = 1024;
  static constexpr std::size_t kMaxReasonBytes = 2048;
  static constexpr std::size_t kMaxDetailBytes = 64 * 1024;
  static constexpr std::size_t kMaxPayloadBytes = 64 * 1024 * 1024;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::adapters
