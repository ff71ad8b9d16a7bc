// Web accounts, sessions and token sign-in challenges in the office's store (docs/onestop.md, "Web sessions").
// What a request carries (cookie, CSRF token, password) is checked in web_auth.cpp; this file keeps the records.
#include "access.hpp"
#include "lgsp/onestop/office.hpp"
#include "office_unit.hpp"

namespace lgsp::onestop {
using namespace detail;

std::optional<Actor> OneStopOffice::actor_of(const std::string& username) const {
  std::optional<Actor> out;
  read([&](Repos& r) {
    auto u = r.users().find(username);
    if (u) out = Actor{u->username, u->name, u->title, u->role, u->unit, u->customer_code.value_or(""), u->scope};
  });
  return out;
}

std::optional<std::string> OneStopOffice::password_hash(const std::string& username) const {
  std::optional<std::string> out;
  read([&](Repos& r) { out = r.web().password_hash(username); });
  return out;
}

void OneStopOffice::set_password(const std::string& username, const std::string& hash) {
  TimePoint t = now();
  write([&](Repos& r) {
    if (!r.users().exists(username)) throw OnestopError(errors::kNotFound, "no user '" + username + "'");
    r.web().set_password(username, hash, t);
    // A new password ends every session opened with the old one.
    r.web().end_sessions_of(username);
  });
}

void OneStopOffice::open_session(const WebSession& s, int max_sessions) {
  write([&](Repos& r) {
    r.web().add_session(s);
    r.web().cap_sessions(s.username, max_sessions);
  });
}

std::optional<WebSession> OneStopOffice::web_session(const std::string& id_sha256) const {
  std::optional<WebSession> out;
  read([&](Repos& r) { out = r.web().session(id_sha256); });
  return out;
}

void OneStopOffice::touch_session(const std::string& id_sha256) {
  TimePoint t = now();
  write([&](Repos& r) { r.web().touch_session(id_sha256, t); });
}

bool OneStopOffice::end_session(const std::string& id_sha256) {
  bool ended = false;
  write([&](Repos& r) { ended = r.web().end_session(id_sha256); });
  return ended;
}

int OneStopOffice::end_sessions_of(const std::string& username) {
  int n = 0;
  write([&](Repos& r) { n = r.web().end_sessions_of(username); });
  return n;
}

int OneStopOffice::sweep_web(std::chrono::seconds idle, std::chrono::seconds max_age) {
  TimePoint t = now();
  int n = 0;
  write([&](Repos& r) {
    n = r.web().sweep_sessions(t - idle, t - max_age);
    r.web().sweep_challenges(t);
    r.web().sweep_requests(t - std::chrono::hours(24));
  });
  return n;
}

bool OneStopOffice::add_challenge(const WebChallenge& c, int max_open) {
  TimePoint t = now();
  bool added = false;
  write([&](Repos& r) {
    r.web().sweep_challenges(t);
    if (r.web().count_challenges(t) >= max_open) return;
    r.web().add_challenge(c);
    added = true;
  });
  return added;
}

std::optional<WebChallenge> OneStopOffice::take_challenge(const std::string& id) {
  std::optional<WebChallenge> out;
  write([&](Repos& r) { out = r.web().take_challenge(id); });
  return out;
}

}  // namespace lgsp::onestop

namespace lgsp::onestop {

Dossier OneStopOffice::submit_supplement(const Actor& actor, const std::string& code,
                                         const std::vector<SupplementDocument>& docs, const std::string& note) {
  if (actor.role != Role::kCitizen && actor.role != Role::kReceiving)
    throw OnestopError(errors::kForbidden, "a supplement is handed in by the applicant or at the receiving desk");
  if (docs.empty() || docs.size() > 50)
    throw OnestopError(errors::kInvalid, "give 1 to 50 documents",
                       nlohmann::json::array({{{"path", "/documents"}, {"message", "1 to 50 documents"}}}));
  TimePoint t = now();
  write([&](Repos& r) {
    DossierRecord d = need_dossier(r, code);
    if (actor.role == Role::kCitizen && (d.customer_code.empty() || actor.customer_code != d.customer_code))
      throw OnestopError(errors::kForbidden, "a citizen hands in supplements to their own dossiers only");
    detail::check_may_act(actor, d);
    if (d.status != DossierStatus::kSupplementRequested)
      throw OnestopError(errors::kIllegalTransition, "dossier " + code + " is not waiting for a supplement (status " +
                                                         std::to_string(code_of(d.status)) + ")");
    // Every file first, so that one unknown file records nothing.
    std::vector<DossierDocument> added;
    for (const auto& doc : docs) {
      auto f = r.uploads().file(doc.sha256);
      if (!f || !file_visible(r, actor, doc.sha256))
        throw OnestopError(errors::kNotFound, "no uploaded file " + doc.sha256,
                           nlohmann::json::array({{{"path", "/documents"}, {"message", "unknown file"}}}));
      DossierDocument a;
      a.kind = "supplement";
      a.code = doc.code.value_or("BS");
      a.name = doc.name.value_or("Giấy tờ bổ sung");
      a.sha256 = doc.sha256;
      a.media_type = f->media_type;
      a.size = f->size;
      a.added_at = t;
      added.push_back(std::move(a));
    }
    for (const auto& a : added) r.dossiers().add_document(code, a);
    r.dossiers().add_history(
        code,
        history_entry(t, actor, "supplement_submitted", code_of(d.status), code_of(d.status), d.current_step,
                      note.empty() ? "Nộp giấy tờ bổ sung" : note.substr(0, 2000), {{"documents", added.size()}}));
  });
  return dossier(actor.role == Role::kCitizen ? actor : module_actor(), code, actor.role);
}

namespace {
// The GET /dossiers query that lists what a work-queue filter counts (api.cpp reads it back into the filter).
std::string query_of(const DossierFilter& f) {
  std::string q;
  auto add = [&q](const std::string& part) { q += (q.empty() ? "" : "&") + part; };
  if (f.status) add("status=" + std::to_string(*f.status));
  if (f.overdue_at) add("overdue=1");
  if (f.away_from) add("away=1");
  if (f.step_role) add("step_role=" + *f.step_role);
  return q;
}
}  // namespace

nlohmann::json OneStopOffice::queues(const Actor& actor) const {
  using nlohmann::json;
  // A queue is a dossier filter: its count is counted with the filter and its `query` lists it with GET /dossiers,
  // so the number on the button and the list behind it always agree.
  struct Queue {
    const char* name;
    const char* title;
    DossierFilter filter;
  };
  std::vector<Queue> wanted = {{"overdue", "Hồ sơ quá hạn", {.overdue_at = now()}}};
  switch (actor.role) {
    case Role::kReceiving:
      wanted.insert(wanted.end(), {{"online_to_accept", "Hồ sơ trực tuyến chờ tiếp nhận", {.status = 1}},
                                   {"counter_intake", "Hồ sơ đã tiếp nhận", {.status = 2}},
                                   {"supplement", "Hồ sơ chờ bổ sung", {.status = 5}},
                                   {"results_to_deliver", "Kết quả chờ trả", {.status = 9}}});
      break;
    case Role::kProcessing:
      wanted.insert(wanted.end(),
                    {{"processing", "Hồ sơ đang xử lý", {.status = 4}},
                     {"supplement", "Hồ sơ chờ bổ sung", {.status = 5}},
                     {"at_another_agency", "Hồ sơ chờ cơ quan khác", {.status = 4, .away_from = agency_.code}}});
      break;
    case Role::kLeader:
      // To sign: in processing, at the step a leader acts on (approval and signing), not every dossier in status 4.
      wanted.insert(wanted.end(), {{"to_sign", "Hồ sơ chờ phê duyệt, ký", {.status = 4, .step_role = "leader"}},
                                   {"finished", "Hồ sơ đã xử lý xong", {.status = 9}}});
      break;
    default:
      throw OnestopError(errors::kForbidden, "work queues are for officials");
  }
  DossierRepository::Scope scope;
  if (actor.scope != Scope::kProvince) scope.agency = actor.unit;
  json out = json::array();
  read([&](Repos& r) {
    for (const auto& q : wanted) {
      json entry{{"name", q.name},
                 {"title", q.title},
                 {"count", r.dossiers().count(scope, q.filter)},
                 {"query", query_of(q.filter)}};
      if (q.filter.status) entry["status"] = *q.filter.status;
      out.push_back(std::move(entry));
    }
  });
  return {{"queues", out}};
}

}  // namespace lgsp::onestop
