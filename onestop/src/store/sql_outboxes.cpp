// The national portal's outbox, the bus outbox and the bus inbox, in SQL both engines run.
#include "lgsp/onestop/schema.hpp"
#include "sql_repositories.hpp"

namespace lgsp::onestop::store {
using nlohmann::json;

void SqlPortalOutbox::append(const std::string& dossier_code, const std::string& service, const json& record,
                             TimePoint at) {
  tx_.exec("INSERT INTO portal_outbox(at, dossier_code, service, record) VALUES (?,?,?,?)",
           Params{time_text(at), text(dossier_code), text(service), text(record.dump())});
}

std::vector<PortalRecord> SqlPortalOutbox::after(std::int64_t after_id, int limit, const std::string& agency) {
  // `agency`: only the records of that agency's dossiers (a record names its dossier).
  std::string rest = "FROM portal_outbox o WHERE id > ?";
  Params p{integer(after_id)};
  if (!agency.empty()) {
    rest += " AND EXISTS (SELECT 1 FROM dossiers d WHERE d.code = o.dossier_code AND d.agency = ?)";
    p.push_back(text(agency));
  }
  p.push_back(integer(limit));
  std::vector<PortalRecord> out;
  for (const auto& r :
       select(tx_, {"id", "at", "dossier_code", "service", "record", "synced_at"}, rest + " ORDER BY id LIMIT ?", p))
    out.push_back(PortalRecord{r.integer("id"), r.time("at"), r.text("dossier_code"), r.text("service"),
                               json::parse(r.text("record")), r.opt_text("synced_at")});
  return out;
}

void SqlBusOutbox::enqueue(const std::string& service, const std::string& message_id,
                           const std::string& conversation_id, const json& payload, TimePoint at) {
  tx_.exec(
      "INSERT INTO bus_outbox(service, message_id, conversation_id, payload, created_at, next_attempt_at) "
      "VALUES (?,?,?,?,?,?) ON CONFLICT(message_id) DO NOTHING",
      Params{text(service), text(message_id), text(conversation_id), text(payload.dump()), time_text(at),
             time_text(at)});
}

std::int64_t SqlBusOutbox::next_id() {
  return select_one(tx_, {"COALESCE(MAX(id), 0) + 1 AS next"}, "FROM bus_outbox")->integer("next");
}

namespace {
const std::vector<std::string> kEntryColumns = {"id",         "service",        "message_id", "conversation_id",
                                                "payload",    "created_at",     "sent_at",    "attempts",
                                                "last_error", "next_attempt_at"};
BusOutboxEntry entry_of(const NamedRow& r) {
  BusOutboxEntry e;
  e.id = r.integer("id");
  e.service = r.text("service");
  e.message_id = r.text("message_id");
  e.conversation_id = r.text("conversation_id");
  e.payload = json::parse(r.text("payload"));
  e.created_at = r.time("created_at");
  e.sent_at = r.opt_time("sent_at");
  e.attempts = r.integer("attempts");
  e.last_error = r.opt_text("last_error");
  e.next_attempt_at = r.time("next_attempt_at");
  return e;
}
}  // namespace

std::vector<BusOutboxEntry> SqlBusOutbox::due(TimePoint now, int limit) {
  std::vector<BusOutboxEntry> out;
  // kDueBusMessagesSql is one statement so that its plan can be checked (it must use the pending index).
  for (const auto& r : query_rows(tx_, kDueBusMessagesSql, {time_text(now), integer(limit)})) {
    BusOutboxEntry e;
    e.id = r.integer("id");
    e.service = r.text("service");
    e.message_id = r.text("message_id");
    e.conversation_id = r.text("conversation_id");
    e.payload = json::parse(r.text("payload"));
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<BusOutboxEntry> SqlBusOutbox::claim_due(TimePoint now, int limit, const std::string& owner,
                                                    TimePoint claimed_until) {
  // kDueBusMessagesSql less the messages whose claim has not lapsed, read and claimed in one write unit (the
  // office's writes are exclusive: OfficeRepositories::exclusive), so two senders never hold one message.
  std::vector<BusOutboxEntry> out;
  for (const auto& r : query_rows(tx_, kClaimBusMessagesSql, {time_text(now), time_text(now), integer(limit)})) {
    BusOutboxEntry e;
    e.id = r.integer("id");
    e.service = r.text("service");
    e.message_id = r.text("message_id");
    e.conversation_id = r.text("conversation_id");
    e.payload = json::parse(r.text("payload"));
    e.attempts = r.integer("attempts");
    out.push_back(std::move(e));
  }
  for (const auto& e : out)
    tx_.exec("UPDATE bus_outbox SET claimed_by = ?, claimed_until = ? WHERE id = ?",
             Params{text(owner), time_text(claimed_until), integer(e.id)});
  return out;
}

std::optional<BusOutboxEntry> SqlBusOutbox::find(std::int64_t id) {
  auto r = select_one(tx_, kEntryColumns, "FROM bus_outbox WHERE id = ?", {integer(id)});
  if (!r) return std::nullopt;
  return entry_of(*r);
}

void SqlBusOutbox::mark_sent(std::int64_t id, TimePoint at) {
  tx_.exec(
      "UPDATE bus_outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL, claimed_by = NULL, "
      "claimed_until = NULL WHERE id = ?",
      Params{time_text(at), integer(id)});
}

void SqlBusOutbox::mark_failed(std::int64_t id, const std::string& error, TimePoint next_attempt_at) {
  tx_.exec(
      "UPDATE bus_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claimed_by = NULL, "
      "claimed_until = NULL WHERE id = ?",
      Params{text(error), time_text(next_attempt_at), integer(id)});
}

std::vector<BusOutboxEntry> SqlBusOutbox::after(bool pending_only, std::int64_t after_id, int limit,
                                                const std::string& agency) {
  std::string rest = "FROM bus_outbox o WHERE id > ?";
  Params p{integer(after_id)};
  if (pending_only) rest += " AND sent_at IS NULL";
  if (!agency.empty()) {  // a bus message's conversation is its dossier
    rest += " AND EXISTS (SELECT 1 FROM dossiers d WHERE d.code = o.conversation_id AND d.agency = ?)";
    p.push_back(text(agency));
  }
  p.push_back(integer(limit));
  std::vector<BusOutboxEntry> out;
  for (const auto& r : select(tx_, kEntryColumns, rest + " ORDER BY id LIMIT ?", p)) out.push_back(entry_of(r));
  return out;
}

bool SqlBusOutbox::received(const std::string& message_id) {
  return select_one(tx_, {"1 AS found"}, "FROM bus_inbox WHERE message_id = ?", {text(message_id)}).has_value();
}

void SqlBusOutbox::record_received(const std::string& message_id, const std::string& kind, const std::string& client,
                                   TimePoint at, const json& payload, const json& outcome) {
  tx_.exec(
      "INSERT INTO bus_inbox(message_id, service, client, received_at, payload, outcome) VALUES (?,?,?,?,?,?)",
      Params{text(message_id), text(kind), text(client), time_text(at), text(payload.dump()), text(outcome.dump())});
}

}  // namespace lgsp::onestop::store
