// LogRepository on SQLite and PostgreSQL (sql_dialect.hpp): the hash-chained log, the sealed heads and the sealing
// certificates.
#include "pg_repositories.hpp"
#include "sql_dialect.hpp"
#include "sqlite_repositories.hpp"

namespace lgsp::bus::store {
namespace {

std::optional<LogLink> link_of(std::optional<Row> row) {
  if (!row) return std::nullopt;
  return LogLink{row->integer("seq"), row->text("hash")};
}

// The log's statements are the same in both dialects, so one instance serves SQLite and PostgreSQL.
class SqlLog final : public LogRepository {
 public:
  std::optional<LogLink> last(Transaction& tx) const override {
    return link_of(tx.query_one("SELECT seq, hash FROM message_log ORDER BY seq DESC LIMIT 1"));
  }
  std::optional<std::pair<std::string, std::string>> last_kind_and_subject(Transaction& tx) const override {
    auto row = tx.query_one("SELECT kind, subject FROM message_log ORDER BY seq DESC LIMIT 1");
    if (!row) return std::nullopt;
    return std::make_pair(row->text("kind"), row->text("subject"));
  }
  std::optional<LogLink> last_not_timestamp(Transaction& tx) const override {
    return link_of(
        tx.query_one("SELECT seq, hash FROM message_log WHERE kind != 'timestamp' ORDER BY seq DESC LIMIT 1"));
  }
  void append(Transaction& tx, StoredLogRecord r) const override {
    const Value p[] = {r.seq,
                       std::move(r.at),
                       std::move(r.kind),
                       std::move(r.subject),
                       std::move(r.body),
                       std::move(r.prev_hash),
                       std::move(r.hash)};
    tx.exec("INSERT INTO message_log(seq, at, kind, subject, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)", p);
  }
  std::optional<std::string> hash_at(Transaction& tx, std::int64_t seq) const override {
    const Value p[] = {seq};
    auto row = tx.query_one("SELECT hash FROM message_log WHERE seq = ?", p);
    if (!row) return std::nullopt;
    return row->text("hash");
  }
  std::vector<StoredLogRecord> range(Transaction& tx, std::int64_t from, std::int64_t to) const override {
    const Value p[] = {from, to};
    std::vector<StoredLogRecord> out;
    for (auto& r : tx.query("SELECT seq, at, kind, subject, body, prev_hash, hash FROM message_log"
                            " WHERE seq BETWEEN ? AND ? ORDER BY seq",
                            p))
      out.push_back({r.integer("seq"), r.text("at"), r.text("kind"), r.text("subject"), r.text("body"),
                     r.text("prev_hash"), r.text("hash")});
    return out;
  }

  std::vector<SealedLogHead> sealed_heads(Transaction& tx) const override {
    std::vector<SealedLogHead> out;
    for (auto& r : tx.query("SELECT id, count, hash, sealed_at, seal FROM log_head ORDER BY id"))
      out.push_back(SealedLogHead{r.integer("id"), LogHead{r.integer("count"), r.text("hash")}, r.text("sealed_at"),
                                  r.text("seal")});
    return out;
  }
  void insert_sealed_head(Transaction& tx, const LogHead& head, const std::string& sealed_at,
                          const std::string& seal) const override {
    const Value p[] = {head.count, head.hash, sealed_at, seal};
    tx.exec("INSERT INTO log_head(count, hash, sealed_at, seal) VALUES (?, ?, ?, ?)", p);
  }

  SealCertificates seal_certificates(Transaction& tx) const override {
    SealCertificates out;
    for (auto& r : tx.query("SELECT sha256, cert, chain FROM seal_certificate"))
      out.emplace(r.text("sha256"), SealCertificate{r.text("cert"), r.text("chain")});
    return out;
  }
  void store_seal_certificate(Transaction& tx, const std::string& sha256,
                              const SealCertificate& certificate) const override {
    const Value p[] = {sha256, certificate.cert, certificate.chain};
    tx.exec(
        "INSERT INTO seal_certificate(sha256, cert, chain) VALUES (?, ?, ?)"
        " ON CONFLICT(sha256) DO UPDATE SET chain = excluded.chain WHERE seal_certificate.chain <> excluded.chain",
        p);
  }
};

}  // namespace

const LogRepository& sqlite_log() {
  static const SqlLog repository;
  return repository;
}

const LogRepository& pg_log() {
  static const SqlLog repository;
  return repository;
}

}  // namespace lgsp::bus::store
