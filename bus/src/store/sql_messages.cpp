// MessageRepository on SQLite and PostgreSQL: the same SQL for both. The accept/persist and delivery statements are the
// hot path: one statement each, prepared once per connection (the store's statement cache).
#include "pg_repositories.hpp"
#include "sql_dialect.hpp"
#include "sqlite_repositories.hpp"

namespace lgsp::bus::store {
namespace {

Value text_or_null(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }

DeadMessage dead_from(const Row& r) {
  return {r.integer("seq"),
          r.text("client"),
          r.text("id"),
          r.text("service"),
          r.text("accepted_at"),
          r.integer("attempts"),
          r.optional_text("last_error")};
}

constexpr const char* kDueColumns =
    "SELECT m.seq, m.id, m.client, m.service, m.conversation, m.content_type, b.payload, m.accepted_at, b.seal,"
    " m.attempts, m.payload_sha256, m.replayed_after FROM message m JOIN message_body b ON b.seq = m.seq";

std::vector<DueMessage> due_from(std::vector<Row> rows) {
  std::vector<DueMessage> out;
  out.reserve(rows.size());
  for (auto& r : rows) {
    DueMessage d;
    d.seq = r.integer("seq");
    d.id = r.text("id");
    d.client = r.text("client");
    d.service = r.text("service");
    d.conversation = r.optional_text("conversation");
    d.content_type = r.text("content_type");
    // Anything but a blob is no payload to send (the deliverer records it as gone).
    if (auto payload = r.take("payload"); auto* b = std::get_if<Blob>(&payload)) d.payload = std::move(*b);
    d.accepted_at = r.text("accepted_at");
    d.seal = r.text("seal");
    d.attempts = r.integer("attempts");
    d.payload_sha256 = r.text("payload_sha256");
    d.replayed_after = r.integer("replayed_after");
    out.push_back(std::move(d));
  }
  return out;
}

constexpr const char* kDeadColumns = "SELECT seq, client, id, service, accepted_at, attempts, last_error FROM message";

class SqlMessages final : public MessageRepository {
 public:
  explicit SqlMessages(const SqlDialect& dialect) : dialect_(dialect) {}

  std::optional<std::int64_t> accept(Transaction& tx, const NewMessage& m) const override {
    const Value p[] = {m.id,           m.client,         m.service,     text_or_null(m.conversation),
                       m.content_type, m.payload_sha256, m.accepted_at, m.next_attempt_ms};
    auto row = tx.query_one(
        "INSERT INTO message(id, client, service, conversation, content_type, payload_sha256, accepted_at,"
        " state, next_attempt_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 'accepted', ?) ON CONFLICT (client, id) DO NOTHING"
        " RETURNING seq",
        p);
    if (!row) return std::nullopt;
    return row->integer("seq");
  }

  void store_body(Transaction& tx, std::int64_t seq, Blob payload, const std::string& seal) const override {
    const Value p[] = {seq, std::move(payload), seal};
    tx.exec("INSERT INTO message_body(seq, payload, seal) VALUES (?, ?, ?)", p);
  }

  std::optional<AcceptedMessage> find_accepted(Transaction& tx, const std::string& client,
                                               const std::string& id) const override {
    const Value key[] = {client, id};
    auto row = tx.query_one(
        "SELECT m.payload_sha256, m.service, m.accepted_at, b.seal FROM message m JOIN message_body b"
        " ON b.seq = m.seq WHERE m.client = ? AND m.id = ?",
        key);
    if (!row) return std::nullopt;
    return AcceptedMessage{row->text("payload_sha256"), row->text("service"), row->text("accepted_at"),
                           row->text("seal")};
  }

  std::optional<MessageStatus> find_status(Transaction& tx, const std::string& client,
                                           const std::string& id) const override {
    const Value key[] = {client, id};
    auto row = tx.query_one(
        "SELECT m.seq, m.service, m.state, m.accepted_at, b.seal, m.last_error, m.conversation, m.payload_sha256"
        " FROM message m JOIN message_body b ON b.seq = m.seq WHERE m.client = ? AND m.id = ?",
        key);
    if (!row) return std::nullopt;
    return MessageStatus{row->integer("seq"),
                         row->text("service"),
                         row->text("state"),
                         row->text("accepted_at"),
                         row->text("seal"),
                         row->optional_text("last_error"),
                         row->optional_text("conversation"),
                         row->text("payload_sha256")};
  }

  std::vector<DeliveryAttempt> attempts(Transaction& tx, std::int64_t seq) const override {
    const Value p[] = {seq};
    std::vector<DeliveryAttempt> out;
    for (auto& r : tx.query("SELECT attempt, at, status, error FROM delivery_attempt WHERE message_seq = ?"
                            " ORDER BY attempt",
                            p))
      out.push_back({seq, r.integer("attempt"), r.text("at"), r.optional_integer("status"), r.optional_text("error")});
    return out;
  }

  std::vector<DueMessage> due(Transaction& tx, std::int64_t now_ms, std::int64_t limit) const override {
    const Value p[] = {now_ms, limit};
    return due_from(tx.query(std::string(kDueColumns) +
                                 " WHERE m.state IN ('accepted','delivering') AND m.next_attempt_ms <= ?"
                                 " AND (m.conversation IS NULL OR NOT EXISTS (SELECT 1 FROM message p WHERE p.client = "
                                 "m.client"
                                 "  AND p.conversation = m.conversation AND p.state IN ('accepted','delivering','dead')"
                                 " AND p.seq < m.seq))"
                                 " ORDER BY m.next_attempt_ms, m.seq LIMIT ?",
                             p));
  }

  std::vector<DueMessage> claim_due(Transaction& tx, std::int64_t now_ms, std::int64_t limit, const std::string& node,
                                    std::int64_t lease_ms) const override {
    // The same choice as due(), less what another node holds: a claimed message is still undelivered, so the
    // later messages of its conversation wait for it whichever node holds it.
    const Value claim[] = {node, now_ms + lease_ms, now_ms, now_ms, limit};
    const std::string update =
        std::string(
            "UPDATE message SET claimed_by = ?, claim_expires_ms = ? WHERE seq IN (SELECT m.seq FROM"
            " message m WHERE m.state IN ('accepted','delivering') AND m.next_attempt_ms <= ?"
            " AND (m.claimed_by IS NULL OR m.claim_expires_ms <= ?)"
            " AND (m.conversation IS NULL OR NOT EXISTS (SELECT 1 FROM message p WHERE p.client = m.client"
            "  AND p.conversation = m.conversation AND p.state IN ('accepted','delivering','dead')"
            " AND p.seq < m.seq))"
            " ORDER BY m.next_attempt_ms, m.seq LIMIT ?") +
        dialect_.lock_skip_locked + ") RETURNING seq";
    // Exactly the rows this statement claimed, with what their delivery needs: on PostgreSQL in the same
    // statement (one round trip), on SQLite (no UPDATE inside WITH) by their seqs.
    if (*dialect_.lock_skip_locked)
      return due_from(tx.query("WITH claimed AS (" + update + ") " + kDueColumns +
                                   " JOIN claimed c ON c.seq = m.seq ORDER BY m.next_attempt_ms, m.seq",
                               claim));
    std::string seqs = "[";
    for (auto& r : tx.query(update, claim)) seqs += (seqs.size() > 1 ? "," : "") + std::to_string(r.integer("seq"));
    if (seqs.size() == 1) return {};
    const Value mine[] = {seqs + "]"};
    return due_from(tx.query(
        std::string(kDueColumns) + " WHERE m.seq IN (SELECT value FROM json_each(?)) ORDER BY m.next_attempt_ms, m.seq",
        mine));
  }

  std::int64_t release_claims(Transaction& tx, const std::string& node) const override {
    const Value p[] = {node};
    tx.exec(
        "UPDATE message SET claimed_by = NULL, claim_expires_ms = NULL WHERE claimed_by = ?"
        " AND state IN ('accepted','delivering')",
        p);
    return tx.changes();
  }

  void record_attempt(Transaction& tx, const DeliveryAttempt& a) const override {
    const Value p[] = {a.message_seq, a.attempt, a.at, a.status ? Value(*a.status) : Value(nullptr),
                       text_or_null(a.error)};
    tx.exec("INSERT INTO delivery_attempt(message_seq, attempt, at, status, error) VALUES (?, ?, ?, ?, ?)", p);
  }

  bool set_delivery_state(Transaction& tx, const DeliveryState& s) const override {
    if (!s.claimed_by) {
      const Value p[] = {s.state, s.attempts, s.next_attempt_ms, text_or_null(s.last_error), s.seq};
      tx.exec("UPDATE message SET state = ?, attempts = ?, next_attempt_ms = ?, last_error = ? WHERE seq = ?", p);
      return tx.changes() > 0;
    }
    const Value p[] = {s.state, s.attempts, s.next_attempt_ms, text_or_null(s.last_error), s.seq, *s.claimed_by};
    tx.exec(
        "UPDATE message SET state = ?, attempts = ?, next_attempt_ms = ?, last_error = ?, claimed_by = NULL,"
        " claim_expires_ms = NULL WHERE seq = ? AND claimed_by = ?",
        p);
    return tx.changes() > 0;
  }

  void drop_payload(Transaction& tx, std::int64_t seq) const override {
    const Value p[] = {seq};
    tx.exec("UPDATE message_body SET payload = NULL WHERE seq = ?", p);
  }

  std::vector<ServiceQueue> queues(Transaction& tx) const override {
    std::vector<ServiceQueue> out;
    for (auto& r : tx.query("SELECT service, count(*) AS depth FROM message"
                            " WHERE state IN ('accepted','delivering') GROUP BY service"))
      out.push_back({r.text("service"), r.integer("depth"), std::nullopt});
    for (auto& q : out) {
      const Value p[] = {q.service};
      auto row = tx.query_one(
          "SELECT min(accepted_at) AS oldest FROM message WHERE state IN ('accepted','delivering')"
          " AND service = ?",
          p);
      if (row && std::holds_alternative<std::string>(row->value("oldest"))) q.oldest_accepted_at = row->text("oldest");
    }
    return out;
  }

  std::int64_t count_undelivered(Transaction& tx, const std::string& service) const override {
    const Value p[] = {service};
    return tx.query("SELECT count(*) AS n FROM message WHERE service = ? AND state IN ('accepted','delivering')", p)
        .at(0)
        .integer("n");
  }

  std::vector<DeadMessage> dead(Transaction& tx) const override {
    std::vector<DeadMessage> out;
    for (auto& r : tx.query(std::string(kDeadColumns) + " WHERE state = 'dead' ORDER BY seq"))
      out.push_back(dead_from(r));
    return out;
  }

  std::vector<DeadMessage> find_dead(Transaction& tx, const std::optional<std::string>& id,
                                     const std::optional<std::string>& client) const override {
    std::vector<Row> rows;
    const std::string select = kDeadColumns;
    if (!id && !client) {
      rows = tx.query(select + " WHERE state = 'dead' ORDER BY seq");
    } else if (!id) {
      const Value p[] = {*client};
      rows = tx.query(select + " WHERE state = 'dead' AND client = ? ORDER BY seq", p);
    } else if (!client) {
      const Value p[] = {*id};
      rows = tx.query(select + " WHERE state = 'dead' AND id = ? ORDER BY seq", p);
    } else {
      const Value p[] = {*id, *client};
      rows = tx.query(select + " WHERE state = 'dead' AND id = ? AND client = ? ORDER BY seq", p);
    }
    std::vector<DeadMessage> out;
    for (auto& r : rows) out.push_back(dead_from(r));
    return out;
  }

  void requeue(Transaction& tx, std::int64_t seq, std::int64_t now_ms, std::int64_t replayed_after) const override {
    const Value p[] = {now_ms, replayed_after, seq};
    tx.exec("UPDATE message SET state = 'accepted', next_attempt_ms = ?, replayed_after = ? WHERE seq = ?", p);
  }

  std::vector<StoredMessage> page(Transaction& tx, std::int64_t after_seq, std::int64_t limit) const override {
    const Value p[] = {after_seq, limit};
    std::vector<StoredMessage> out;
    for (auto& r :
         tx.query("SELECT m.seq, m.id, m.client, m.service, m.payload_sha256, m.accepted_at, m.state, m.attempts,"
                  " b.payload, b.seal FROM message m LEFT JOIN message_body b ON b.seq = m.seq WHERE m.seq > ?"
                  " ORDER BY m.seq LIMIT ?",
                  p)) {
      StoredMessage m;
      m.seq = r.integer("seq");
      m.id = r.text("id");
      m.client = r.text("client");
      m.service = r.text("service");
      m.payload_sha256 = r.text("payload_sha256");
      m.accepted_at = r.text("accepted_at");
      m.state = r.text("state");
      m.attempts = r.integer("attempts");
      m.has_body = !r.is_null("seal");
      Value payload = r.take("payload");
      if (auto* b = std::get_if<Blob>(&payload))
        m.payload = std::move(*b);
      else if (!std::holds_alternative<std::nullptr_t>(payload))
        m.payload_not_a_blob = true;
      if (m.has_body) m.seal = r.text("seal");
      out.push_back(std::move(m));
    }
    return out;
  }

 private:
  const SqlDialect& dialect_;
};

}  // namespace

const MessageRepository& sqlite_messages() {
  static const SqlMessages repository{kSqliteDialect};
  return repository;
}

const MessageRepository& pg_messages() {
  static const SqlMessages repository{kPostgresqlDialect};
  return repository;
}

}  // namespace lgsp::bus::store
