#include "lgsp/bus/log_audit.hpp"

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/repositories.hpp"
#include "lgsp/contracts/base64.hpp"

#include <algorithm>

#include <map>

namespace lgsp::bus {
namespace {

// What the log says about one message: its receipt, and its state after the last record.
struct Logged {
  const nlohmann::json* accepted = nullptr;
  std::string state;
  std::int64_t attempts = 0;
  bool payload_dropped = false;
  bool seen_in_store = false;
};

std::string record_hash_at(Transaction& tx, std::int64_t seq) {
  return repositories(tx).log.hash_at(tx, seq).value_or("");
}

std::string text_of(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string check_messages_against_log(Transaction& tx, const std::vector<LogRecord>& records, std::size_t& checked) {
  std::map<std::string, Logged, std::less<>> logged;
  for (const auto& r : records) {
    if (!r.body.is_object()) continue;
    if (r.kind == "accepted") {
      auto& l = logged[r.subject];
      l.accepted = &r.body;
      l.state = "accepted";
    } else if (r.kind == "attempt" || r.kind == "delivered" || r.kind == "dead") {
      auto& l = logged[r.subject];
      l.state = r.body.contains("state") && r.body["state"].is_string() ? r.body["state"].get<std::string>()
                : r.kind == "attempt"                                   ? "delivering"
                                                                        : r.kind;
      if (r.body.contains("attempt") && r.body["attempt"].is_number_integer())
        l.attempts = r.body["attempt"].get<std::int64_t>();
      if (text_of(r.body, "payload") == "dropped") l.payload_dropped = true;
    } else if (r.kind == "replay") {
      logged[r.subject].state = "accepted";
    }
  }
  const auto& messages = repositories(tx).messages;
  std::int64_t after = 0;
  for (;;) {
    auto page = messages.page(tx, after, 256);
    if (page.empty()) break;
    for (const auto& m : page) {
      after = m.seq;
      const std::string subject = m.client + " " + m.id;
      const std::string what = "stored message " + std::to_string(after) + " (" + subject + ")";
      auto it = logged.find(subject);
      if (it == logged.end() || !it->second.accepted)
        return what + " has no accepted record in the log: its client or id was changed, or it was added";
      auto& l = it->second;
      l.seen_in_store = true;
      const auto& receipt = *l.accepted;
      if (text_of(receipt, "service") != m.service)
        return what + ": its service is not the one the log accepted it for";
      if (text_of(receipt, "payload_sha256") != m.payload_sha256)
        return what + ": its payload_sha256 is not the one the log recorded";
      if (text_of(receipt, "accepted_at") != m.accepted_at)
        return what + ": its accepted_at is not the one the log recorded";
      if (l.state != m.state)
        return what + ": its state is '" + m.state + "' but the log's last record for it says '" + l.state + "'";
      if (l.attempts != m.attempts)
        return what + ": it counts " + std::to_string(m.attempts) + " delivery attempts, the log " +
               std::to_string(l.attempts);
      if (!m.has_body) return what + ": its body (payload and seal) is missing";
      if (m.payload) {
        const auto& bytes = m.payload->bytes;
        if (sha256_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())) != m.payload_sha256)
          return what + ": the stored payload is not the one the log recorded (its SHA-256 differs)";
      } else if (m.payload_not_a_blob) {
        return what + ": the stored payload is not a blob";
      } else if (!l.payload_dropped) {
        return what + ": its payload is gone, but the log never dropped it";
      }
      auto seal = nlohmann::json::parse(m.seal, nullptr, false);
      if (!receipt.contains("signature") || seal != receipt["signature"])
        return what + ": its stored seal is not the one the log recorded";
      ++checked;
    }
  }
  for (const auto& [subject, l] : logged)
    if (l.accepted && !l.seen_in_store)
      return "the log accepted message " + subject +
             ", which the store no longer holds (deleted, or its client or id was changed)";
  return {};
}

std::string check_sealed_head(Transaction& tx, const SealedLogHead& sealed, const LogHead& store_head,
                              const signing::TrustStore* trust, const PinnedCertificates* pins,
                              const SealCertificates& certificates) {
  const std::string what = "the head sealed at " + sealed.sealed_at + " (" + sealed.head.text() + ")";
  auto seal = nlohmann::json::parse(sealed.seal, nullptr, false);
  // The chain is a path-building aid outside the signature: a chain the node was given later (kept
  // in seal_certificate for its certificate) serves heads sealed before it, as it serves messages.
  if (seal.is_object() && seal.contains("cert") && seal["cert"].is_string()) {
    auto der = contracts::base64_decode(seal["cert"].get<std::string>());
    auto held = der ? certificates.find(sha256_hex(*der)) : certificates.end();
    if (held != certificates.end()) {
      auto chain = nlohmann::json::parse(held->second.chain, nullptr, false);
      if (!seal.contains("chain") || !seal["chain"].is_array()) seal["chain"] = nlohmann::json::array();
      if (chain.is_array())
        for (const auto& c : chain)
          if (std::find(seal["chain"].begin(), seal["chain"].end(), c) == seal["chain"].end())
            seal["chain"].push_back(c);
    }
  }
  auto check = verify_seal(log_head_leaf(sealed.head), seal, trust, pins);
  if (!check.valid) return what + " does not verify: " + check.reason;
  if (sealed.head.count > store_head.count)
    return what + " counts more records than the log holds (" + std::to_string(store_head.count) +
           "): records were removed from its end";
  if (sealed.head.count > 0 && record_hash_at(tx, sealed.head.count) != sealed.head.hash)
    return what + " names another hash for record " + std::to_string(sealed.head.count) +
           ": the log was rewritten or records were removed";
  return {};
}

std::string check_expected_head(Transaction& tx, const LogHead& expected, const LogHead& store_head) {
  if (expected.count > store_head.count)
    return "the expected head " + expected.text() + " counts more records than the log holds (" +
           std::to_string(store_head.count) + "): records were removed from its end";
  const std::string hash = expected.count == 0 ? kLogGenesis : record_hash_at(tx, expected.count);
  if (hash != expected.hash)
    return "record " + std::to_string(expected.count) + " is not the one the expected head " + expected.text() +
           " names: the log was rewritten or records were removed";
  return {};
}

LogAudit audit_log(Store& store, const LogAuditOptions& o) {
  LogAudit audit;
  std::vector<LogRecord> records;
  std::string prev;
  SealCertificates certificates;
  std::vector<SealedLogHead> heads;
  std::string other;  // the first failure outside the chain
  store.read([&](Transaction& tx) {
    records = MessageLog::read(tx, o.from, o.to, prev);
    certificates = load_seal_certificates(tx);
    audit.head = read_log_head(tx);
    heads = read_sealed_heads(tx);
    for (const auto& h : heads) {
      if (auto why = check_sealed_head(tx, h, audit.head, o.trust, o.pins, certificates); !why.empty()) {
        other = why;
        break;
      }
      ++audit.sealed_heads;
    }
    if (!heads.empty()) audit.last_sealed = heads.back();
    if (other.empty() && o.expect_head) other = check_expected_head(tx, *o.expect_head, audit.head);
    const bool whole = o.from.value_or(1) <= 1 && !o.to;
    if (other.empty() && whole) {
      audit.messages_checked = true;
      other = check_messages_against_log(tx, records, audit.messages);
    }
  });
  audit.chain = MessageLog::verify(records, prev, o.trust, certificates, o.pins);
  audit.ok = audit.chain.ok && other.empty();
  if (audit.chain.ok) audit.reason = other;
  return audit;
}

}  // namespace lgsp::bus
