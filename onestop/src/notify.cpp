// The notification outbox in the office's store (docs/onestop.md, "Notifications"): what is queued when a dossier
// is received, a supplement is requested or the result is ready, and the sender's claims. Queued in the same unit
// of work as the change, so a notification is never lost and never made for a change that rolled back; the
// sender (notify_sender.cpp) claims, sends and marks each one.
#include "access.hpp"
#include "lgsp/onestop/office.hpp"
#include "office_unit.hpp"
#include "vietnamese_text.hpp"

#include <algorithm>

namespace lgsp::onestop {
using namespace detail;

namespace {
// "2026-12-02T11:30:00+07:00" -> "11:30 ngày 02/12/2026" (Vietnam time, as the office keeps every time).
std::string appointment_vi(TimePoint t) {
  std::string s = format_local_rfc3339(t);
  return s.substr(11, 5) + " ngày " + s.substr(8, 2) + "/" + s.substr(5, 2) + "/" + s.substr(0, 4);
}

std::string replace_code(std::string url, const std::string& code) {
  if (auto at = url.find("{code}"); at != std::string::npos) url.replace(at, 6, code);
  return url;
}
}  // namespace

void OneStopOffice::queue_notifications(Repos& r, const DossierRecord& d, const std::string& kind, TimePoint at) {
  if (!notify_email_ && !notify_sms_) return;
  std::string phone = d.phone, email;
  if (d.applicant.is_object()) {
    if (phone.empty() && d.applicant.contains("phone") && d.applicant["phone"].is_string())
      phone = d.applicant["phone"].get<std::string>();
    if (d.applicant.contains("email") && d.applicant["email"].is_string()) email = d.applicant["email"];
  }
  if (!d.customer_code.empty()) {
    if (auto p = r.profiles().find(d.customer_code)) {
      if (phone.empty()) phone = p->identity.phone;
      if (email.empty()) email = p->identity.email;
    }
  }
  std::string link = replace_code(notify_lookup_url_, d.code);
  std::string subject, text;
  if (kind == "received") {
    subject = "Đã tiếp nhận hồ sơ " + d.code;
    text = agency_.name + " đã tiếp nhận hồ sơ " + d.code + " (" + d.procedure_name +
           "). Hẹn trả kết quả: " + appointment_vi(d.due_at) + ".";
  } else if (kind == "supplement") {
    subject = "Yêu cầu bổ sung hồ sơ " + d.code;
    text = "Hồ sơ " + d.code + " (" + d.procedure_name + ") cần bổ sung giấy tờ. Vui lòng xem chi tiết và bổ sung.";
  } else {
    subject = "Đã có kết quả hồ sơ " + d.code;
    text = "Hồ sơ " + d.code + " (" + d.procedure_name + ") đã có kết quả. Mời ông/bà nhận kết quả tại " +
           agency_.name + " hoặc trực tuyến.";
  }
  text += " Tra cứu: " + link;
  // SMS text is plain ASCII, as the office's other SMS answers: Vietnamese without marks is what every phone and
  // gateway renders, in one 7-bit message part where it fits.
  auto add = [&](const std::string& channel, const std::string& to) {
    Notification n;
    n.dossier_code = d.code;
    n.unit = d.agency;
    n.kind = kind;
    n.channel = channel;
    n.recipient = to;
    n.subject = subject;
    n.body = channel == "sms" ? ascii_fold(text) : text;
    n.created_at = at;
    n.next_attempt_at = at;
    r.web().add_notification(n);
  };
  if (notify_sms_ && !phone.empty()) add("sms", phone);
  if (notify_email_ && !email.empty() && email.find('@') != std::string::npos) add("email", email);
}

std::vector<Notification> OneStopOffice::claim_notifications(int limit, const std::string& owner,
                                                             std::chrono::seconds lease) {
  TimePoint t = now();
  std::vector<Notification> out;
  write([&](Repos& r) { out = r.web().claim_notifications(t, limit, owner, t + lease); });
  return out;
}

void OneStopOffice::mark_notification(std::int64_t id, bool sent, const std::string& error, std::chrono::seconds retry,
                                      int max_attempts) {
  TimePoint t = now();
  write([&](Repos& r) {
    if (sent) {
      r.web().mark_notification_sent(id, t);
      return;
    }
    int attempts = 0;
    for (const auto& n : r.web().notifications_by_id(id)) attempts = n.attempts;
    // Doubled per earlier failure, at most an hour.
    auto wait = retry * (1LL << std::min(attempts, 12));
    wait = std::min<std::chrono::seconds>(wait, std::chrono::hours(1));
    r.web().mark_notification_failed(id, error.substr(0, 300), t + wait, attempts + 1 >= max_attempts);
  });
}

std::vector<Notification> OneStopOffice::notifications(const Actor& actor, const std::string& dossier_code) const {
  if (actor.role == Role::kCitizen) throw OnestopError(errors::kForbidden, "the notification outbox is for operators");
  std::vector<Notification> out;
  read([&](Repos& r) {
    check_may_read(actor, need_dossier(r, dossier_code));
    out = r.web().notifications(dossier_code, 200);
  });
  return out;
}

}  // namespace lgsp::onestop
