// Sends the notification outbox (docs/onestop.md, "Notifications"): e-mail over SMTP (libcurl, STARTTLS as
// configured) and SMS through the configured HTTP gateway (POST JSON). Each notification is claimed, sent and
// marked (notify.cpp), as the bus outbox is: several office instances never send one twice at once, a failed
// send is retried with back-off, nothing is lost while the server or the gateway is down.
#pragma once

#include "lgsp/onestop/config.hpp"
#include "lgsp/onestop/web_records.hpp"

#include <optional>
#include <string>

namespace lgsp::onestop {

// The RFC 5322 message of an e-mail notification: UTF-8 subject as RFC 2047 encoded words, body base64.
std::string mime_message(const std::string& from, const std::string& to, const std::string& subject,
                         const std::string& body, const std::string& message_id, TimePoint date);

class NotifySender {
 public:
  explicit NotifySender(const NotifyConfig& config);
  bool email_enabled() const { return !config_.smtp_host.empty(); }
  bool sms_enabled() const { return !config_.sms_url.empty(); }
  // nullopt when sent; else why not (one line, bounded).
  std::optional<std::string> send(const Notification& n) const;

 private:
  std::optional<std::string> send_email(const Notification& n) const;
  std::optional<std::string> send_sms(const Notification& n) const;
  NotifyConfig config_;
  std::string smtp_password_, sms_api_key_;
};

}  // namespace lgsp::onestop
