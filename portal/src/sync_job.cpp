#include "lgsp/portal/sync_job.hpp"

#include "lgsp/adapters/backoff.hpp"
#include "lgsp/bus/log.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <thread>

namespace lgsp::portal {
using nlohmann::json;
using Kind = RecordOutcome::Kind;

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

RecordOutcome waiting(const PortalAnswer& a, const std::string& what) {
  return {Kind::waiting, false, a.error_code, what + ": " + kind_name(a.kind) + ": " + a.reason};
}

RecordOutcome refused(std::string code, std::string reason) {
  return {Kind::refused, false, std::move(code), std::move(reason)};
}

// The portal holds this HoSo already when every field we send has the same value in what TraCuuHoSo returns
// (a portal may return more fields than we send).
bool holds(const json& at_portal, const json& ours) {
  if (!at_portal.is_object() || !ours.is_object()) return false;
  for (const auto& [k, v] : ours.items()) {
    auto it = at_portal.find(k);
    if (it == at_portal.end() || *it != v) return false;
  }
  return true;
}

// The record's data[]: objects naming the dossier they are about.
std::optional<std::string> check_data(const OutboxRecord& r) {
  const auto& rec = r.record;
  if (!rec.contains("data") || !rec["data"].is_array() || rec["data"].empty()) return "the outbox record has no data[]";
  for (const auto& d : rec["data"])
    if (!d.is_object() || !d.contains("MaHoSo") || !d["MaHoSo"].is_string() || d["MaHoSo"].get<std::string>().empty())
      return "a data[] entry has no MaHoSo";
  return std::nullopt;
}

void sleep_unless(const std::atomic<bool>& stopping, std::chrono::milliseconds wait) {
  adapters::sleep_unless_stopping(stopping, wait);
}

}  // namespace

std::optional<double> parse_rfc3339(const std::string& t) {
  int y, mo, d, h, mi, s;
  char sep;
  int consumed = 0;
  if (std::sscanf(t.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &s, &consumed) != 7)
    return std::nullopt;
  if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
  std::size_t i = static_cast<std::size_t>(consumed);
  double frac = 0;
  if (i < t.size() && t[i] == '.') {
    std::size_t j = i + 1;
    double scale = 0.1;
    while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) {
      frac += (t[j] - '0') * scale;
      scale /= 10;
      ++j;
    }
    i = j;
  }
  long offset = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
    int oh = std::atoi(t.substr(i + 1, 2).c_str()), om = std::atoi(t.substr(i + 4, 2).c_str());
    offset = (t[i] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<double>(timegm(&tm) - offset) + frac;
}

SyncJob::SyncJob(PortalConfig config, std::ostream& progress, bool terminal)
    : config_(std::move(config)),
      progress_(progress),
      terminal_(terminal),
      state_((std::filesystem::create_directories(config_.sync.state_dir), config_.sync.state_dir / "portal-sync.db"),
             config_.sync.dead_letters_max),
      office_(config_.office),
      portal_(config_.portal),
      started_(std::chrono::steady_clock::now()) {}

SyncJob::~SyncJob() = default;

RecordOutcome SyncJob::send_dossier(const OutboxRecord& r) {
  const json& data = r.record["data"];
  const std::string code = data[0]["MaHoSo"].get<std::string>();
  // TraCuuHoSo: whether the portal knows the dossier (isUpdating), and whether it holds exactly this state
  // already (the portal confirmed it and we were stopped before the checkpoint was written).
  auto found = portal_.call("TraCuuHoSo", {{"mahoso", code}}, true);
  if (found.kind != PortalAnswer::Kind::success) {
    if (found.kind == PortalAnswer::Kind::refused) return refused(found.error_code, "TraCuuHoSo: " + found.reason);
    return waiting(found, "TraCuuHoSo");
  }
  auto result = found.body.find("result");
  if (result != found.body.end() && !result->is_array() && !result->is_null())
    return {Kind::waiting, false, found.error_code, "TraCuuHoSo: malformed: result is not an array"};
  bool known = result != found.body.end() && result->is_array() && !result->empty();
  if (known && data.size() == 1 && holds((*result)[0], data[0])) return {Kind::confirmed, true, "", ""};
  json params = {{"isUpdating", known ? "True" : "False"}, {"data", data}};
  auto sent = portal_.call("DongBoHoSoMC", params);
  if (sent.kind == PortalAnswer::Kind::success) return {Kind::confirmed, false, "", ""};
  if (sent.kind == PortalAnswer::Kind::refused) return refused(sent.error_code, "DongBoHoSoMC: " + sent.reason);
  return waiting(sent, "DongBoHoSoMC");
}

RecordOutcome SyncJob::send_progress(const OutboxRecord& r) {
  // Progress is sent only after its DongBoHoSoMC was confirmed: the office writes the pair together, the
  // DongBoHoSoMC just before. When that one was refused, so is its progress (replay both, in order).
  if (state_.dead_lettered(r.id - 1, r.dossier_code))
    return refused("LGSP-DEPENDS", "its DongBoHoSoMC (outbox record " + std::to_string(r.id - 1) +
                                       ") was refused; replay that one first");
  if (uncertain_) {
    // The first record after a start, or after an answer we could not read: the portal may hold it already
    // (confirmed just before we were stopped). TraCuuHoSo's progress list (QuaTrinhXuLy) says so; a portal
    // that returns no such list gets the record again and its duplicate handling makes that harmless.
    auto found = portal_.call("TraCuuHoSo", {{"mahoso", r.record["data"][0]["MaHoSo"]}}, true);
    if (found.kind == PortalAnswer::Kind::success) {
      auto result = found.body.find("result");
      if (result != found.body.end() && result->is_array() && !result->empty() && (*result)[0].is_object()) {
        auto history = (*result)[0].find("QuaTrinhXuLy");
        if (history != (*result)[0].end() && history->is_array()) {
          bool all = true;
          for (const auto& entry : r.record["data"]) {
            bool one = false;
            for (const auto& h : *history) one = one || holds(h, entry);
            all = all && one;
          }
          if (all) return {Kind::confirmed, true, "", ""};
        }
      }
    } else if (found.kind != PortalAnswer::Kind::refused) {
      return waiting(found, "TraCuuHoSo");
    }
  }
  auto sent = portal_.call("CapNhatTienDoHoSoMC", {{"data", r.record["data"]}});
  if (sent.kind == PortalAnswer::Kind::success) return {Kind::confirmed, false, "", ""};
  if (sent.kind == PortalAnswer::Kind::refused) return refused(sent.error_code, "CapNhatTienDoHoSoMC: " + sent.reason);
  return waiting(sent, "CapNhatTienDoHoSoMC");
}

RecordOutcome SyncJob::process(const OutboxRecord& r) {
  // A record the office wrote wrong is refused here, as the portal would refuse it: it never blocks the rest.
  if (auto bad = check_data(r)) return refused("LGSP-RECORD", *bad);
  if (r.service == "DongBoHoSoMC") return send_dossier(r);
  if (r.service == "CapNhatTienDoHoSoMC") return send_progress(r);
  return refused("LGSP-RECORD", "unknown service '" + r.service.substr(0, 64) + "'");
}

void SyncJob::count_backlog() {
  // Pages through what is left, at most kBacklogPages pages of 1,000 (a start after a long outage must not
  // read the whole outbox first): the progress bar's total and the backlog gauge, a lower bound beyond that.
  constexpr int kBacklogPages = 10;
  std::int64_t after = state_.checkpoint(), n = 0;
  double oldest = 0;
  for (int page = 0; page < kBacklogPages; ++page) {
    auto records = office_.outbox(after, 1000);
    if (page == 0 && !records.empty()) oldest = parse_rfc3339(records.front().at).value_or(0);
    n += static_cast<std::int64_t>(records.size());
    if (records.size() < 1000) break;
    after = records.back().id;
  }
  std::lock_guard lock(mutex_);
  backlog_ = n;
  oldest_at_ = oldest;
  total_this_run_ = done_this_run_ + n;
}

void SyncJob::show_progress(bool final_line) {
  std::int64_t done, total, backlog;
  {
    std::lock_guard lock(mutex_);
    done = done_this_run_;
    total = std::max(total_this_run_, done_this_run_);
    backlog = backlog_;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  auto st = state_.stats();
  if (terminal_) {
    constexpr int kWidth = 30;
    int filled = total > 0 ? static_cast<int>(kWidth * done / total) : kWidth;
    char line[200];
    std::snprintf(line, sizeof line, "\r[%-*s] %lld/%lld records  %.1f/s  ETA %.0fs  refused %lld ", kWidth,
                  std::string(static_cast<std::size_t>(filled), '#').c_str(), static_cast<long long>(done),
                  static_cast<long long>(total), rate, eta, static_cast<long long>(st.refused));
    progress_ << line << (final_line ? "\n" : "") << std::flush;
    return;
  }
  json line = {{"event", "portal.batch"},
               {"done", done},
               {"total", total},
               {"backlog", backlog},
               {"rate", std::round(rate * 10) / 10},
               {"checkpoint", st.checkpoint},
               {"refused", st.refused},
               {"dead_letters", st.letters}};
  progress_ << line.dump() << "\n" << std::flush;
}

int SyncJob::run(bool once, const std::atomic<bool>& stopping) {
  adapters::Backoff backoff(config_.sync.backoff_initial, config_.sync.backoff_max);
  bool counted = false;
  while (!stopping) {
    std::vector<OutboxRecord> records;
    try {
      if (!counted) {
        count_backlog();
        counted = true;
      }
      records = office_.outbox(state_.checkpoint(), config_.sync.batch_size);
    } catch (const std::exception& e) {
      bus::log::warn("portal.office_unavailable", {{"error", std::string(e.what()).substr(0, 500)}});
      sleep_unless(stopping, backoff.next());
      continue;
    }
    if (records.empty()) {
      {
        std::lock_guard lock(mutex_);
        backlog_ = 0;
        oldest_at_ = 0;
      }
      if (once) break;
      counted = false;  // count again when new records come
      sleep_unless(stopping, config_.sync.poll);
      continue;
    }
    bool blocked = false;
    for (const auto& r : records) {
      if (stopping) break;
      {
        std::lock_guard lock(mutex_);
        oldest_at_ = parse_rfc3339(r.at).value_or(0);
      }
      auto outcome = process(r);
      auto now = unix_now();
      // After an answer we could not read, the portal may have applied the record: check before resending.
      uncertain_ = outcome.kind == Kind::waiting;
      if (outcome.kind == Kind::confirmed) {
        state_.confirm(r.id, outcome.already_there, now, r.service == "DongBoHoSoMC" ? r.dossier_code : "");
      } else if (outcome.kind == Kind::refused) {
        state_.dead_letter(
            DeadLetter{0, r.id, r.dossier_code, r.service, r.record.dump(), outcome.error_code, outcome.reason, now, 0},
            now);
        bus::log::warn("portal.refused", {{"outbox_id", r.id},
                                          {"dossier", r.dossier_code},
                                          {"service", r.service},
                                          {"error_code", outcome.error_code},
                                          {"reason", outcome.reason}});
      } else {
        // Down, busy, or an answer the API does not describe: this record (and so those after it) waits.
        state_.set_pending(r.id, outcome.reason, now);
        {
          std::lock_guard lock(mutex_);
          waiting_reason_ = outcome.reason;
        }
        bus::log::warn("portal.waiting",
                       {{"outbox_id", r.id}, {"dossier", r.dossier_code}, {"reason", outcome.reason}});
        blocked = true;
        break;
      }
      backoff.reset();
      std::lock_guard lock(mutex_);
      ++done_this_run_;
      backlog_ = std::max<std::int64_t>(0, backlog_ - 1);
      waiting_reason_.clear();
    }
    if (!blocked && static_cast<int>(records.size()) == config_.sync.batch_size) {
      std::lock_guard lock(mutex_);
      if (backlog_ == 0) counted = false;  // more came than counted: count again
    }
    show_progress(false);
    if (blocked) sleep_unless(stopping, backoff.next());
  }
  show_progress(true);
  return 0;
}

RecordOutcome SyncJob::replay(std::int64_t id) {
  auto letter = state_.letter(id);
  if (!letter) return {Kind::refused, false, "LGSP-404", "no dead letter " + std::to_string(id)};
  OutboxRecord r{letter->outbox_id, "", letter->dossier_code, letter->service,
                 json::parse(letter->record, nullptr, false)};
  if (r.record.is_discarded()) return {Kind::refused, false, "LGSP-RECORD", "the dead letter's record is not JSON"};
  RecordOutcome outcome;
  if (auto newer = state_.newest_state(r.dossier_code); r.service == "DongBoHoSoMC" && newer > r.id) {
    // A DongBoHoSoMC carries the whole dossier: the portal already has a newer state (outbox record `newer`),
    // and this one must not overwrite it. Its progress (CapNhatTienDoHoSoMC) is history and is still sent.
    state_.remove_letter(id, unix_now(), false);
    return {Kind::superseded, false, "", "superseded by outbox record " + std::to_string(newer)};
  }
  if (auto bad = check_data(r)) {
    outcome = refused("LGSP-RECORD", *bad);
  } else if (r.service == "CapNhatTienDoHoSoMC") {
    // The operator replays the pair in order; a replayed progress goes straight to the portal.
    auto sent = portal_.call("CapNhatTienDoHoSoMC", {{"data", r.record["data"]}});
    outcome = sent.kind == PortalAnswer::Kind::success   ? RecordOutcome{Kind::confirmed, false, "", ""}
              : sent.kind == PortalAnswer::Kind::refused ? refused(sent.error_code, sent.reason)
                                                         : waiting(sent, "CapNhatTienDoHoSoMC");
  } else {
    outcome = process(r);
  }
  if (outcome.kind == Kind::confirmed) {
    state_.remove_letter(id, unix_now());
    if (r.service == "DongBoHoSoMC") state_.note_dossier_state(r.dossier_code, r.id);
  } else
    state_.letter_failed(id, outcome.error_code, outcome.reason);
  return outcome;
}

std::string SyncJob::metrics_text() const {
  auto st = state_.stats();
  auto pending = state_.pending();
  std::int64_t backlog;
  double oldest;
  {
    std::lock_guard lock(mutex_);
    backlog = backlog_;
    oldest = oldest_at_;
  }
  double now = static_cast<double>(unix_now());
  std::ostringstream o;
  auto gauge = [&](const char* name, const char* help, double v) {
    o << "# HELP lgsp_portal_" << name << " " << help << "\n# TYPE lgsp_portal_" << name << " gauge\n"
      << "lgsp_portal_" << name << " " << v << "\n";
  };
  auto counter = [&](const char* name, const char* help, double v) {
    o << "# HELP lgsp_portal_" << name << " " << help << "\n# TYPE lgsp_portal_" << name << " counter\n"
      << "lgsp_portal_" << name << " " << v << "\n";
  };
  gauge("backlog_records", "Outbox records after the checkpoint, not yet confirmed", static_cast<double>(backlog));
  gauge("oldest_record_lag_seconds", "Age of the oldest record not yet confirmed (0: none)",
        oldest > 0 && backlog > 0 ? std::max(0.0, now - oldest) : 0.0);
  gauge("last_success_timestamp_seconds", "When the portal last confirmed a record (unix time; 0: never)",
        static_cast<double>(st.last_success_at));
  gauge("checkpoint", "The last outbox id confirmed or dead-lettered", static_cast<double>(st.checkpoint));
  counter("confirmed_total", "Records the portal confirmed", static_cast<double>(st.confirmed));
  counter("already_there_total", "Records found at the portal already (not sent again)",
          static_cast<double>(st.already_there));
  counter("refused_total", "Records the portal refused (dead-lettered)", static_cast<double>(st.refused));
  gauge("dead_letters", "Dead letters kept", static_cast<double>(st.letters));
  counter("dead_letters_dropped_total", "Dead letters dropped to keep the list bounded",
          static_cast<double>(st.letters_dropped));
  gauge("pending_attempts", "Attempts on the record at the head that waits (0: none waits)",
        pending ? static_cast<double>(pending->attempts) : 0.0);
  counter("logins_total", "Logins to the portal (sessions) by this process", static_cast<double>(portal_.logins()));
  return o.str();
}

}  // namespace lgsp::portal
