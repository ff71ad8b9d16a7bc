#include "notify_sender.hpp"

#include "lgsp/bus/config.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/contracts/base64.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <mutex>

namespace lgsp::onestop {

namespace {
std::string first_line_of(const std::filesystem::path& file, const char* key) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw bus::ConfigError(key, "cannot read " + file.string());
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty() || line.size() > 1024) throw bus::ConfigError(key, file.string() + " is empty or too long");
  return line;
}

bool ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80 || c < 0x20) return false;
  return true;
}

// RFC 2047 encoded words (B, UTF-8), each at most 75 characters, never splitting a UTF-8 character.
std::string encoded_words(const std::string& text) {
  if (ascii(text)) return text;
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = std::min(text.size(), at + 45);
    while (end < text.size() && end > at && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + contracts::base64_encode(std::string_view(text.data() + at, end - at)) + "?=";
    at = end;
  }
  return out;
}

// "Name <a@b>" -> ("Name", "a@b"); "a@b" -> ("", "a@b").
std::pair<std::string, std::string> split_address(const std::string& s) {
  auto lt = s.find('<'), gt = s.rfind('>');
  if (lt == std::string::npos || gt == std::string::npos || gt < lt) return {"", s};
  std::string name = s.substr(0, lt);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  return {name, s.substr(lt + 1, gt - lt - 1)};
}

std::string rfc5322_date(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Upload {
  const std::string* data;
  std::size_t at = 0;
};
std::size_t read_upload(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  std::size_t take = std::min(size * n, u->data->size() - u->at);
  std::memcpy(buffer, u->data->data() + u->at, take);
  u->at += take;
  return take;
}
std::size_t collect(char* data, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<std::string*>(user);
  if (s->size() < 4096) s->append(data, std::min(size * n, 4096 - s->size()));
  return size * n;
}
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\r' || c == '\n') c = ' ';
  return s.substr(0, 300);
}
}  // namespace

std::string mime_message(const std::string& from, const std::string& to, const std::string& subject,
                         const std::string& body, const std::string& message_id, TimePoint date) {
  auto [name, address] = split_address(from);
  std::string from_header = name.empty() ? address : encoded_words(name) + " <" + address + ">";
  std::string b64 = contracts::base64_encode(body);
  std::string wrapped;
  for (std::size_t i = 0; i < b64.size(); i += 76) wrapped += b64.substr(i, 76) + "\r\n";
  return "Date: " + rfc5322_date(date) + "\r\nFrom: " + from_header + "\r\nTo: <" + to +
         ">\r\nSubject: " + encoded_words(subject) + "\r\nMessage-ID: <" + message_id +
         ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         wrapped;
}

NotifySender::NotifySender(const NotifyConfig& config) : config_(config) {
  curl_init_once();
  if (!config_.smtp_password_file.empty())
    smtp_password_ = first_line_of(config_.smtp_password_file, "notify.smtp_password_file");
  if (!config_.sms_api_key_file.empty())
    sms_api_key_ = first_line_of(config_.sms_api_key_file, "notify.sms_api_key_file");
}

std::optional<std::string> NotifySender::send(const Notification& n) const {
  if (n.channel == "email") return email_enabled() ? send_email(n) : std::optional<std::string>("e-mail is off");
  if (n.channel == "sms") return sms_enabled() ? send_sms(n) : std::optional<std::string>("SMS is off");
  return "unknown channel " + n.channel.substr(0, 16);
}

std::optional<std::string> NotifySender::send_email(const Notification& n) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return "curl_easy_init failed";
  auto [name, from] = split_address(config_.smtp_from);
  std::string domain = from.substr(from.find('@') == std::string::npos ? from.size() : from.find('@') + 1);
  std::string message = mime_message(config_.smtp_from, n.recipient, n.subject, n.body,
                                     "notification-" + std::to_string(n.id) + "." + bus::random_hex(8) + "@" +
                                         (domain.empty() ? "lgsp.invalid" : domain),
                                     std::chrono::system_clock::now());
  std::string url = "smtp://" + config_.smtp_host + ":" + std::to_string(config_.smtp_port);
  Upload up{&message};
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + n.recipient + ">").c_str());
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, ("<" + from + ">").c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout_seconds));
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   config_.smtp_starttls == "required"   ? static_cast<long>(CURLUSESSL_ALL)
                   : config_.smtp_starttls == "optional" ? static_cast<long>(CURLUSESSL_TRY)
                                                         : static_cast<long>(CURLUSESSL_NONE));
  if (!config_.smtp_ca.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, config_.smtp_ca.c_str());
  if (!config_.smtp_username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.smtp_username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, smtp_password_.c_str());
  }
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(rcpt);
  if (rc != CURLE_OK) return one_line(std::string("smtp: ") + curl_easy_strerror(rc));
  return std::nullopt;
}

std::optional<std::string> NotifySender::send_sms(const Notification& n) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return "curl_easy_init failed";
  // The id lets a gateway drop a repeat (a send whose answer was lost is sent again).
  std::string body =
      nlohmann::json{{"to", n.recipient}, {"text", n.body}, {"id", "lgsp-" + std::to_string(n.id)}}.dump();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  std::string auth = "Authorization: Bearer " + sms_api_key_;
  if (!sms_api_key_.empty()) headers = curl_slist_append(headers, auth.c_str());
  std::string answer;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, config_.sms_url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout_seconds));
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return one_line(std::string("sms gateway: ") + curl_easy_strerror(rc));
  if (status < 200 || status >= 300) return one_line("sms gateway: HTTP " + std::to_string(status) + ": " + answer);
  return std::nullopt;
}

}  // namespace lgsp::onestop
