// The message log's hash chain without a store or a token: records are built as MessageLog::append
// builds them, then changed the ways an attacker or a broken disk would change them.
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/seal_certificates.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using lgsp::bus::kLogGenesis;
using lgsp::bus::LogRecord;
using lgsp::bus::MessageLog;
using nlohmann::json;

namespace {

// A chain of delivery records (kinds that carry no seal), hashed like MessageLog::append.
std::vector<LogRecord> chain(int n, const std::string& prev = kLogGenesis, std::int64_t first_seq = 1) {
  static const char* kinds[] = {"attempt", "delivered", "dead", "replay"};
  std::vector<LogRecord> records;
  std::string prev_hash = prev;
  for (int i = 0; i < n; ++i) {
    LogRecord r;
    r.seq = first_seq + i;
    r.at = "2026-11-23T07:00:0" + std::to_string(i % 10) + ".000Z";
    r.kind = kinds[i % 4];
    r.subject = "000.00.13.H29/MOTCUA m-" + std::to_string(i);
    r.body = {{"attempt", i + 1}, {"state", "delivering"}};
    r.prev_hash = prev_hash;
    r.hash = r.compute_hash();
    prev_hash = r.hash;
    records.push_back(r);
  }
  return records;
}

void rehash_from(std::vector<LogRecord>& records, std::size_t i) {
  for (; i < records.size(); ++i) {
    if (i > 0) records[i].prev_hash = records[i - 1].hash;
    records[i].hash = records[i].compute_hash();
  }
}

TEST(MessageLog, record_hash_covers_the_previous_hash_and_every_field_length_prefixed) {
  LogRecord r = chain(1)[0];
  const std::string bytes = "lgsp-log-v1\n64:" + kLogGenesis + "\n1:1\n" + std::to_string(r.at.size()) + ":" + r.at +
                            "\n7:attempt\n" + std::to_string(r.subject.size()) + ":" + r.subject + "\n" +
                            std::to_string(r.body.dump().size()) + ":" + r.body.dump() + "\n";
  EXPECT_EQ(r.hash, lgsp::bus::sha256_hex(bytes));
}

TEST(MessageLog, an_intact_chain_verifies) {
  auto records = chain(6);
  auto check = MessageLog::verify(records, kLogGenesis, nullptr);
  EXPECT_TRUE(check.ok) << check.reason;
  EXPECT_EQ(check.records, 6u);
  EXPECT_EQ(check.seals, 0u);
}

TEST(MessageLog, an_empty_range_verifies) { EXPECT_TRUE(MessageLog::verify({}, kLogGenesis, nullptr).ok); }

TEST(MessageLog, a_range_verifies_from_the_hash_before_it) {
  auto all = chain(6);
  std::vector<LogRecord> tail(all.begin() + 3, all.end());
  EXPECT_TRUE(MessageLog::verify(tail, all[2].hash, nullptr).ok);
  auto wrong = MessageLog::verify(tail, kLogGenesis, nullptr);
  EXPECT_FALSE(wrong.ok);
  EXPECT_EQ(wrong.first_bad, 4);
}

TEST(MessageLog, names_a_record_whose_content_was_changed) {
  auto records = chain(5);
  records[2].body["state"] = "delivered";
  auto check = MessageLog::verify(records, kLogGenesis, nullptr);
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.first_bad, 3);
  EXPECT_NE(check.reason.find("does not match its hash"), std::string::npos) << check.reason;
}

TEST(MessageLog, a_changed_record_rehashed_breaks_the_next_link) {
  auto records = chain(5);
  records[1].subject = "someone else";
  records[1].hash = records[1].compute_hash();
  auto check = MessageLog::verify(records, kLogGenesis, nullptr);
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.first_bad, 3);
  EXPECT_NE(check.reason.find("previous record's hash"), std::string::npos) << check.reason;
}

TEST(MessageLog, names_a_removed_record) {
  auto records = chain(5);
  records.erase(records.begin() + 2);
  auto check = MessageLog::verify(records, kLogGenesis, nullptr);
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.first_bad, 4);
  EXPECT_NE(check.reason.find("record 3 is missing"), std::string::npos) << check.reason;
}

TEST(MessageLog, a_removed_record_with_the_rest_renumbered_and_rehashed_still_needs_the_old_head) {
  // Rewriting everything after a removal gives a self-consistent chain; only the head hash seen
  // before (in an export or a later record of another range) shows the rewrite.
  auto records = chain(5);
  const std::string old_head = records.back().hash;
  records.erase(records.begin() + 2);
  for (std::size_t i = 2; i < records.size(); ++i) records[i].seq = static_cast<std::int64_t>(i) + 1;
  rehash_from(records, 2);
  EXPECT_TRUE(MessageLog::verify(records, kLogGenesis, nullptr).ok);
  EXPECT_NE(records.back().hash, old_head);
}

TEST(MessageLog, names_records_out_of_order) {
  auto records = chain(4);
  std::swap(records[1], records[2]);
  auto check = MessageLog::verify(records, kLogGenesis, nullptr);
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.first_bad, 3);
}

TEST(MessageLog, names_a_record_whose_body_is_not_json) {
  auto records = chain(3);
  records[1].body = json(json::value_t::discarded);
  auto check = MessageLog::verify(records, kLogGenesis, nullptr);
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.first_bad, 2);
  EXPECT_NE(check.reason.find("not JSON"), std::string::npos) << check.reason;
}

TEST(MessageLog, names_an_accepted_record_without_its_sealed_fields) {
  auto records = chain(2);
  records.push_back(records.back());
  auto& r = records.back();
  r.seq = 3;
  r.kind = "accepted";
  r.body = {{"message_id", "m-3"}};  // no client, service, accepted_at, digest or seal
  r.prev_hash = records[1].hash;
  r.hash = r.compute_hash();
  auto check = MessageLog::verify(records, kLogGenesis, nullptr);
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.first_bad, 3);
  EXPECT_NE(check.reason.find("malformed"), std::string::npos) << check.reason;
}

TEST(MessageLog, names_an_accepted_record_whose_seal_does_not_verify) {
  std::vector<LogRecord> records(1);
  auto& r = records[0];
  r.seq = 1;
  r.at = "2026-11-23T07:00:00.000Z";
  r.kind = "accepted";
  r.subject = "000.00.13.H29/MOTCUA m-1";
  r.body = {{"message_id", "m-1"},
            {"service", "000.00.13.H29/HOTICH/hoso/v1"},
            {"client", "000.00.13.H29/MOTCUA"},
            {"accepted_at", r.at},
            {"payload_sha256", std::string(64, 'a')},
            {"signature", {{"v", 1}, {"alg", "rsa-sha256"}, {"root", std::string(64, 'b')}, {"sig", "AAAA"}}}};
  r.prev_hash = kLogGenesis;
  r.hash = r.compute_hash();
  auto check = MessageLog::verify(records, kLogGenesis, nullptr);
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.first_bad, 1);
  EXPECT_EQ(check.reason.rfind("the seal in the record does not verify", 0), 0u) << check.reason;
}

TEST(MessageLog, records_round_trip_through_json) {
  auto r = chain(2)[1];
  auto back = LogRecord::from_json(r.to_json());
  EXPECT_EQ(back.seq, r.seq);
  EXPECT_EQ(back.hash, r.hash);
  EXPECT_EQ(back.compute_hash(), r.hash);
}

TEST(MessageLog, rejects_a_malformed_json_record) {
  auto j = chain(1)[0].to_json();
  j.erase("prev_hash");
  EXPECT_ANY_THROW(LogRecord::from_json(j));
  auto k = chain(1)[0].to_json();
  k["seq"] = "one";
  EXPECT_ANY_THROW(LogRecord::from_json(k));
  EXPECT_ANY_THROW(LogRecord::from_json(json::array()));
}

}  // namespace

// Receipts, seals and call records are built by splicing a seal's text into the other fields; the
// log hashes that text and verifies it as body.dump(), so the two must be byte for byte the same.
TEST(JsonWithMember, writes_what_dump_writes_with_the_member_in_key_order) {
  const json seal = {{"v", 1},
                     {"alg", "ES256"},
                     {"root", "ab"},
                     {"batch_size", 3},
                     {"sig", "c2ln"},
                     {"cert", "Y2VydA=="},
                     {"chain", {"YQ"}},
                     {"signed_at", "2026-11-23T07:00:00.000Z"},
                     {"proof", {"L:01", "R:02"}}};
  json without = seal;
  without.erase("proof");
  std::size_t at = 0;
  const std::string text = lgsp::bus::json_with_member(without, "proof", seal["proof"].dump(), &at);
  EXPECT_EQ(text, seal.dump());
  EXPECT_EQ(text.substr(at, seal["proof"].dump().size()), seal["proof"].dump());
  // First and last places, and keys that need escaping.
  EXPECT_EQ(lgsp::bus::json_with_member({{"b", 1}}, "a", "2"), json({{"a", 2}, {"b", 1}}).dump());
  EXPECT_EQ(lgsp::bus::json_with_member({{"b", 1}}, "c", "[]"), json({{"b", 1}, {"c", json::array()}}).dump());
  EXPECT_EQ(lgsp::bus::json_with_member({{"k\"ey", "v\n"}}, "z", "null"),
            json({{"k\"ey", "v\n"}, {"z", nullptr}}).dump());
  EXPECT_THROW(lgsp::bus::json_with_member(seal, "proof", "[]"), std::invalid_argument);
}

TEST(JsonWithMember, a_receipt_as_text_is_its_json_dumped) {
  lgsp::bus::Receipt r{
      "m-1",  "000.00.13.H29/HOTICH/hoso/v1", "000.00.13.H29/MOTCUA", "2026-11-23T07:11:16.926Z", std::string(64, 'a'),
      nullptr};
  const json seal = {{"v", 1}, {"alg", "ES256"}, {"root", "ab"}, {"proof", {"L:01"}}, {"cert", "Y2VydA=="}};
  r.signature = seal;
  EXPECT_EQ(r.to_text(seal.dump()), r.to_json().dump());
}

TEST(SealCertificates, a_stored_seal_expands_to_the_full_seal_byte_for_byte) {
  const json full = {
      {"v", 1},           {"alg", "ES256"},     {"root", "ab"},          {"batch_size", 3},
      {"sig", "c2ln"},    {"cert", "Y2VydA=="}, {"chain", {"YQ", "Yg"}}, {"signed_at", "2026-11-23T07:00:00.000Z"},
      {"proof", {"L:01"}}};
  json stored = full;
  stored.erase("cert");
  stored.erase("chain");
  const std::string sha = lgsp::bus::sha256_hex("cert");
  stored["cert_sha256"] = sha;
  lgsp::bus::SealCertificates certs{{sha, {"Y2VydA==", json({"YQ", "Yg"}).dump()}}};
  EXPECT_EQ(lgsp::bus::expand_seal_text(stored.dump(), certs), full.dump());
  EXPECT_EQ(lgsp::bus::expand_seal_text(full.dump(), {}), full.dump()) << "a full seal is left as it is";
  EXPECT_FALSE(lgsp::bus::expand_seal_text(stored.dump(), {}).has_value());
  EXPECT_EQ(lgsp::bus::seal_certificate_sha256(stored.dump()), sha);
  json parsed = stored;
  EXPECT_EQ(lgsp::bus::expand_seal(parsed, certs), "");
  EXPECT_EQ(parsed, full);
  json wrong = stored;
  lgsp::bus::SealCertificates other{{sha, {"b3RoZXI=", "[]"}}};
  EXPECT_NE(lgsp::bus::expand_seal(wrong, other), "") << "the held certificate must have the named SHA-256";
}

// One cache per node: a chain stored by one writer (a batch record) is what every expansion uses;
// rows read from the store never replace what this process stored itself.
TEST(SealCertificateCache, knows_a_certificate_with_its_chain_and_the_latest_stored_chain_wins) {
  lgsp::bus::SealCertificateCache cache;
  const std::string sha = lgsp::bus::sha256_hex("cert");
  const lgsp::bus::SealCertificate bare{"Y2VydA==", "[]"};
  const lgsp::bus::SealCertificate chained{"Y2VydA==", R"(["YQ"])"};
  const std::string stored = json{{"v", 1}, {"cert_sha256", sha}, {"sig", "c2ln"}}.dump();
  EXPECT_FALSE(cache.holds(sha, bare));
  EXPECT_FALSE(cache.expand(stored).has_value());

  cache.remember_committed({{sha, bare}});
  EXPECT_TRUE(cache.holds(sha, bare));
  EXPECT_FALSE(cache.holds(sha, chained)) << "the same certificate with another chain must be stored again";
  EXPECT_EQ(json::parse(*cache.expand(stored))["chain"], json::array());

  cache.remember(sha, chained);
  EXPECT_TRUE(cache.holds(sha, chained));
  EXPECT_EQ(json::parse(*cache.expand(stored))["chain"], json({"YQ"}));
  cache.remember_committed({{sha, bare}});  // an older read must not bring the old chain back
  EXPECT_TRUE(cache.holds(sha, chained));
  EXPECT_FALSE(cache.holds(lgsp::bus::sha256_hex("other"), chained));
}

namespace {

// A chain holding one record of `kind` whose seal names certificate `sha` (no certificate inside).
std::vector<LogRecord> record_naming_certificate(const std::string& kind, const std::string& sha) {
  const json seal = {{"v", 1},        {"alg", "ES256"},     {"root", std::string(64, 'b')},
                     {"sig", "AAAA"}, {"cert_sha256", sha}, {"proof", json::array()}};
  std::vector<LogRecord> records(1);
  auto& r = records[0];
  r.seq = 1;
  r.at = "2026-11-23T07:00:00.000Z";
  r.kind = kind;
  r.subject = "000.00.13.H29/MOTCUA m-1";
  if (kind == "accepted") {
    r.body = {{"message_id", "m-1"}, {"service", "000.00.13.H29/HOTICH/hoso/v1"}, {"client", "000.00.13.H29/MOTCUA"},
              {"accepted_at", r.at}, {"payload_sha256", std::string(64, 'a')},    {"signature", seal}};
  } else if (kind == "call") {
    r.body = {{"call_id", "c-1"},
              {"client", "000.00.13.H29/MOTCUA"},
              {"service", "000.00.13.H29/HOTICH/trichluc/v1"},
              {"at", r.at},
              {"request_sha256", std::string(64, 'a')},
              {"response_sha256", std::string(64, 'c')},
              {"status", 200},
              {"signature", seal}};
  } else {
    r.body = seal;
    r.body.erase("proof");
    r.body["batch_size"] = 1;
    r.body["signed_at"] = r.at;
  }
  r.prev_hash = kLogGenesis;
  r.hash = r.compute_hash();
  return records;
}

}  // namespace

// Each kind of record whose seal names its certificate: refused when neither the store's
// certificates nor an earlier batch record hold it, and when the one held has another SHA-256.
TEST(MessageLog, names_a_record_whose_certificate_is_missing_or_not_the_one_named) {
  const std::string sha = lgsp::bus::sha256_hex("cert");
  for (const char* kind : {"accepted", "call", "batch"}) {
    auto records = record_naming_certificate(kind, sha);
    auto missing = MessageLog::verify(records, kLogGenesis, nullptr);
    EXPECT_FALSE(missing.ok) << kind;
    EXPECT_EQ(missing.first_bad, 1) << kind;
    EXPECT_NE(missing.reason.find("which the log does not hold"), std::string::npos) << kind << ": " << missing.reason;

    const lgsp::bus::SealCertificates other{{sha, {"b3RoZXI=", "[]"}}};  // "other", not "cert"
    auto mismatched = MessageLog::verify(records, kLogGenesis, nullptr, other);
    EXPECT_FALSE(mismatched.ok) << kind;
    EXPECT_NE(mismatched.reason.find("is not the one the seal names"), std::string::npos)
        << kind << ": " << mismatched.reason;

    // With the right certificate the record gets as far as the signature, which is not a real one.
    const lgsp::bus::SealCertificates right{{sha, {"Y2VydA==", "[]"}}};
    auto held = MessageLog::verify(records, kLogGenesis, nullptr, right);
    EXPECT_FALSE(held.ok) << kind;
    EXPECT_EQ(held.reason.rfind("the seal in the record does not verify", 0), 0u) << kind << ": " << held.reason;
  }
}
