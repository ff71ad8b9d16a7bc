// EdxmlRepository on SQLite and PostgreSQL (sql_dialect.hpp); the tables come from migration 9.
#include "lgsp/bus/repositories/edxml_repository.hpp"

#include "sql_dialect.hpp"

namespace lgsp::bus {
namespace store {
namespace {

EdxmlOrgan organ_from(const Row& r) {
  return {r.text("organ_id"), r.text("subsystem"), r.text("name"), r.text("created_at")};
}

EdxmlDelivery delivery_from(const Row& r) {
  return {r.integer("id"),  r.text("kind"),    r.text("document_id"), r.text("from_organ"), r.text("to_organ"),
          r.text("client"), r.text("service"), r.text("message_id"),  r.text("subject"),    r.text("accepted_at")};
}

constexpr const char* kDeliveryColumns =
    "SELECT id, kind, document_id, from_organ, to_organ, client, service, message_id, subject, accepted_at"
    " FROM edxml_delivery";

class SqlEdxml final : public EdxmlRepository {
 public:
  explicit SqlEdxml(const SqlDialect& dialect) : d_(dialect) {}

  void put_organ(Transaction& tx, const EdxmlOrgan& organ) const override {
    const Value p[] = {organ.organ_id, organ.subsystem, organ.name};
    tx.exec(
        "INSERT INTO edxml_organ(organ_id, subsystem, name) VALUES (?, ?, ?)"
        " ON CONFLICT (organ_id) DO UPDATE SET subsystem = excluded.subsystem, name = excluded.name",
        p);
  }
  bool remove_organ(Transaction& tx, const std::string& organ_id) const override {
    const Value p[] = {organ_id};
    tx.exec("DELETE FROM edxml_organ WHERE organ_id = ?", p);
    return tx.changes() > 0;
  }
  std::optional<EdxmlOrgan> find_organ(Transaction& tx, const std::string& organ_id) const override {
    const Value p[] = {organ_id};
    auto r = tx.query_one("SELECT organ_id, subsystem, name, created_at FROM edxml_organ WHERE organ_id = ?", p);
    if (!r) return std::nullopt;
    return organ_from(*r);
  }
  std::vector<EdxmlOrgan> organs(Transaction& tx, std::int64_t limit) const override {
    const Value p[] = {limit};
    std::vector<EdxmlOrgan> out;
    for (auto& r :
         tx.query(std::string("SELECT organ_id, subsystem, name, created_at FROM edxml_organ ORDER BY organ_id") +
                      d_.bytewise + " LIMIT ?",
                  p))
      out.push_back(organ_from(r));
    return out;
  }

  bool record_delivery(Transaction& tx, const EdxmlDelivery& x) const override {
    const Value p[] = {x.kind,    x.document_id, x.from_organ, x.to_organ,   x.client,
                       x.service, x.message_id,  x.subject,    x.accepted_at};
    tx.exec(
        "INSERT INTO edxml_delivery(kind, document_id, from_organ, to_organ, client, service, message_id, subject,"
        " accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client, message_id) DO NOTHING",
        p);
    return tx.changes() > 0;
  }
  std::vector<EdxmlDelivery> deliveries(Transaction& tx, const std::string& document_id,
                                        std::int64_t limit) const override {
    const Value p[] = {document_id, limit};
    std::vector<EdxmlDelivery> out;
    for (auto& r : tx.query(std::string(kDeliveryColumns) + " WHERE document_id = ? ORDER BY id LIMIT ?", p))
      out.push_back(delivery_from(r));
    return out;
  }
  std::vector<EdxmlDelivery> inbox(Transaction& tx, const std::string& to_organ, std::int64_t limit) const override {
    const Value p[] = {to_organ, limit};
    std::vector<EdxmlDelivery> out;
    for (auto& r : tx.query(
             std::string(kDeliveryColumns) + " WHERE to_organ = ? AND kind = 'document' ORDER BY id DESC LIMIT ?", p))
      out.push_back(delivery_from(r));
    return out;
  }

  bool record_status(Transaction& tx, const EdxmlStatus& s) const override {
    const Value p[] = {s.document_id, s.from_organ, s.status_code, s.description, s.timestamp, s.message_id};
    tx.exec(
        "INSERT INTO edxml_status(document_id, from_organ, status_code, description, status_at, message_id)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (document_id, from_organ, message_id) DO NOTHING",
        p);
    return tx.changes() > 0;
  }
  std::vector<EdxmlStatus> statuses(Transaction& tx, const std::string& document_id,
                                    std::int64_t limit) const override {
    const Value p[] = {document_id, limit};
    std::vector<EdxmlStatus> out;
    for (auto& r :
         tx.query("SELECT id, document_id, from_organ, status_code, description, status_at, message_id, recorded_at"
                  " FROM edxml_status WHERE document_id = ? ORDER BY id LIMIT ?",
                  p))
      out.push_back({r.integer("id"), r.text("document_id"), r.text("from_organ"), r.text("status_code"),
                     r.text("description"), r.text("status_at"), r.text("message_id"), r.text("recorded_at")});
    return out;
  }

 private:
  const SqlDialect& d_;
};

}  // namespace
}  // namespace store

const EdxmlRepository& edxml_repository(const Transaction& tx) {
  static const store::SqlEdxml sqlite{store::kSqliteDialect};
  static const store::SqlEdxml postgresql{store::kPostgresqlDialect};
  switch (tx.backend()) {
    case Backend::sqlite:
      return sqlite;
    case Backend::postgresql:
      return postgresql;
  }
  throw StoreError("store: this build has no edXML repository for the store's backend");
}

}  // namespace lgsp::bus
