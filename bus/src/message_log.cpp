#include "lgsp/bus/message_log.hpp"

#include "lgsp/bus/call_proxy.hpp"
#include "lgsp/bus/chain_timestamp.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/repositories.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/contracts/base64.hpp"
#include "lgsp/signing/trust.hpp"

#include <map>

namespace lgsp::bus {
namespace {

// The seal (or time stamp) a record carries, checked against what it covers. Empty when valid or none.
// `hashes` holds the hashes of the records verified so far, for time stamps of the chain head.
std::string check_record_seal(const LogRecord& r, const signing::TrustStore* trust, const PinnedCertificates* pins,
                              std::size_t& seals, const std::map<std::int64_t, std::string>& hashes,
                              SealCertificates& certificates) {
  SealCheck check;
  if (r.kind == "timestamp") {
    const auto head_seq = r.body.at("head_seq").get<std::int64_t>();
    const auto head_hash = r.body.at("head_hash").get<std::string>();
    auto it = hashes.find(head_seq);
    if (it != hashes.end() && it->second != head_hash)
      return "the time stamp names record " + std::to_string(head_seq) + " with another hash";
    auto why = verify_timestamp(r.body.at("token").get<std::string>(), chain_head_imprint(head_hash),
                                trust ? trust->x509_store() : nullptr);
    ++seals;
    return why;
  }
  if (r.kind == "accepted") {
    auto receipt = Receipt::from_json(r.body);
    if (auto why = expand_seal(receipt.signature, certificates); !why.empty()) return why;
    check = verify_seal(receipt.leaf(), receipt.signature, trust, pins);
  } else if (r.kind == "call") {
    auto call = CallSeal::from_json(r.body);
    auto seal = r.body.at("signature");
    if (auto why = expand_seal(seal, certificates); !why.empty()) return why;
    check = verify_seal(call.leaf(), seal, trust, pins);
  } else if (r.kind == "batch") {
    const bool names_certificate = r.body.contains("cert_sha256");
    auto batch = r.body;
    if (auto why = expand_seal(batch, certificates); !why.empty()) return why;
    check = verify_root_signature(batch, trust, pins);
    // A batch that carries its certificate (as the node wrote them before the batch records named
    // it) also serves the stored seals that name it; one that names it has nothing to add.
    if (check.valid && !names_certificate) {
      auto der = contracts::base64_decode(r.body.at("cert").get<std::string>());
      if (der)
        certificates.try_emplace(sha256_hex(*der),
                                 SealCertificate{r.body.at("cert").get<std::string>(),
                                                 r.body.value("chain", nlohmann::json::array()).dump()});
    }
  } else {
    return {};
  }
  ++seals;
  return check.valid ? std::string() : check.reason;
}

}  // namespace

namespace {

std::string record_hash(const std::string& prev_hash, std::int64_t seq, const std::string& at, const std::string& kind,
                        const std::string& subject, const std::string& body_text) {
  std::string bytes = "lgsp-log-v1\n";
  bytes.reserve(body_text.size() + 256);
  append_field(bytes, prev_hash);
  append_field(bytes, std::to_string(seq));
  append_field(bytes, at);
  append_field(bytes, kind);
  append_field(bytes, subject);
  append_field(bytes, body_text);
  return sha256_hex(bytes);
}

}  // namespace

std::string LogRecord::compute_hash() const { return record_hash(prev_hash, seq, at, kind, subject, body.dump()); }

nlohmann::json LogRecord::to_json() const {
  return {{"seq", seq},  {"at", at}, {"kind", kind}, {"subject", subject}, {"body", body}, {"prev_hash", prev_hash},
          {"hash", hash}};
}

LogRecord LogRecord::from_json(const nlohmann::json& j) {
  LogRecord r;
  r.seq = j.at("seq").get<std::int64_t>();
  r.at = j.at("at").get<std::string>();
  r.kind = j.at("kind").get<std::string>();
  r.subject = j.at("subject").get<std::string>();
  r.body = j.at("body");
  r.prev_hash = j.at("prev_hash").get<std::string>();
  r.hash = j.at("hash").get<std::string>();
  return r;
}

void MessageLog::append(Transaction& tx, const std::string& kind, const std::string& subject,
                        const nlohmann::json& body) {
  append_text(tx, kind, subject, body.dump());
}

void MessageLog::append_text(Transaction& tx, const std::string& kind, const std::string& subject,
                             const std::string& body_text) {
  // Appends run one at a time on the store's writer thread, inside its transaction: the last record
  // read here is the one this record follows.
  const auto& log = repositories(tx).log;
  auto last = log.last(tx);
  StoredLogRecord r;
  r.seq = last ? last->seq + 1 : 1;
  r.prev_hash = last ? std::move(last->hash) : kLogGenesis;
  r.at = utc_now_rfc3339();
  r.kind = kind;
  r.subject = subject;
  r.hash = record_hash(r.prev_hash, r.seq, r.at, kind, subject, body_text);
  r.body = body_text;
  log.append(tx, std::move(r));
}

std::vector<LogRecord> MessageLog::read(Store& store, std::optional<std::int64_t> from, std::optional<std::int64_t> to,
                                        std::string& prev_hash) {
  std::vector<LogRecord> out;
  store.read([&](Transaction& tx) { out = read(tx, from, to, prev_hash); });
  return out;
}

std::vector<LogRecord> MessageLog::read(Transaction& tx, std::optional<std::int64_t> from,
                                        std::optional<std::int64_t> to, std::string& prev_hash) {
  std::vector<LogRecord> out;
  const std::int64_t lo = from.value_or(1);
  const std::int64_t hi = to.value_or(INT64_MAX);
  prev_hash = kLogGenesis;
  const auto& log = repositories(tx).log;
  if (lo > 1) prev_hash = log.hash_at(tx, lo - 1).value_or(kLogGenesis);
  for (auto& stored : log.range(tx, lo, hi)) {
    LogRecord r;
    r.seq = stored.seq;
    r.at = std::move(stored.at);
    r.kind = std::move(stored.kind);
    r.subject = std::move(stored.subject);
    r.body = nlohmann::json::parse(stored.body, nullptr, false);
    r.prev_hash = std::move(stored.prev_hash);
    r.hash = std::move(stored.hash);
    out.push_back(std::move(r));
  }
  return out;
}

SealCertificates MessageLog::certificates(Store& store) {
  SealCertificates out;
  store.read([&](Transaction& tx) { out = load_seal_certificates(tx); });
  return out;
}

MessageLog::Check MessageLog::verify(const std::vector<LogRecord>& records, const std::string& prev_hash,
                                     const signing::TrustStore* trust, const SealCertificates& certificates,
                                     const PinnedCertificates* pins) {
  Check check;
  SealCertificates known = certificates;
  std::string expected_prev = prev_hash;
  std::optional<std::int64_t> expected_seq;
  std::map<std::int64_t, std::string> hashes;
  auto broken = [&](const LogRecord& r, std::string why) {
    check.ok = false;
    check.first_bad = r.seq;
    check.reason = std::move(why);
    return check;
  };
  for (const auto& r : records) {
    if (expected_seq && r.seq != *expected_seq)
      return broken(r,
                    "record " + std::to_string(*expected_seq) + " is missing (next is " + std::to_string(r.seq) + ")");
    if (r.body.is_discarded()) return broken(r, "the record body is not JSON");
    if (r.prev_hash != expected_prev) return broken(r, "the record does not follow the previous record's hash");
    if (r.compute_hash() != r.hash) return broken(r, "the record's content does not match its hash (it was changed)");
    try {
      auto why = check_record_seal(r, trust, pins, check.seals, hashes, known);
      if (!why.empty()) return broken(r, "the seal in the record does not verify: " + why);
    } catch (const std::exception& e) {
      return broken(r, std::string("the record's sealed fields are malformed: ") + e.what());
    }
    expected_prev = r.hash;
    expected_seq = r.seq + 1;
    hashes.emplace(r.seq, r.hash);
    ++check.records;
  }
  return check;
}

}  // namespace lgsp::bus
