// Web sign-in, sessions, challenges, the notification outbox and request ids, in SQL both engines run.
#include "sql_repositories.hpp"

namespace lgsp::onestop::store {

namespace {
const std::vector<std::string> kSessionColumns = {"id_sha256", "username", "csrf", "created_at", "last_seen_at"};
WebSession session_of(const NamedRow& r) {
  WebSession s;
  s.id_sha256 = r.text("id_sha256");
  s.username = r.text("username");
  s.csrf = r.text("csrf");
  s.created_at = r.time("created_at");
  s.last_seen_at = r.time("last_seen_at");
  return s;
}

const std::vector<std::string> kNotificationColumns = {
    "id",   "dossier_code", "unit",     "kind",       "channel",    "recipient",       "subject",
    "body", "status",       "attempts", "last_error", "created_at", "next_attempt_at", "sent_at"};
Notification notification_of(const NamedRow& r) {
  Notification n;
  n.id = r.integer("id");
  n.dossier_code = r.text("dossier_code");
  n.unit = r.text("unit");
  n.kind = r.text("kind");
  n.channel = r.text("channel");
  n.recipient = r.text("recipient");
  n.subject = r.text("subject");
  n.body = r.text("body");
  n.status = r.text("status");
  n.attempts = static_cast<int>(r.integer("attempts"));
  n.last_error = r.opt_text("last_error");
  n.created_at = r.time("created_at");
  n.next_attempt_at = r.time("next_attempt_at");
  n.sent_at = r.opt_time("sent_at");
  return n;
}
}  // namespace

std::optional<std::string> SqlWeb::password_hash(const std::string& username) {
  auto r = select_one(tx_, {"hash"}, "FROM web_passwords WHERE username = ?", {text(username)});
  if (!r) return std::nullopt;
  return r->text("hash");
}

void SqlWeb::set_password(const std::string& username, const std::string& hash, TimePoint now) {
  tx_.exec(
      "INSERT INTO web_passwords(username, hash, updated_at) VALUES (?, ?, ?) "
      "ON CONFLICT(username) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at",
      Params{text(username), text(hash), time_text(now)});
}

std::optional<std::string> SqlWeb::citizen_account(const std::string& customer_code) {
  auto r = select_one(tx_, {"username"}, "FROM users WHERE role = 'citizen' AND customer_code = ? LIMIT 1",
                      {text(customer_code)});
  if (!r) return std::nullopt;
  return r->text("username");
}

void SqlWeb::add_session(const WebSession& s) {
  tx_.exec(
      "INSERT INTO web_sessions(id_sha256, username, csrf, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
      Params{text(s.id_sha256), text(s.username), text(s.csrf), time_text(s.created_at), time_text(s.last_seen_at)});
}

std::optional<WebSession> SqlWeb::session(const std::string& id_sha256) {
  auto r = select_one(tx_, kSessionColumns, "FROM web_sessions WHERE id_sha256 = ?", {text(id_sha256)});
  if (!r) return std::nullopt;
  return session_of(*r);
}

void SqlWeb::touch_session(const std::string& id_sha256, TimePoint at) {
  tx_.exec("UPDATE web_sessions SET last_seen_at = ? WHERE id_sha256 = ?", Params{time_text(at), text(id_sha256)});
}

bool SqlWeb::end_session(const std::string& id_sha256) {
  tx_.exec("DELETE FROM web_sessions WHERE id_sha256 = ?", Params{text(id_sha256)});
  return tx_.changes() > 0;
}

int SqlWeb::end_sessions_of(const std::string& username) {
  tx_.exec("DELETE FROM web_sessions WHERE username = ?", Params{text(username)});
  return static_cast<int>(tx_.changes());
}

void SqlWeb::cap_sessions(const std::string& username, int keep) {
  tx_.exec(
      "DELETE FROM web_sessions WHERE username = ? AND id_sha256 NOT IN (SELECT id_sha256 FROM web_sessions "
      "WHERE username = ? ORDER BY created_at DESC, id_sha256 LIMIT ?)",
      Params{text(username), text(username), integer(keep)});
}

int SqlWeb::sweep_sessions(TimePoint idle_before, TimePoint created_before) {
  tx_.exec("DELETE FROM web_sessions WHERE last_seen_at < ? OR created_at < ?",
           Params{time_text(idle_before), time_text(created_before)});
  return static_cast<int>(tx_.changes());
}

void SqlWeb::add_challenge(const WebChallenge& c) {
  tx_.exec("INSERT INTO web_challenges(id, digest, origin, expires_at) VALUES (?, ?, ?, ?)",
           Params{text(c.id), text(c.digest_base64), text(c.origin), time_text(c.expires_at)});
}

std::optional<WebChallenge> SqlWeb::take_challenge(const std::string& id) {
  auto r = select_one(tx_, {"id", "digest", "origin", "expires_at"}, "FROM web_challenges WHERE id = ?", {text(id)});
  if (!r) return std::nullopt;
  tx_.exec("DELETE FROM web_challenges WHERE id = ?", Params{text(id)});
  WebChallenge c;
  c.id = r->text("id");
  c.digest_base64 = r->text("digest");
  c.origin = r->text("origin");
  c.expires_at = r->time("expires_at");
  return c;
}

int SqlWeb::count_challenges(TimePoint now) {
  auto r = select_one(tx_, {"COUNT(*) AS n"}, "FROM web_challenges WHERE expires_at > ?", {time_text(now)});
  return r ? static_cast<int>(r->integer("n")) : 0;
}

void SqlWeb::sweep_challenges(TimePoint now) {
  tx_.exec("DELETE FROM web_challenges WHERE expires_at <= ?", Params{time_text(now)});
}

std::int64_t SqlWeb::add_notification(const Notification& n) {
  auto rows = query_rows(
      tx_,
      "INSERT INTO notifications(dossier_code, unit, kind, channel, recipient, subject, body, status, attempts, "
      "created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING id",
      {text(n.dossier_code), text(n.unit), text(n.kind), text(n.channel), text(n.recipient), text(n.subject),
       text(n.body), time_text(n.created_at), time_text(n.next_attempt_at)});
  return rows.empty() ? 0 : rows.front().integer("id");
}

std::vector<Notification> SqlWeb::claim_notifications(TimePoint now, int limit, const std::string& owner,
                                                      TimePoint claimed_until) {
  std::vector<Notification> out;
  for (const auto& r : select(tx_, kNotificationColumns,
                              "FROM notifications WHERE status = 'pending' AND next_attempt_at <= ? AND "
                              "(claimed_until IS NULL OR claimed_until <= ?) ORDER BY id LIMIT ?",
                              {time_text(now), time_text(now), integer(limit)}))
    out.push_back(notification_of(r));
  for (const auto& n : out)
    tx_.exec("UPDATE notifications SET claimed_by = ?, claimed_until = ? WHERE id = ?",
             Params{text(owner), time_text(claimed_until), integer(n.id)});
  return out;
}

void SqlWeb::mark_notification_sent(std::int64_t id, TimePoint at) {
  tx_.exec(
      "UPDATE notifications SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL, "
      "claimed_by = NULL, claimed_until = NULL WHERE id = ?",
      Params{time_text(at), integer(id)});
}

void SqlWeb::mark_notification_failed(std::int64_t id, const std::string& error, TimePoint next_attempt_at,
                                      bool give_up) {
  tx_.exec(
      "UPDATE notifications SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
      "claimed_by = NULL, claimed_until = NULL WHERE id = ?",
      Params{text(give_up ? "failed" : "pending"), text(error), time_text(next_attempt_at), integer(id)});
}

std::vector<Notification> SqlWeb::notifications(const std::string& dossier_code, int limit) {
  std::vector<Notification> out;
  for (const auto& r :
       select(tx_, kNotificationColumns, "FROM notifications WHERE dossier_code = ? ORDER BY id LIMIT ?",
              {text(dossier_code), integer(limit)}))
    out.push_back(notification_of(r));
  return out;
}

std::vector<Notification> SqlWeb::notifications_by_id(std::int64_t id) {
  std::vector<Notification> out;
  for (const auto& r : select(tx_, kNotificationColumns, "FROM notifications WHERE id = ?", {integer(id)}))
    out.push_back(notification_of(r));
  return out;
}

std::optional<std::string> SqlWeb::dossier_of_request(const std::string& key) {
  auto r = select_one(tx_, {"dossier_code"}, "FROM dossier_requests WHERE request_key = ?", {text(key)});
  if (!r) return std::nullopt;
  return r->text("dossier_code");
}

void SqlWeb::record_request(const std::string& key, const std::string& dossier_code, TimePoint at) {
  tx_.exec("INSERT INTO dossier_requests(request_key, dossier_code, created_at) VALUES (?, ?, ?)",
           Params{text(key), text(dossier_code), time_text(at)});
}

}  // namespace lgsp::onestop::store
