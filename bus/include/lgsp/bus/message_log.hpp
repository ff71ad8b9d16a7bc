// The tamper-evident message log: every accepted message, delivery attempt, outcome, replay, proxied
// call and batch signature, appended in the same transaction as the state change it records. Each
// record's hash covers the previous record's hash, so changing, removing or reordering any record
// breaks every hash after it; the seals inside records make the chain's content attributable.
#pragma once

#include "lgsp/bus/seal_certificates.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/bus/store.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::signing {
class TrustStore;
}

namespace lgsp::bus {

struct LogRecord {
  std::int64_t seq = 0;
  std::string at;       // RFC 3339 UTC
  std::string kind;     // accepted, attempt, delivered, dead, replay, call, batch, timestamp (open-ended)
  std::string subject;  // "<client> <message id>" for message records, the root for batches
  nlohmann::json body;
  std::string prev_hash;
  std::string hash;

  std::string compute_hash() const;
  nlohmann::json to_json() const;
  static LogRecord from_json(const nlohmann::json& j);  // throws std::exception on a malformed record
};

// The hash before the first record.
inline const std::string kLogGenesis(64, '0');

class MessageLog {
 public:
  // Appends inside the caller's transaction (a store write unit).
  static void append(Transaction& tx, const std::string& kind, const std::string& subject, const nlohmann::json& body);
  // The same with the body already serialized (compact, as nlohmann::json::dump() writes it), so a
  // large body is not serialized twice.
  static void append_text(Transaction& tx, const std::string& kind, const std::string& subject,
                          const std::string& body_text);

  struct Check {
    bool ok = true;
    std::size_t records = 0;
    std::size_t seals = 0;  // seals verified inside records
    std::optional<std::int64_t> first_bad;
    std::string reason;
  };
  // Recomputes the chain over `records` (consecutive, starting after `prev_hash`) and verifies every
  // seal they carry; `trust` may be null (signatures checked against the certificates they carry).
  // Seals in `accepted` records name the sealing certificate by SHA-256: it is found in
  // `certificates` (the store's, or an archive's) or in a `batch` record earlier in `records`.
  // With `pins`, every seal must be by one of those node certificates (seal_verify.hpp): a seal by
  // any other certificate, however well it chains, breaks the record.
  static Check verify(const std::vector<LogRecord>& records, const std::string& prev_hash,
                      const signing::TrustStore* trust, const SealCertificates& certificates = {},
                      const PinnedCertificates* pins = nullptr);
  // The sealing certificates the store holds (seal_certificates.hpp).
  static SealCertificates certificates(Store& store);
  // Records with from <= seq <= to (all when unset), and the hash before the first of them.
  static std::vector<LogRecord> read(Store& store, std::optional<std::int64_t> from, std::optional<std::int64_t> to,
                                     std::string& prev_hash);
  // The same inside a read transaction (with other reads that must see the same state).
  static std::vector<LogRecord> read(Transaction& tx, std::optional<std::int64_t> from, std::optional<std::int64_t> to,
                                     std::string& prev_hash);
};

}  // namespace lgsp::bus
