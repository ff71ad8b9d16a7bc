#include "dossier_row.hpp"

#include "lgsp/onestop/errors.hpp"

namespace lgsp::onestop::detail {
using nlohmann::json;

std::optional<std::string> opt_time(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return format_local_rfc3339(*t);
}

namespace {
std::optional<TimePoint> opt_time_of(const Value& v) {
  if (is_null(v)) return std::nullopt;
  return time_of(v);
}
}  // namespace

std::optional<DossierRow> load_dossier(Transaction& tx, const std::string& code) {
  auto rows = query(tx,
                    "SELECT code, agency, origin_agency, procedure_code, procedure_version, procedure_name, "
                    "customer_code, applicant, channel, status, pause_stack, received_at, due_at, "
                    "original_due_at, finished_at, delivered_at, current_step, current_unit, received_by, extensions "
                    "FROM dossiers WHERE code = ?",
                    {text(code)});
  if (rows.empty()) return std::nullopt;
  const auto& r = rows[0];
  DossierRow d;
  d.code = str(r[0]);
  d.agency = str(r[1]);
  d.origin_agency = str(r[2]);
  d.procedure_code = str(r[3]);
  d.procedure_version = static_cast<int>(num(r[4]));
  d.procedure_name = str(r[5]);
  d.customer_code = str(r[6]);
  d.applicant = json::parse(str(r[7]));
  d.channel = static_cast<int>(num(r[8]));
  d.status = *status_from_code(static_cast<int>(num(r[9])));
  for (const auto& v : json::parse(str(r[10]))) d.pause_stack.push_back(v.get<int>());
  d.received_at = time_of(r[11]);
  d.due_at = time_of(r[12]);
  d.original_due_at = time_of(r[13]);
  d.finished_at = opt_time_of(r[14]);
  d.delivered_at = opt_time_of(r[15]);
  d.current_step = static_cast<int>(num(r[16]));
  d.current_unit = str(r[17]);
  d.received_by = str(r[18]);
  d.extensions = static_cast<int>(num(r[19]));
  return d;
}

DossierRow need_dossier(Transaction& tx, const std::string& code) {
  auto d = load_dossier(tx, code);
  if (!d) throw OnestopError(errors::kNotFound, "no dossier " + code);
  return *d;
}

std::vector<StepRow> load_steps(Transaction& tx, const std::string& code) {
  std::vector<StepRow> out;
  for (const auto& r : query(tx,
                             "SELECT step_index, name, unit, unit_name, due_at, started_at, finished_at, handed_by, "
                             "received_by, result, role FROM dossier_steps WHERE dossier_code = ? ORDER BY step_index",
                             {text(code)})) {
    StepRow s;
    s.index = static_cast<int>(num(r[0]));
    s.name = str(r[1]);
    s.unit = str(r[2]);
    s.unit_name = str(r[3]);
    s.due_at = time_of(r[4]);
    s.started_at = opt_time_of(r[5]);
    s.finished_at = opt_time_of(r[6]);
    s.handed_by = str(r[7]);
    s.received_by = str(r[8]);
    s.result = str(r[9]);
    s.role = str(r[10]);
    out.push_back(std::move(s));
  }
  return out;
}

void save_step(Transaction& tx, const std::string& code, const StepRow& s) {
  exec(
      tx,
      "INSERT INTO dossier_steps(dossier_code, step_index, name, unit, unit_name, due_at, started_at, finished_at, "
      "handed_by, received_by, result, role) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(dossier_code, step_index) DO "
      "UPDATE SET due_at = excluded.due_at, started_at = excluded.started_at, finished_at = excluded.finished_at, "
      "handed_by = excluded.handed_by, received_by = excluded.received_by, result = excluded.result",
      {text(code), integer(s.index), text(s.name), text(s.unit), text(s.unit_name),
       text(format_local_rfc3339(s.due_at)), opt_text(opt_time(s.started_at)), opt_text(opt_time(s.finished_at)),
       text(s.handed_by), text(s.received_by), text(s.result), text(s.role)});
}

void insert_dossier(Transaction& tx, const DossierRow& d, const std::string& id_number, const std::string& phone,
                    TimePoint now) {
  exec(tx,
       "INSERT INTO dossiers(code, agency, origin_agency, procedure_code, procedure_version, procedure_name, "
       "customer_code, applicant, channel, status, pause_stack, received_at, due_at, original_due_at, "
       "finished_at, delivered_at, current_step, current_unit, received_by, updated_at, extensions, phone, "
       "id_number) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
       {text(d.code),
        text(d.agency),
        text(d.origin_agency),
        text(d.procedure_code),
        integer(d.procedure_version),
        text(d.procedure_name),
        d.customer_code.empty() ? Value(nullptr) : text(d.customer_code),
        text(d.applicant.dump()),
        integer(d.channel),
        integer(code_of(d.status)),
        text(json(d.pause_stack).dump()),
        text(format_local_rfc3339(d.received_at)),
        text(format_local_rfc3339(d.due_at)),
        text(format_local_rfc3339(d.original_due_at)),
        opt_text(opt_time(d.finished_at)),
        opt_text(opt_time(d.delivered_at)),
        integer(d.current_step),
        text(d.current_unit),
        text(d.received_by),
        text(format_local_rfc3339(now)),
        integer(d.extensions),
        text(phone),
        text(id_number)});
}

void save_dossier(Transaction& tx, const DossierRow& d, TimePoint now) {
  exec(tx,
       "UPDATE dossiers SET status = ?, pause_stack = ?, received_at = ?, due_at = ?, original_due_at = ?, "
       "finished_at = ?, delivered_at = ?, current_step = ?, current_unit = ?, updated_at = ?, extensions = ? "
       "WHERE code = ?",
       {integer(code_of(d.status)), text(json(d.pause_stack).dump()), text(format_local_rfc3339(d.received_at)),
        text(format_local_rfc3339(d.due_at)), text(format_local_rfc3339(d.original_due_at)),
        opt_text(opt_time(d.finished_at)), opt_text(opt_time(d.delivered_at)), integer(d.current_step),
        text(d.current_unit), text(format_local_rfc3339(now)), integer(d.extensions), text(d.code)});
}

int add_document(Transaction& tx, const std::string& code, const std::string& kind, const json& doc, TimePoint at) {
  auto rows = query(tx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM dossier_documents WHERE dossier_code = ?", {text(code)});
  int seq = static_cast<int>(num(rows[0][0]));
  auto s = [&](const char* k) { return doc.contains(k) && doc[k].is_string() ? doc[k].get<std::string>() : ""; };
  auto o = [&](const char* k) -> Value {
    return doc.contains(k) && doc[k].is_string() ? text(doc[k].get<std::string>()) : Value(nullptr);
  };
  exec(tx,
       "INSERT INTO dossier_documents(dossier_code, seq, kind, doc_code, name, sha256, media_type, size, "
       "signature_format, signature_sha256, signer, added_at, url, seal_sha256, sealer) "
       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
       {text(code), integer(seq), text(kind), text(s("code")), text(s("name")), text(s("sha256")),
        text(s("media_type")), integer(doc.value("size", std::int64_t{0})), o("signature_format"),
        o("signature_sha256"), o("signer"), text(format_local_rfc3339(at)), o("url"), o("seal_sha256"), o("sealer")});
  return seq;
}

json documents(Transaction& tx, const std::string& code, const std::string& kind) {
  json out = json::array();
  std::string sql =
      "SELECT seq, kind, doc_code, name, sha256, media_type, size, signature_format, signature_sha256, signer, "
      "added_at, url, seal_sha256, sealer FROM dossier_documents WHERE dossier_code = ?";
  Params p{text(code)};
  if (!kind.empty()) {
    sql += " AND kind = ?";
    p.push_back(text(kind));
  }
  for (const auto& r : query(tx, sql + " ORDER BY seq", p)) {
    json d = {{"seq", num(r[0])},    {"kind", str(r[1])},       {"code", str(r[2])}, {"name", str(r[3])},
              {"sha256", str(r[4])}, {"media_type", str(r[5])}, {"size", num(r[6])}, {"added_at", str(r[10])}};
    if (!is_null(r[7])) d["signature_format"] = str(r[7]);
    if (!is_null(r[8])) d["signature_sha256"] = str(r[8]);
    if (!is_null(r[9])) d["signer"] = str(r[9]);
    if (!is_null(r[11])) d["url"] = str(r[11]);
    if (!is_null(r[12])) d["seal_sha256"] = str(r[12]);
    if (!is_null(r[13])) d["sealer"] = str(r[13]);
    out.push_back(std::move(d));
  }
  return out;
}

void record_history(Transaction& tx, const std::string& code, TimePoint at, const Actor& actor,
                    const std::string& action, std::optional<int> from, std::optional<int> to, std::optional<int> step,
                    const std::string& comment, const json& details) {
  exec(tx,
       "INSERT INTO dossier_history(dossier_code, at, actor, actor_title, role, unit, action, from_status, "
       "to_status, step_index, comment, details) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
       {text(code), text(format_local_rfc3339(at)), text(actor.name.empty() ? actor.username : actor.name),
        text(actor.title), text(to_string(actor.role)), text(actor.unit), text(action),
        from ? integer(*from) : Value(nullptr), to ? integer(*to) : Value(nullptr),
        step ? integer(*step) : Value(nullptr), text(comment),
        details.is_null() ? Value(nullptr) : text(details.dump())});
}

}  // namespace lgsp::onestop::detail
