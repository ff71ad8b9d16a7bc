// The message log as stored (table message_log), the sealed log heads (log_head) and the sealing
// certificates stored seals name (seal_certificate). Hashing and verifying stay in MessageLog.
#pragma once

#include "lgsp/bus/log_head.hpp"
#include "lgsp/bus/seal_certificates.hpp"
#include "lgsp/bus/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::bus {

// One record as stored: the body is the JSON text the hash covers.
struct StoredLogRecord {
  std::int64_t seq = 0;
  std::string at;
  std::string kind;
  std::string subject;
  std::string body;
  std::string prev_hash;
  std::string hash;
  bool operator==(const StoredLogRecord&) const = default;
};

// The last record's seq and hash: what the next record follows.
struct LogLink {
  std::int64_t seq = 0;
  std::string hash;
};

class LogRepository {
 public:
  virtual ~LogRepository() = default;

  virtual std::optional<LogLink> last(Transaction& tx) const = 0;
  // The last record's kind and subject (the head sealer skips the record of its own seal).
  virtual std::optional<std::pair<std::string, std::string>> last_kind_and_subject(Transaction& tx) const = 0;
  // The last record that is not a time stamp (what the next time stamp covers).
  virtual std::optional<LogLink> last_not_timestamp(Transaction& tx) const = 0;
  // Taken by value: the body (up to a few KiB) is moved into the statement, not copied again.
  virtual void append(Transaction& tx, StoredLogRecord r) const = 0;
  virtual std::optional<std::string> hash_at(Transaction& tx, std::int64_t seq) const = 0;
  // Records with from <= seq <= to, in order.
  virtual std::vector<StoredLogRecord> range(Transaction& tx, std::int64_t from, std::int64_t to) const = 0;

  virtual std::vector<SealedLogHead> sealed_heads(Transaction& tx) const = 0;  // oldest first
  virtual void insert_sealed_head(Transaction& tx, const LogHead& head, const std::string& sealed_at,
                                  const std::string& seal) const = 0;

  virtual SealCertificates seal_certificates(Transaction& tx) const = 0;
  // A certificate held already keeps its row; only a changed chain replaces the stored one.
  virtual void store_seal_certificate(Transaction& tx, const std::string& sha256,
                                      const SealCertificate& certificate) const = 0;
};

}  // namespace lgsp::bus
