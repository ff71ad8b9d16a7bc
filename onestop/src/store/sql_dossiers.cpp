// Dossiers with their steps, documents and history, in SQL both engines run (tables of migration 1 and later,
// schema.cpp; the few differences from sql_dialect.hpp).
#include "sql_dialect.hpp"
#include "sql_repositories.hpp"

namespace lgsp::onestop::store {
using nlohmann::json;

namespace {

const std::vector<std::string> kDossierColumns = {
    "code",          "agency",          "origin_agency", "procedure_code", "procedure_version", "procedure_name",
    "customer_code", "applicant",       "channel",       "status",         "pause_stack",       "received_at",
    "due_at",        "original_due_at", "finished_at",   "delivered_at",   "current_step",      "current_unit",
    "received_by",   "extensions",      "id_number",     "phone"};

DossierStatus status_of(const NamedRow& r, const char* column) {
  auto code = r.integer(column);
  auto s = status_from_code(static_cast<int>(code));
  if (!s) throw bus::StoreError("onestop store: status " + std::to_string(code) + " is not a dossier status");
  return *s;
}

DossierRecord dossier_of(const NamedRow& r) {
  DossierRecord d;
  d.code = r.text("code");
  d.agency = r.text("agency");
  d.origin_agency = r.text("origin_agency");
  d.procedure_code = r.text("procedure_code");
  d.procedure_version = static_cast<int>(r.integer("procedure_version"));
  d.procedure_name = r.text("procedure_name");
  d.customer_code = r.text("customer_code");
  d.applicant = json::parse(r.text("applicant"));
  d.channel = static_cast<int>(r.integer("channel"));
  d.status = status_of(r, "status");
  for (const auto& v : json::parse(r.text("pause_stack"))) d.pause_stack.push_back(v.get<int>());
  d.received_at = r.time("received_at");
  d.due_at = r.time("due_at");
  d.original_due_at = r.time("original_due_at");
  d.finished_at = r.opt_time("finished_at");
  d.delivered_at = r.opt_time("delivered_at");
  d.current_step = static_cast<int>(r.integer("current_step"));
  d.current_unit = r.text("current_unit");
  d.received_by = r.text("received_by");
  d.extensions = static_cast<int>(r.integer("extensions"));
  d.id_number = r.text("id_number");
  d.phone = r.text("phone");
  return d;
}

DossierDocument document_of(const NamedRow& r) {
  DossierDocument d;
  d.seq = static_cast<int>(r.integer("seq"));
  d.kind = r.text("kind");
  d.code = r.text("doc_code");
  d.name = r.text("name");
  d.sha256 = r.text("sha256");
  d.media_type = r.text("media_type");
  d.size = r.integer("size");
  d.added_at = r.time("added_at");
  d.signature_format = r.opt_text("signature_format");
  d.signature_sha256 = r.opt_text("signature_sha256");
  d.signer = r.opt_text("signer");
  d.url = r.opt_text("url");
  d.seal_sha256 = r.opt_text("seal_sha256");
  d.sealer = r.opt_text("sealer");
  return d;
}

HistoryEntry history_of(const NamedRow& r) {
  HistoryEntry h;
  h.at = r.time("at");
  h.actor = r.text("actor");
  h.title = r.text("actor_title");
  h.role = r.text("role");
  h.unit = r.text("unit");
  h.action = r.text("action");
  h.comment = r.text("comment");
  if (!r.is_null("from_status")) h.from_status = static_cast<int>(r.integer("from_status"));
  if (!r.is_null("to_status")) h.to_status = static_cast<int>(r.integer("to_status"));
  if (!r.is_null("step_index")) h.step = static_cast<int>(r.integer("step_index"));
  if (!r.is_null("details")) h.details = json::parse(r.text("details"));
  return h;
}

const std::vector<std::string> kHistoryColumns = {"at",         "actor",   "actor_title", "role",
                                                  "unit",       "action",  "from_status", "to_status",
                                                  "step_index", "comment", "details"};

Value opt_int(std::optional<int> v) { return v ? Value(std::int64_t{*v}) : Value(nullptr); }

}  // namespace

std::optional<DossierRecord> SqlDossiers::find(const std::string& code) {
  auto r = select_one(tx_, kDossierColumns, "FROM dossiers WHERE code = ?", {text(code)});
  if (!r) return std::nullopt;
  return dossier_of(*r);
}

void SqlDossiers::insert(const DossierRecord& d, TimePoint now) {
  tx_.exec(
      "INSERT INTO dossiers(code, agency, origin_agency, procedure_code, procedure_version, procedure_name, "
      "customer_code, applicant, channel, status, pause_stack, received_at, due_at, original_due_at, "
      "finished_at, delivered_at, current_step, current_unit, received_by, updated_at, extensions, phone, "
      "id_number) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      Params{text(d.code),
             text(d.agency),
             text(d.origin_agency),
             text(d.procedure_code),
             integer(d.procedure_version),
             text(d.procedure_name),
             d.customer_code.empty() ? Value(nullptr) : text(d.customer_code),
             text(d.applicant.dump()),
             integer(d.channel),
             integer(static_cast<int>(d.status)),
             text(json(d.pause_stack).dump()),
             time_text(d.received_at),
             time_text(d.due_at),
             time_text(d.original_due_at),
             opt_time_text(d.finished_at),
             opt_time_text(d.delivered_at),
             integer(d.current_step),
             text(d.current_unit),
             text(d.received_by),
             time_text(now),
             integer(d.extensions),
             text(d.phone),
             text(d.id_number)});
}

void SqlDossiers::update(const DossierRecord& d, TimePoint now) {
  tx_.exec(
      "UPDATE dossiers SET status = ?, pause_stack = ?, received_at = ?, due_at = ?, original_due_at = ?, "
      "finished_at = ?, delivered_at = ?, current_step = ?, current_unit = ?, updated_at = ?, extensions = ? "
      "WHERE code = ?",
      Params{integer(static_cast<int>(d.status)), text(json(d.pause_stack).dump()), time_text(d.received_at),
             time_text(d.due_at), time_text(d.original_due_at), opt_time_text(d.finished_at),
             opt_time_text(d.delivered_at), integer(d.current_step), text(d.current_unit), time_text(now),
             integer(d.extensions), text(d.code)});
}

std::vector<DossierStep> SqlDossiers::steps(const std::string& code) {
  std::vector<DossierStep> out;
  for (const auto& r : select(tx_,
                              {"step_index", "name", "unit", "unit_name", "due_at", "started_at", "finished_at",
                               "handed_by", "received_by", "result", "role"},
                              "FROM dossier_steps WHERE dossier_code = ? ORDER BY step_index", {text(code)})) {
    DossierStep s;
    s.index = static_cast<int>(r.integer("step_index"));
    s.name = r.text("name");
    s.unit = r.text("unit");
    s.unit_name = r.text("unit_name");
    s.due_at = r.time("due_at");
    s.started_at = r.opt_time("started_at");
    s.finished_at = r.opt_time("finished_at");
    s.handed_by = r.text("handed_by");
    s.received_by = r.text("received_by");
    s.result = r.text("result");
    s.role = r.text("role");
    out.push_back(std::move(s));
  }
  return out;
}

void SqlDossiers::save_step(const std::string& code, const DossierStep& s) {
  tx_.exec(
      "INSERT INTO dossier_steps(dossier_code, step_index, name, unit, unit_name, due_at, started_at, finished_at, "
      "handed_by, received_by, result, role) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(dossier_code, step_index) DO "
      "UPDATE SET due_at = excluded.due_at, started_at = excluded.started_at, finished_at = excluded.finished_at, "
      "handed_by = excluded.handed_by, received_by = excluded.received_by, result = excluded.result",
      Params{text(code), integer(s.index), text(s.name), text(s.unit), text(s.unit_name), time_text(s.due_at),
             opt_time_text(s.started_at), opt_time_text(s.finished_at), text(s.handed_by), text(s.received_by),
             text(s.result), text(s.role)});
}

int SqlDossiers::add_document(const std::string& code, const DossierDocument& doc) {
  auto next = select_one(tx_, {"COALESCE(MAX(seq), 0) + 1 AS next"}, "FROM dossier_documents WHERE dossier_code = ?",
                         {text(code)});
  int seq = static_cast<int>(next->integer("next"));
  tx_.exec(
      "INSERT INTO dossier_documents(dossier_code, seq, kind, doc_code, name, sha256, media_type, size, "
      "signature_format, signature_sha256, signer, added_at, url, seal_sha256, sealer) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      Params{text(code), integer(seq), text(doc.kind), text(doc.code), text(doc.name), text(doc.sha256),
             text(doc.media_type), integer(doc.size), opt_text(doc.signature_format), opt_text(doc.signature_sha256),
             opt_text(doc.signer), time_text(doc.added_at), opt_text(doc.url), opt_text(doc.seal_sha256),
             opt_text(doc.sealer)});
  return seq;
}

std::vector<DossierDocument> SqlDossiers::documents(const std::string& code, const std::string& kind) {
  std::string rest = "FROM dossier_documents WHERE dossier_code = ?";
  Params p{text(code)};
  if (!kind.empty()) {
    rest += " AND kind = ?";
    p.push_back(text(kind));
  }
  std::vector<DossierDocument> out;
  for (const auto& r : select(tx_,
                              {"seq", "kind", "doc_code", "name", "sha256", "media_type", "size", "signature_format",
                               "signature_sha256", "signer", "added_at", "url", "seal_sha256", "sealer"},
                              rest + " ORDER BY seq", p))
    out.push_back(document_of(r));
  return out;
}

std::optional<std::string> SqlDossiers::portal_document_type(const std::string& sha256) {
  auto r = select_one(tx_, {"d.media_type"},
                      "FROM dossier_documents d WHERE d.sha256 = ? "
                      "AND d.kind IN ('submitted', 'supplement', 'result') "
                      "AND EXISTS (SELECT 1 FROM portal_outbox o WHERE o.dossier_code = d.dossier_code) LIMIT 1",
                      {text(sha256)});
  if (!r) return std::nullopt;
  return r->text("media_type");
}

void SqlDossiers::add_history(const std::string& code, const HistoryEntry& e) {
  tx_.exec(
      "INSERT INTO dossier_history(dossier_code, at, actor, actor_title, role, unit, action, from_status, "
      "to_status, step_index, comment, details) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
      Params{text(code), time_text(e.at), text(e.actor), text(e.title), text(e.role), text(e.unit), text(e.action),
             opt_int(e.from_status), opt_int(e.to_status), opt_int(e.step), text(e.comment),
             e.details.is_null() ? Value(nullptr) : text(e.details.dump())});
}

std::vector<HistoryEntry> SqlDossiers::history(const std::string& code) {
  std::vector<HistoryEntry> out;
  for (const auto& r :
       select(tx_, kHistoryColumns, "FROM dossier_history WHERE dossier_code = ? ORDER BY id", {text(code)}))
    out.push_back(history_of(r));
  return out;
}

std::optional<HistoryEntry> SqlDossiers::last_history(const std::string& code, const std::string& action) {
  auto r = select_one(tx_, kHistoryColumns,
                      "FROM dossier_history WHERE dossier_code = ? AND action = ? ORDER BY id DESC LIMIT 1",
                      {text(code), text(action)});
  if (!r) return std::nullopt;
  return history_of(*r);
}

namespace {
// "FROM dossiers WHERE ..." for a scope and a filter, with its parameters: one text for the list and its count.
std::string dossiers_where(const DossierRepository::Scope& scope, const DossierFilter& filter, Params& p) {
  std::string rest = "FROM dossiers WHERE 1 = 1";
  auto add = [&](const char* clause, Value v) {
    rest += clause;
    p.push_back(std::move(v));
  };
  if (!scope.customer_code.empty()) add(" AND customer_code = ?", text(scope.customer_code));
  if (!scope.agency.empty()) add(" AND agency = ?", text(scope.agency));
  if (filter.status) add(" AND status = ?", integer(*filter.status));
  if (filter.unit) add(" AND current_unit = ?", text(*filter.unit));
  if (filter.customer_code) add(" AND customer_code = ?", text(*filter.customer_code));
  // Paused dossiers (3 withdrawal asked, 5 supplement, 6 payment, 7 and 8 stopped or withdrawn) do not run late:
  // their clock is stopped (the report counts them the same way).
  if (filter.overdue_at)
    add(" AND finished_at IS NULL AND status NOT IN (3, 5, 6, 7, 8) AND due_at < ?", time_text(*filter.overdue_at));
  if (filter.away_from) add(" AND finished_at IS NULL AND current_unit <> ?", text(*filter.away_from));
  // A step without a role is any official's (records.hpp), so it is in every role's list.
  if (filter.step_role)
    add(" AND EXISTS (SELECT 1 FROM dossier_steps s WHERE s.dossier_code = dossiers.code AND "
        "s.step_index = dossiers.current_step AND (s.role = ? OR s.role = ''))",
        text(*filter.step_role));
  return rest;
}
}  // namespace

int SqlDossiers::count(const Scope& scope, const DossierFilter& filter) {
  Params p;
  std::string rest = dossiers_where(scope, filter, p);
  auto r = select_one(tx_, {"COUNT(*) AS n"}, rest, p);
  return r ? static_cast<int>(r->integer("n")) : 0;
}

std::vector<DossierSummary> SqlDossiers::list(const Scope& scope, const DossierFilter& filter, int limit) {
  Params p;
  std::string rest = dossiers_where(scope, filter, p);
  rest += " ORDER BY received_at DESC, code DESC LIMIT ?";
  p.push_back(integer(limit));
  std::vector<DossierSummary> out;
  for (const auto& r :
       select(tx_,
              {"code", "procedure_code", "procedure_name", "status", "received_at", "due_at", "finished_at",
               "current_unit", std::string(dialect_of(tx_).applicant_name) + " AS applicant_name"},
              rest, p)) {
    DossierSummary s;
    s.code = r.text("code");
    s.procedure_code = r.text("procedure_code");
    s.procedure_name = r.text("procedure_name");
    s.status = status_of(r, "status");
    s.received_at = r.time("received_at");
    s.due_at = r.time("due_at");
    s.finished_at = r.opt_time("finished_at");
    s.current_unit = r.text("current_unit");
    s.applicant_name = r.text("applicant_name");
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<ProfileTransaction> SqlDossiers::of_customer(const std::string& customer_code) {
  std::vector<ProfileTransaction> out;
  for (const auto& r :
       select(tx_, {"code", "procedure_code", "procedure_name", "status", "received_at", "due_at", "finished_at"},
              "FROM dossiers WHERE customer_code = ? ORDER BY received_at", {text(customer_code)})) {
    ProfileTransaction t;
    t.dossier_code = r.text("code");
    t.procedure_code = r.text("procedure_code");
    t.procedure_name = r.text("procedure_name");
    t.status = status_of(r, "status");
    t.received_at = r.time("received_at");
    t.due_at = r.time("due_at");
    t.finished_at = r.opt_time("finished_at");
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<RegisterRow> SqlDossiers::received_between(TimePoint from, TimePoint to, const std::string& agency) {
  std::string rest = "FROM dossiers WHERE received_at >= ? AND received_at < ?";
  Params p{time_text(from), time_text(to)};
  if (!agency.empty()) {
    rest += " AND agency = ?";
    p.push_back(text(agency));
  }
  std::vector<RegisterRow> out;
  for (const auto& r :
       select(tx_,
              {"code", std::string(dialect_of(tx_).applicant_name) + " AS applicant_name", "procedure_code",
               "procedure_name", "received_at", "due_at", "finished_at", "status", "original_due_at", "agency"},
              rest + " ORDER BY received_at, code", p)) {
    RegisterRow row;
    row.code = r.text("code");
    row.applicant_name = r.text("applicant_name");
    row.procedure_code = r.text("procedure_code");
    row.procedure_name = r.text("procedure_name");
    row.received_at = r.time("received_at");
    row.due_at = r.time("due_at");
    row.finished_at = r.opt_time("finished_at");
    row.status = status_of(r, "status");
    row.original_due_at = r.time("original_due_at");
    row.unit = r.text("agency");
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<DossierRecord> SqlDossiers::for_report(TimePoint from, TimePoint to, const std::string& agency) {
  // Positional parameters only (PostgreSQL has no ?NNN): each time is given as often as it is used.
  std::string rest =
      "FROM dossiers WHERE ((received_at >= ? AND received_at < ?) OR (finished_at >= ? AND finished_at < ?) OR "
      "(finished_at IS NULL AND received_at < ?))";
  Params p{time_text(from), time_text(to), time_text(from), time_text(to), time_text(to)};
  if (!agency.empty()) {
    rest += " AND agency = ?";
    p.push_back(text(agency));
  }
  std::vector<DossierRecord> out;
  for (const auto& r : select(tx_, kDossierColumns, rest, p)) out.push_back(dossier_of(r));
  return out;
}

std::string SqlDossiers::allocate_code(const DossierCodePattern& pattern, const std::string& agency, TimePoint at) {
  if (agency.empty()) throw DossierCodeError("dossier code: the agency code is empty");
  Date day = local_date(at);
  // One statement, so the read and the increment cannot be split by another writer; the row stays even when
  // the dossier is later deleted, which is what keeps codes from being reused. The counter row stays locked
  // (PostgreSQL: row lock; SQLite: the one writer) until the unit that files the dossier commits, and rolls
  // back with it: codes are unique and gap-free per agency and day with several office instances too.
  auto rows = query_rows(tx_,
                         "INSERT INTO dossier_sequences(agency, day, last) VALUES (?, ?, 1) "
                         "ON CONFLICT(agency, day) DO UPDATE SET last = dossier_sequences.last + 1 RETURNING last",
                         {text(agency), text(format_date(day))});
  if (rows.size() != 1) throw DossierCodeError("dossier code: the sequence upsert for " + agency + " returned no row");
  return pattern.format(agency, day, rows[0].integer("last"));
}

}  // namespace lgsp::onestop::store
