// Auditing a node's store against its message log: the chain and its seals (pinned to the node
// certificates), the sealed heads (records removed from the end), an operator's head kept elsewhere,
// and the stored messages against what the log says about them (payload, client, service, state).
// What `lgsp log verify` and GET /admin/v1/log/verify run.
#pragma once

#include "lgsp/bus/log_head.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/seal_verify.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lgsp::signing {
class TrustStore;
}

namespace lgsp::bus {

struct LogAuditOptions {
  std::optional<std::int64_t> from, to;  // a range checks its chain and seals; heads are always checked
  const signing::TrustStore* trust = nullptr;
  const PinnedCertificates* pins = nullptr;  // null: seals are not pinned (say so)
  std::optional<LogHead> expect_head;
};

struct LogAudit {
  MessageLog::Check chain;  // the records' chain and seals
  bool ok = true;
  std::string reason;  // when !ok and the chain itself held: what else is wrong
  LogHead head;        // the store's
  std::optional<SealedLogHead> last_sealed;
  std::size_t sealed_heads = 0;  // verified
  std::size_t messages = 0;      // checked against the log (whole log only)
  bool messages_checked = false;
};

LogAudit audit_log(Store& store, const LogAuditOptions& options);

// The stored messages against the log records (from record 1): empty when they agree, otherwise
// the first disagreement. Runs inside the transaction that read `records`.
std::string check_messages_against_log(Transaction& tx, const std::vector<LogRecord>& records, std::size_t& checked);

// A sealed head against the store: its seal (leaf, signature, trust, pins) and the record it names.
std::string check_sealed_head(Transaction& tx, const SealedLogHead& sealed, const LogHead& store_head,
                              const signing::TrustStore* trust, const PinnedCertificates* pins,
                              const SealCertificates& certificates = {});

// The store's log against a head kept elsewhere: record COUNT must exist with HASH.
std::string check_expected_head(Transaction& tx, const LogHead& expected, const LogHead& store_head);

}  // namespace lgsp::bus
