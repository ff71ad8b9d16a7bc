// The web sign-in of a real office (`lgsp onestop serve`; docs/onestop.md, "Web sessions"): citizens sign up and
// in with a phone number and password into an HttpOnly session cookie, every change carries the session's CSRF
// token, sessions expire and end everywhere; officials sign in with a challenge their hsm-sim token signs.
#include "lgsp/bus/digest.hpp"
#include "lgsp/contracts/base64.hpp"
#include "office_process.hpp"
#include "officials.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using lgsp::test::JsonAnswer;
using lgsp::test::OfficeProcess;
using nlohmann::json;

namespace {

const std::string kWard = "000.00.13.H29";
const fs::path kSamples = LGSP_SOURCE_DIR "/onestop/samples";
constexpr int kIdleSeconds = 6;

// A browser's cookie jar for one session: the cookie and the CSRF token the page keeps (never in localStorage:
// the page holds the CSRF token in memory and reads it again from GET /session).
struct Browser {
  std::string cookie, csrf;
  std::string source = "198.51.100.1";  // X-Forwarded-For (the test plays the trusted TLS proxy)
};

class OnestopWeb : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    hsm_ = hsm;
    dir_ = fs::temp_directory_path() / ("lgsp-onestop-web-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    auto env = lgsp::test::hsm_sim_env(hsm_);
    env.push_back("LGSP_ONESTOP_SERVER_TRUSTED_PROXIES=127.0.0.1");
    office_ = new OfficeProcess(dir_, kWard, "UBND phường Bến Thành", env,
                                lgsp::test::office_signing_config(hsm_) +
                                    "[web]\nsession_idle_seconds = " + std::to_string(kIdleSeconds) +
                                    "\nsignin_max_failures = 4\naccount_max_failures = 3\n");
    auto imported = office_->cli({"procedure", "import", (kSamples / "procedures.json").string()});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    receiving_ = office_->add_user("lan", "receiving", "Trần Thị Lan", "Công chức Bộ phận một cửa");
    office_->start();
  }
  static void TearDownTestSuite() {
    delete office_;
    office_ = nullptr;
    fs::remove_all(dir_);
  }

  static JsonAnswer web(Browser& b, const std::string& method, const std::string& path, const json& body = nullptr,
                        bool with_csrf = true) {
    std::map<std::string, std::string> headers = {{"X-Forwarded-For", b.source}};
    if (!b.cookie.empty()) headers["Cookie"] = "theme=dark; lgsp_session=" + b.cookie;
    if (with_csrf && !b.csrf.empty()) headers["X-CSRF-Token"] = b.csrf;
    auto a = office_->send(method, "/onestop/v1" + path, "", body.is_null() ? "" : body.dump(),
                           body.is_null() ? "" : "application/json", headers);
    // The browser keeps what Set-Cookie says.
    if (auto it = a.headers.find("set-cookie"); it != a.headers.end()) {
      const std::string& c = it->second;
      auto eq = c.find('='), semi = c.find(';');
      b.cookie = c.substr(eq + 1, semi - eq - 1);
    }
    if (a.body.is_object() && a.body.contains("csrf")) b.csrf = a.body["csrf"];
    return a;
  }

  // A fresh ID number and phone for each sign-up.
  static json signup_form(int n) {
    char id[16], phone[16];
    std::snprintf(id, sizeof id, "0791960%05d", n + ::getpid() % 1000 * 10);
    std::snprintf(phone, sizeof phone, "+84 91 %07d", n * 7919 % 10000000);
    return {{"phone", phone},  {"password", "mật khẩu dài 12"}, {"full_name", "Phạm Thị Hoa"},
            {"id_number", id}, {"date_of_birth", "1990-07-21"}, {"email", "hoa@example.vn"}};
  }
  static std::string phone_of(const json& form) {
    std::string p = form["phone"];
    std::string digits;
    for (char c : p)
      if (c >= '0' && c <= '9') digits += c;
    return "0" + digits.substr(2);
  }

  static inline fs::path hsm_, dir_;
  static inline OfficeProcess* office_ = nullptr;
  static inline std::string receiving_;
};

TEST_F(OnestopWeb, a_citizen_signs_up_into_an_httponly_session_and_every_change_needs_the_csrf_token) {
  Browser b;
  auto form = signup_form(1);
  auto up = web(b, "POST", "/session/signup", form);
  ASSERT_EQ(up.status, 201u) << up.raw;
  const std::string set_cookie = up.headers["set-cookie"];
  EXPECT_NE(set_cookie.find("lgsp_session="), std::string::npos);
  for (const char* attr : {"HttpOnly", "Secure", "SameSite=Strict", "Path=/"})
    EXPECT_NE(set_cookie.find(attr), std::string::npos) << set_cookie;
  EXPECT_EQ(b.cookie.size(), 64u);  // 256 random bits
  EXPECT_EQ(up.body["user"]["role"], "citizen");
  EXPECT_EQ(up.body["user"]["username"], phone_of(form));
  const std::string customer = up.body["user"]["customer_code"];
  EXPECT_EQ(customer.rfind("KH-" + kWard + "-", 0), 0u) << customer;
  EXPECT_FALSE(up.body["csrf"].get<std::string>().empty());
  EXPECT_FALSE(up.body["expires_at"].get<std::string>().empty());

  // The session: the same CSRF token; GET /me as with a bearer token.
  auto s = web(b, "GET", "/session");
  ASSERT_EQ(s.status, 200u) << s.raw;
  EXPECT_EQ(s.body["csrf"], up.body["csrf"]);
  auto me = web(b, "GET", "/me");
  ASSERT_EQ(me.status, 200u) << me.raw;
  EXPECT_EQ(me.body["customer_code"], customer);
  // The e-profile made from the form pre-fills the citizen's forms.
  auto profile = web(b, "GET", "/profiles/" + customer);
  ASSERT_EQ(profile.status, 200u) << profile.raw;
  EXPECT_EQ(profile.body["identity"]["full_name"], "Phạm Thị Hoa");

  // A change without the CSRF token, or with another, is refused before its body is read; with it, it is done.
  std::string pdf = "%PDF-1.4\n% web\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
  std::map<std::string, std::string> headers = {{"Cookie", "lgsp_session=" + b.cookie}};
  auto no_csrf = office_->send("POST", "/onestop/v1/files", "", pdf, "application/pdf", headers);
  EXPECT_EQ(no_csrf.status, 403u) << no_csrf.raw;
  EXPECT_EQ(no_csrf.body["code"], "LGSP-403-ONESTOP-CSRF");
  headers["X-CSRF-Token"] = std::string(64, 'a');
  auto wrong = office_->send("POST", "/onestop/v1/files", "", pdf, "application/pdf", headers);
  EXPECT_EQ(wrong.status, 403u) << wrong.raw;
  EXPECT_EQ(wrong.body["code"], "LGSP-403-ONESTOP-CSRF");
  headers["X-CSRF-Token"] = b.csrf;
  auto right = office_->send("POST", "/onestop/v1/files", "", pdf, "application/pdf", headers);
  EXPECT_EQ(right.status, 201u) << right.raw;

  // Integrators' bearer tokens need no CSRF token and work as before.
  auto bearer = office_->call("GET", "/onestop/v1/me", receiving_);
  EXPECT_EQ(bearer.status, 200u);
  EXPECT_EQ(office_->send("POST", "/onestop/v1/files", receiving_, pdf, "application/pdf").status, 201u);

  // No cookie, or an unknown one: the unauthenticated code.
  Browser stranger;
  EXPECT_EQ(web(stranger, "GET", "/session").body["code"], "LGSP-401-ONESTOP-AUTH");
  stranger.cookie = std::string(64, '0');
  auto unknown = web(stranger, "GET", "/me");
  EXPECT_EQ(unknown.status, 401u);
  EXPECT_EQ(unknown.body["code"], "LGSP-401-ONESTOP-AUTH");
}

TEST_F(OnestopWeb, sign_in_sign_out_and_sign_out_everywhere) {
  auto form = signup_form(2);
  Browser first;
  ASSERT_EQ(web(first, "POST", "/session/signup", form).status, 201u);
  // The same account on a second device, signing in with the phone as typed another way.
  Browser second;
  auto in = web(second, "POST", "/session/signin", {{"phone", phone_of(form)}, {"password", form["password"]}});
  ASSERT_EQ(in.status, 200u) << in.raw;
  EXPECT_NE(second.cookie, first.cookie);
  EXPECT_NE(second.csrf, first.csrf);
  EXPECT_EQ(in.body["user"]["username"], phone_of(form));

  // Sign out needs the CSRF token; then the cookie is cleared and the session is gone.
  auto no_csrf = web(second, "POST", "/session/signout", nullptr, false);
  EXPECT_EQ(no_csrf.status, 403u) << no_csrf.raw;
  std::string before = second.cookie;
  auto out = web(second, "POST", "/session/signout");
  EXPECT_EQ(out.status, 204u) << out.raw;
  EXPECT_NE(out.headers["set-cookie"].find("Max-Age=0"), std::string::npos);
  second.cookie = before;  // a copy kept by a thief
  EXPECT_EQ(web(second, "GET", "/session").status, 401u);
  EXPECT_EQ(web(first, "GET", "/session").status, 200u);

  // Three sessions; sign out everywhere from one ends them all.
  Browser third, fourth;
  ASSERT_EQ(web(third, "POST", "/session/signin", {{"phone", form["phone"]}, {"password", form["password"]}}).status,
            200u);
  ASSERT_EQ(web(fourth, "POST", "/session/signin", {{"phone", form["phone"]}, {"password", form["password"]}}).status,
            200u);
  EXPECT_EQ(web(fourth, "POST", "/session/signout-all").status, 204u);
  for (Browser* b : {&first, &third, &fourth}) {
    auto s = web(*b, "GET", "/me");
    EXPECT_EQ(s.status, 401u) << s.raw;
  }
}

TEST_F(OnestopWeb, wrong_sign_ins_are_answered_alike_and_refused_with_a_field_and_a_code) {
  auto form = signup_form(3);
  Browser b;
  b.source = "198.51.100.3";
  ASSERT_EQ(web(b, "POST", "/session/signup", form).status, 201u);
  Browser other;
  other.source = "198.51.100.3";
  auto wrong = web(other, "POST", "/session/signin", {{"phone", form["phone"]}, {"password", "not the password"}});
  EXPECT_EQ(wrong.status, 401u) << wrong.raw;
  EXPECT_EQ(wrong.body["code"], "LGSP-401-ONESTOP-SIGNIN");
  auto unknown = web(other, "POST", "/session/signin", {{"phone", "0399999999"}, {"password", "not the password"}});
  EXPECT_EQ(unknown.status, 401u);
  EXPECT_EQ(unknown.body["code"], wrong.body["code"]);
  EXPECT_EQ(unknown.body["detail"], wrong.body["detail"]);
  EXPECT_TRUE(other.cookie.empty());

  // The same phone again, or the same ID number with another phone: 409.
  auto again = web(other, "POST", "/session/signup", form);
  EXPECT_EQ(again.status, 409u) << again.raw;
  EXPECT_EQ(again.body["code"], "LGSP-409-ONESTOP-ACCOUNT-EXISTS");
  EXPECT_EQ(again.body["field"], "phone");
  auto same_id = form;
  same_id["phone"] = "0388888888";
  auto id_taken = web(other, "POST", "/session/signup", same_id);
  EXPECT_EQ(id_taken.status, 409u) << id_taken.raw;
  EXPECT_EQ(id_taken.body["field"], "id_number");

  // Field errors name the field the page shows the reason next to.
  auto bad_phone = signup_form(4);
  bad_phone["phone"] = "12345";
  auto r = web(other, "POST", "/session/signup", bad_phone);
  EXPECT_EQ(r.status, 400u) << r.raw;
  EXPECT_EQ(r.body["code"], "LGSP-400-ONESTOP-INPUT");
  EXPECT_EQ(r.body["field"], "phone");
  auto short_password = signup_form(5);
  short_password["password"] = "ngắn";
  r = web(other, "POST", "/session/signup", short_password);
  EXPECT_EQ(r.status, 400u) << r.raw;
  EXPECT_EQ(r.body["field"], "password");
  auto bad_date = signup_form(6);
  bad_date["date_of_birth"] = "21/07/1990";
  r = web(other, "POST", "/session/signup", bad_date);
  EXPECT_EQ(r.body["field"], "date_of_birth");

  // Officials' password sign-in is off by default (they sign in with their token).
  auto official = web(other, "POST", "/session/signin", {{"username", "lan"}, {"password", "whatever password"}});
  EXPECT_EQ(official.status, 403u) << official.raw;
  EXPECT_EQ(official.body["code"], "LGSP-403-ONESTOP-PASSWORD-SIGNIN");
}

TEST_F(OnestopWeb, wrong_sign_ins_are_limited_per_source_and_per_account_without_locking_the_owner_out) {
  auto form = signup_form(7);
  Browser owner;
  owner.source = "198.51.100.7";
  ASSERT_EQ(web(owner, "POST", "/session/signup", form).status, 201u);
  // A stranger guesses from one source: after signin_max_failures (4) wrong tries, 429 with Retry-After.
  Browser stranger;
  stranger.source = "203.0.113.9";
  json guess = {{"phone", form["phone"]}, {"password", "guess guess"}};
  int refused = 0;
  JsonAnswer last;
  for (int i = 0; i < 6; ++i) {
    last = web(stranger, "POST", "/session/signin", guess);
    if (last.status == 429u) ++refused;
  }
  EXPECT_GE(refused, 2) << last.raw;
  EXPECT_EQ(last.body["code"], "LGSP-429-ONESTOP-SIGNIN");
  EXPECT_FALSE(last.headers["retry-after"].empty());
  // Even the right password from that source is refused now ...
  EXPECT_EQ(web(stranger, "POST", "/session/signin", {{"phone", form["phone"]}, {"password", form["password"]}}).status,
            429u);
  // ... but the owner, from their own address, signs in.
  Browser again;
  again.source = "198.51.100.7";
  EXPECT_EQ(web(again, "POST", "/session/signin", {{"phone", form["phone"]}, {"password", form["password"]}}).status,
            200u);
}

TEST_F(OnestopWeb, an_idle_session_expires_and_the_page_is_told_to_sign_in_again) {
  auto form = signup_form(8);
  Browser b;
  ASSERT_EQ(web(b, "POST", "/session/signup", form).status, 201u);
  ASSERT_EQ(web(b, "GET", "/session").status, 200u);
  std::this_thread::sleep_for(std::chrono::seconds(kIdleSeconds + 1));
  auto expired = web(b, "GET", "/me");
  EXPECT_EQ(expired.status, 401u) << expired.raw;
  EXPECT_EQ(expired.body["code"], "LGSP-401-ONESTOP-SESSION-EXPIRED");
  // Once told, the session is gone: signing in again opens a new one.
  EXPECT_EQ(web(b, "GET", "/session").body["code"], "LGSP-401-ONESTOP-AUTH");
  EXPECT_EQ(web(b, "POST", "/session/signin", {{"phone", form["phone"]}, {"password", form["password"]}}).status, 200u);
  EXPECT_EQ(web(b, "GET", "/me").status, 200u);
}

TEST_F(OnestopWeb, a_double_submit_files_one_dossier) {
  auto form = signup_form(9);
  Browser b;
  ASSERT_EQ(web(b, "POST", "/session/signup", form).status, 201u);
  std::string pdf = "%PDF-1.4\n% double\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
  auto up = office_->send("POST", "/onestop/v1/files", "", pdf, "application/pdf",
                          {{"Cookie", "lgsp_session=" + b.cookie}, {"X-CSRF-Token", b.csrf}});
  ASSERT_EQ(up.status, 201u) << up.raw;
  json req = {{"procedure_code", "1.001193"},
              {"client_request_id", "form-7f3a"},
              {"documents",
               {{{"code", "TK"}, {"sha256", up.body["sha256"]}},
                {{"code", "GCS"}, {"sha256", up.body["sha256"]}},
                {{"code", "GTTT"}, {"sha256", up.body["sha256"]}}}}};
  auto first = web(b, "POST", "/dossiers", req);
  ASSERT_EQ(first.status, 201u) << first.raw;
  auto second = web(b, "POST", "/dossiers", req);
  ASSERT_EQ(second.status, 201u) << second.raw;
  EXPECT_EQ(second.body["code"], first.body["code"]);
  auto list = web(b, "GET", "/dossiers");
  ASSERT_EQ(list.status, 200u);
  EXPECT_EQ(list.body["dossiers"].size(), 1u) << list.raw;
  // Another request id is another dossier.
  req["client_request_id"] = "form-8b1c";
  auto third = web(b, "POST", "/dossiers", req);
  ASSERT_EQ(third.status, 201u) << third.raw;
  EXPECT_NE(third.body["code"], first.body["code"]);
}

TEST_F(OnestopWeb, procedures_are_found_by_words_with_or_without_vietnamese_marks) {
  auto codes = [](const std::string& query) {
    auto r = office_->call("GET", "/onestop/v1/procedures?" + query);
    EXPECT_EQ(r.status, 200u) << r.raw;
    std::set<std::string> out;
    for (const auto& p : r.body["procedures"]) out.insert(p["code"]);
    return out;
  };
  auto khai_sinh = codes("q=khai%20sinh");
  EXPECT_TRUE(khai_sinh.count("1.001193"));
  EXPECT_TRUE(khai_sinh.count("1.012788"));
  EXPECT_FALSE(khai_sinh.count("1.001022"));
  EXPECT_EQ(codes("q=Khai+Sinh"), khai_sinh);
  // "đăng ký kết hôn" and "dang ky ket hon" find the same.
  EXPECT_EQ(codes("q=dang+ky+ket+hon"), (std::set<std::string>{"1.001022"}));
  EXPECT_EQ(codes("q=%C4%91%C4%83ng%20k%C3%BD%20k%E1%BA%BFt%20h%C3%B4n"), (std::set<std::string>{"1.001022"}));
  EXPECT_EQ(codes("q=1.001193"), (std::set<std::string>{"1.001193"}));
  // By field (name or code, marks or not) and online level.
  auto ho_tich = codes("field=ho+tich");
  EXPECT_TRUE(ho_tich.count("1.001193"));
  EXPECT_FALSE(ho_tich.count("1.001612"));
  EXPECT_EQ(codes("field=H%E1%BB%99%20t%E1%BB%8Bch"), ho_tich);
  EXPECT_EQ(codes("level=partial"), (std::set<std::string>{"1.001022"}));
  EXPECT_TRUE(codes("q=khong+co+thu+tuc+nay").empty());
  EXPECT_EQ(codes("").size(), codes("q=").size());
}

TEST_F(OnestopWeb, a_citizen_hands_in_a_supplement_the_desk_confirms_and_the_queues_count_it) {
  auto form = signup_form(10);
  Browser b;
  ASSERT_EQ(web(b, "POST", "/session/signup", form).status, 201u);
  auto upload = [&](const std::string& text) {
    std::string pdf = "%PDF-1.4\n% " + text + "\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
    auto up = office_->send("POST", "/onestop/v1/files", "", pdf, "application/pdf",
                            {{"Cookie", "lgsp_session=" + b.cookie}, {"X-CSRF-Token", b.csrf}});
    EXPECT_EQ(up.status, 201u) << up.raw;
    return up.body.value("sha256", "");
  };
  std::string sha = upload("to khai");
  auto filed = web(
      b, "POST", "/dossiers",
      {{"procedure_code", "1.001193"},
       {"documents",
        {{{"code", "TK"}, {"sha256", sha}}, {{"code", "GCS"}, {"sha256", sha}}, {{"code", "GTTT"}, {"sha256", sha}}}}});
  ASSERT_EQ(filed.status, 201u) << filed.raw;
  const std::string code = filed.body["code"];
  auto queue_count = [&](const std::string& name) {
    auto q = office_->call("GET", "/onestop/v1/queues", receiving_);
    EXPECT_EQ(q.status, 200u) << q.raw;
    EXPECT_EQ(q.body["queues"][0]["name"], "overdue");  // overdue first
    for (const auto& e : q.body["queues"])
      if (e["name"] == name) return e["count"].get<int>();
    return -1;
  };
  EXPECT_GE(queue_count("online_to_accept"), 1);
  int waiting_before = queue_count("supplement");
  EXPECT_EQ(web(b, "GET", "/queues").status, 403u);  // queues are for officials

  // Not waiting for a supplement yet: refused.
  std::string extra = upload("giay chung sinh ban chinh");
  json supplement = {{"documents", {{{"code", "GCS"}, {"name", "Giấy chứng sinh (bản chính)"}, {"sha256", extra}}}},
                     {"note", "Nộp bản chính"}};
  auto early = web(b, "POST", "/dossiers/" + code + "/supplement", supplement);
  EXPECT_EQ(early.status, 409u) << early.raw;
  EXPECT_EQ(early.body["code"], "LGSP-409-ONESTOP-STATUS");

  auto asked = office_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/request_supplement", receiving_,
                             {{"items", {{{"name", "Giấy chứng sinh (bản chính)"}, {"reason", "bản chụp mờ"}}}}});
  ASSERT_EQ(asked.status, 200u) << asked.raw;
  EXPECT_EQ(queue_count("supplement"), waiting_before + 1);

  // Without the CSRF token, or by another citizen: refused; an unknown file records nothing.
  EXPECT_EQ(web(b, "POST", "/dossiers/" + code + "/supplement", supplement, false).status, 403u);
  Browser other;
  ASSERT_EQ(web(other, "POST", "/session/signup", signup_form(11)).status, 201u);
  EXPECT_EQ(web(other, "POST", "/dossiers/" + code + "/supplement", supplement).status, 403u);
  json unknown = supplement;
  unknown["documents"].push_back({{"sha256", std::string(64, 'e')}});
  auto bad = web(b, "POST", "/dossiers/" + code + "/supplement", unknown);
  EXPECT_EQ(bad.status, 404u) << bad.raw;
  EXPECT_EQ(bad.body["field"], "documents");

  auto handed = web(b, "POST", "/dossiers/" + code + "/supplement", supplement);
  ASSERT_EQ(handed.status, 200u) << handed.raw;
  int supplements = 0;
  for (const auto& d : handed.body["documents"])
    if (d["kind"] == "supplement") ++supplements;
  EXPECT_EQ(supplements, 1) << handed.raw;
  EXPECT_EQ(handed.body["history"].back()["action"], "supplement_submitted");
  // The desk confirms with supplement_received: the dossier goes back to where it paused.
  auto received = office_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/supplement_received", receiving_,
                                json::object());
  ASSERT_EQ(received.status, 200u) << received.raw;
  EXPECT_EQ(received.body["status"]["code"], 1);
  EXPECT_EQ(queue_count("supplement"), waiting_before);
}

}  // namespace

namespace {

// Officials sign in with their token: hsm-sim's official tokens, opened in this process as `lgsp agent` opens them.
class OnestopTokenSignIn : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    hsm_ = hsm;
    dir_ = fs::temp_directory_path() / ("lgsp-onestop-token-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    auto env = lgsp::test::hsm_sim_env(hsm_);
    office_ = new OfficeProcess(
        dir_, kWard, "UBND phường Bến Thành", env,
        lgsp::test::office_signing_config(hsm_) + "[web]\nchallenge_seconds = 8\nofficial_password_sign_in = true\n");
    office_->add_user("minh", "leader", "Đỗ Quang Minh", "Phó Chủ tịch UBND phường");
    // Minh's account is bound to official-01's certificate by the CCCD number in its subject.
    auto bound = office_->cli({"user", "bind", "minh", "--cccd", "079090000001"});
    ASSERT_EQ(bound.exit_code, 0) << bound.err;
    office_->add_user("an", "processing", "Nguyễn Văn An");
    auto revoked = office_->cli({"user", "bind", "an", "--cccd", "079090000003"});
    ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
    office_->start();
    officials_ = new lgsp::test::Officials(hsm_);
  }
  static void TearDownTestSuite() {
    delete officials_;
    officials_ = nullptr;
    delete office_;
    office_ = nullptr;
    fs::remove_all(dir_);
  }
  static JsonAnswer challenge() {
    auto c = office_->call("POST", "/onestop/v1/session/challenge", "", json::object());
    EXPECT_EQ(c.status, 200u) << c.raw;
    return c;
  }
  static JsonAnswer token_signin(const std::string& id, const std::string& signature, const std::string& token) {
    return office_->call("POST", "/onestop/v1/session/token-signin", "",
                         {{"challenge_id", id},
                          {"signature", signature},
                          {"certificate", officials_->certificate(token)},
                          {"chain", {officials_->certificate(token)}}});
  }

  static inline fs::path hsm_, dir_;
  static inline OfficeProcess* office_ = nullptr;
  static inline lgsp::test::Officials* officials_ = nullptr;
};

TEST_F(OnestopTokenSignIn, an_official_signs_the_origin_bound_challenge_on_their_token_and_gets_a_session) {
  auto c = challenge();
  EXPECT_EQ(c.body["origin"], office_->url());
  EXPECT_EQ(c.body["title"], "Đăng nhập " + office_->url());
  // The digest binds the origin and a nonce: SHA-256(SHA-256(origin) || SHA-256(nonce)), fresh each time.
  EXPECT_EQ(lgsp::contracts::base64_decode(c.body["digest"].get<std::string>())->size(), 32u);
  EXPECT_NE(challenge().body["digest"], c.body["digest"]);

  auto signature = officials_->sign("official-01", c.body["digest"]);
  auto in = token_signin(c.body["challenge_id"], signature, "official-01");
  ASSERT_EQ(in.status, 200u) << in.raw;
  EXPECT_EQ(in.body["user"]["username"], "minh");
  EXPECT_EQ(in.body["user"]["role"], "leader");
  const std::string set_cookie = in.headers["set-cookie"];
  auto eq = set_cookie.find('='), semi = set_cookie.find(';');
  std::string cookie = set_cookie.substr(eq + 1, semi - eq - 1);
  auto me = office_->send("GET", "/onestop/v1/me", "", "", "", {{"Cookie", "lgsp_session=" + cookie}});
  ASSERT_EQ(me.status, 200u) << me.raw;
  EXPECT_EQ(me.body["username"], "minh");

  // The same signed challenge again: used once.
  auto replay = token_signin(c.body["challenge_id"], signature, "official-01");
  EXPECT_EQ(replay.status, 401u) << replay.raw;
  EXPECT_EQ(replay.body["code"], "LGSP-401-ONESTOP-CHALLENGE");
}

TEST_F(OnestopTokenSignIn, where_the_office_allows_it_an_official_signs_in_with_the_password_the_cli_set) {
  auto cli = [&](const std::string& input) {
    return lgsp::test::run(
        {LGSP_BINARY, "onestop", "user", "password", "minh", "--config", (dir_ / "onestop.toml").string()}, input,
        lgsp::test::hsm_sim_env(hsm_));
  };
  auto too_short = cli("ngan\n");
  EXPECT_NE(too_short.exit_code, 0);
  auto set = cli("Mật khẩu của Minh 2026\n");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  auto in = office_->call("POST", "/onestop/v1/session/signin", "",
                          {{"username", "minh"}, {"password", "Mật khẩu của Minh 2026"}});
  ASSERT_EQ(in.status, 200u) << in.raw;
  EXPECT_EQ(in.body["user"]["role"], "leader");
  auto wrong =
      office_->call("POST", "/onestop/v1/session/signin", "", {{"username", "minh"}, {"password", "sai mật khẩu"}});
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_EQ(wrong.body["code"], "LGSP-401-ONESTOP-SIGNIN");
  // An official's user name is not a citizen's phone: the citizen form does not sign officials in.
  auto as_citizen = office_->call("POST", "/onestop/v1/session/signin", "",
                                  {{"phone", "minh"}, {"password", "Mật khẩu của Minh 2026"}});
  EXPECT_EQ(as_citizen.status, 401u);
  // The help tells of it.
  auto help = lgsp::test::run({LGSP_BINARY, "onestop", "user", "password", "--help"});
  EXPECT_NE(help.out.find("standard input"), std::string::npos) << help.out;
}

TEST_F(OnestopTokenSignIn, a_signature_for_another_origin_an_unbound_or_revoked_certificate_or_a_late_one_is_refused) {
  // A phishing page's challenge: the same construction for its own origin, signed by the official's token.
  auto c = challenge();
  auto h = [](const std::string& s) {
    auto d = lgsp::bus::sha256(s);
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
  };
  auto evil = lgsp::bus::sha256(h("https://motcua-gia.example") + h("nonce"));
  auto evil_b64 = lgsp::contracts::base64_encode(std::string_view(reinterpret_cast<const char*>(evil.data()), 32));
  auto wrong_origin = token_signin(c.body["challenge_id"], officials_->sign("official-01", evil_b64), "official-01");
  EXPECT_EQ(wrong_origin.status, 422u) << wrong_origin.raw;
  EXPECT_EQ(wrong_origin.body["code"], "LGSP-422-ONESTOP-SIGNATURE");

  // A valid signature by a certificate bound to nobody (official-02).
  auto c2 = challenge();
  auto unbound =
      token_signin(c2.body["challenge_id"], officials_->sign("official-02", c2.body["digest"]), "official-02");
  EXPECT_EQ(unbound.status, 403u) << unbound.raw;
  EXPECT_EQ(unbound.body["code"], "LGSP-403-ONESTOP-CERTIFICATE");

  // A revoked certificate (official-03, on hsm-sim's CRL), though bound.
  auto c3 = challenge();
  auto revoked =
      token_signin(c3.body["challenge_id"], officials_->sign("official-03", c3.body["digest"]), "official-03");
  EXPECT_EQ(revoked.status, 422u) << revoked.raw;
  EXPECT_EQ(revoked.body["code"], "LGSP-422-ONESTOP-CERTIFICATE-REVOKED");

  // A challenge signed after it expired (web.challenge_seconds = 8 here).
  auto c4 = challenge();
  auto late_signature = officials_->sign("official-01", c4.body["digest"]);
  std::this_thread::sleep_for(std::chrono::seconds(9));
  auto late = token_signin(c4.body["challenge_id"], late_signature, "official-01");
  EXPECT_EQ(late.status, 401u) << late.raw;
  EXPECT_EQ(late.body["code"], "LGSP-401-ONESTOP-CHALLENGE");
}

}  // namespace

namespace {

bool port_open(unsigned short port) {
  try {
    lgsp::test::HttpClient c("127.0.0.1", port);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// "=?UTF-8?B?...?=" words (folded over lines) -> the UTF-8 text.
std::string decode_words(const std::string& header) {
  std::string out;
  for (auto at = header.find("=?UTF-8?B?"); at != std::string::npos; at = header.find("=?UTF-8?B?", at + 1)) {
    auto end = header.find("?=", at + 10);
    out += lgsp::contracts::base64_decode(header.substr(at + 10, end - at - 10)).value_or("");
  }
  return out.empty() ? header : out;
}

// Notifications to a real SMTP server (Debian's aiosmtpd, STARTTLS required) and an SMS gateway stand-in that is
// down, then refuses, then answers.
class OnestopNotify : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    dir_ = fs::temp_directory_path() / ("lgsp-onestop-notify-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    for (const char* sub : {"tmp", "new", "cur"}) fs::create_directories(dir_ / "mail" / sub);  // a Maildir
    // The SMTP server's certificate, which the office trusts through notify.smtp_ca.
    auto cert = lgsp::test::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                                 (dir_ / "smtp.key").string(), "-out", (dir_ / "smtp.pem").string(), "-days", "2",
                                 "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
    ASSERT_EQ(cert.exit_code, 0) << cert.err;
    smtp_port_ = lgsp::test::free_port();
    smtp_ = new lgsp::test::Process(
        {"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(smtp_port_), "--tlscert",
         (dir_ / "smtp.pem").string(), "--tlskey", (dir_ / "smtp.key").string(), "-c", "aiosmtpd.handlers.Mailbox",
         (dir_ / "mail").string()},
        dir_ / "smtp.log");
    for (int i = 0; i < 200 && !port_open(smtp_port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(port_open(smtp_port_)) << lgsp::test::read_file(dir_ / "smtp.log");
    sms_port_ = lgsp::test::free_port();
    std::ofstream(dir_ / "sms.key") << "sms-test-key\n";
    auto env = lgsp::test::hsm_sim_env(hsm);
    office_ = new OfficeProcess(
        dir_ / "office", kWard, "UBND phường Bến Thành", env,
        "[notify]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = " + std::to_string(smtp_port_) +
            "\nsmtp_from = \"Bộ phận một cửa <motcua@benthanh.example.vn>\"\nsmtp_starttls = \"required\"\n"
            "smtp_ca = \"" +
            (dir_ / "smtp.pem").string() + "\"\nsms_url = \"http://127.0.0.1:" + std::to_string(sms_port_) +
            "/send\"\nsms_api_key_file = \"" + (dir_ / "sms.key").string() +
            "\"\nretry_seconds = 1\npoll_ms = 100\nmax_attempts = 50\ntimeout_seconds = 5\n");
    auto imported = office_->cli({"procedure", "import", (kSamples / "procedures.json").string()});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    receiving_ = office_->add_user("lan", "receiving", "Trần Thị Lan", "Công chức Bộ phận một cửa");
    office_->start();
  }
  static void TearDownTestSuite() {
    delete office_;
    office_ = nullptr;
    delete sms_;
    sms_ = nullptr;
    delete smtp_;
    smtp_ = nullptr;
    fs::remove_all(dir_);
  }
  static void start_sms(const std::string& mode) {
    std::ofstream(dir_ / "sms.mode") << mode;
    if (sms_) return;
    sms_ =
        new lgsp::test::Process({"/usr/bin/python3", LGSP_SOURCE_DIR "/tests/integration/onestop/sms_standin.py",
                                 std::to_string(sms_port_), (dir_ / "sms.log").string(), (dir_ / "sms.mode").string()},
                                dir_ / "sms-stdout.log");
    for (int i = 0; i < 200 && !port_open(sms_port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // A dossier received at the counter for a citizen with a phone and an e-mail; returns its code.
  static std::string file_at_counter(int n) {
    char id[16];
    std::snprintf(id, sizeof id, "0791970%05d", n + ::getpid() % 1000 * 10);
    auto p = office_->call("POST", "/onestop/v1/profiles", receiving_,
                           {{"full_name", "Võ Thị Thu"},
                            {"id_number", id},
                            {"date_of_birth", "1988-01-02"},
                            {"gender", "female"},
                            {"hometown", "Xã Hải Hậu, tỉnh Nam Định"},
                            {"ethnicity", "Kinh"},
                            {"nationality", "Việt Nam"},
                            {"permanent_address", "12 Lê Lợi, phường Bến Thành"},
                            {"phone", "0912000" + std::to_string(100 + n)},
                            {"email", "thu" + std::to_string(n) + "@example.vn"}});
    EXPECT_EQ(p.status, 201u) << p.raw;
    std::string pdf = "%PDF-1.4\n% notify " + std::to_string(n) + "\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
    auto f = office_->send("POST", "/onestop/v1/files", receiving_, pdf, "application/pdf");
    std::string sha = f.body.value("sha256", "");
    auto d = office_->call("POST", "/onestop/v1/dossiers", receiving_,
                           {{"procedure_code", "1.001193"},
                            {"customer_code", p.body["customer_code"]},
                            {"channel", 1},
                            {"documents",
                             {{{"code", "TK"}, {"sha256", sha}},
                              {{"code", "GCS"}, {"sha256", sha}},
                              {{"code", "GTTT"}, {"sha256", sha}}}}});
    EXPECT_EQ(d.status, 201u) << d.raw;
    return d.body.value("code", "");
  }
  static json notification(const std::string& code, const std::string& channel) {
    auto r = office_->call("GET", "/onestop/v1/notifications?dossier=" + code, receiving_);
    EXPECT_EQ(r.status, 200u) << r.raw;
    for (const auto& n : r.body["notifications"])
      if (n["channel"] == channel) return n;
    return json();
  }
  template <class F>
  static bool wait_for(F done, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
  }

  static inline fs::path dir_;
  static inline OfficeProcess* office_ = nullptr;
  static inline lgsp::test::Process *smtp_ = nullptr, *sms_ = nullptr;
  static inline unsigned short smtp_port_ = 0, sms_port_ = 0;
  static inline std::string receiving_;
};

TEST_F(OnestopNotify, the_receipt_is_acknowledged_by_email_over_starttls_in_vietnamese_utf8) {
  auto code = file_at_counter(1);
  ASSERT_FALSE(code.empty());
  fs::path inbox = dir_ / "mail" / "new";
  ASSERT_TRUE(wait_for([&] { return fs::exists(inbox) && !fs::is_empty(inbox); }, 30))
      << office_->log() << lgsp::test::read_file(dir_ / "smtp.log");
  std::string message;
  for (const auto& f : fs::directory_iterator(inbox)) message = lgsp::test::read_file(f.path());
  // Headers: an encoded UTF-8 subject, a plain-text UTF-8 body in base64, to the e-profile's address.
  EXPECT_NE(message.find("To: <thu1@example.vn>"), std::string::npos) << message;
  EXPECT_NE(message.find("Content-Type: text/plain; charset=UTF-8"), std::string::npos) << message;
  EXPECT_NE(message.find("Content-Transfer-Encoding: base64"), std::string::npos) << message;
  auto subject_at = message.find("Subject: ");
  ASSERT_NE(subject_at, std::string::npos);
  auto subject_end = message.find("\nMessage-ID", subject_at);
  EXPECT_EQ(decode_words(message.substr(subject_at + 9, subject_end - subject_at - 9)), "Đã tiếp nhận hồ sơ " + code);
  auto body_at = message.find("\n\n");
  if (body_at == std::string::npos) body_at = message.find("\r\n\r\n");
  std::string b64;
  for (char c : message.substr(body_at))
    if (c != '\r' && c != '\n') b64 += c;
  std::string body = lgsp::contracts::base64_decode(b64).value_or("");
  EXPECT_NE(body.find("UBND phường Bến Thành đã tiếp nhận hồ sơ " + code), std::string::npos) << body;
  EXPECT_NE(body.find("Hẹn trả kết quả: "), std::string::npos) << body;
  EXPECT_NE(body.find(" ngày "), std::string::npos) << body;  // 11:30 ngày 02/12/2026, Vietnam time
  EXPECT_NE(body.find("Tra cứu: " + office_->url() + "/tra-cuu?ma=" + code), std::string::npos) << body;
  EXPECT_TRUE(wait_for([&] { return notification(code, "email").value("status", "") == "sent"; }, 10));
  // Operators see it went, with the address masked.
  EXPECT_EQ(notification(code, "email")["to"], "t***@example.vn");
}

TEST_F(OnestopNotify, a_gateway_that_hangs_is_given_up_on_after_the_timeout_and_the_sms_sent_later_once) {
  start_sms("slow");
  auto code = file_at_counter(4);
  ASSERT_FALSE(code.empty());
  ASSERT_TRUE(wait_for([&] { return notification(code, "sms").value("attempts", 0) >= 1; }, 30)) << office_->log();
  auto hung = notification(code, "sms");
  EXPECT_EQ(hung["status"], "pending");
  EXPECT_NE(hung["last_error"].get<std::string>().find("Timeout"), std::string::npos) << hung;
  start_sms("ok");
  ASSERT_TRUE(wait_for([&] { return notification(code, "sms").value("status", "") == "sent"; }, 40)) << office_->log();
  int delivered = 0;
  std::istringstream log(lgsp::test::read_file(dir_ / "sms.log"));
  for (std::string line; std::getline(log, line);)
    if (line.find(code) != std::string::npos) ++delivered;
  EXPECT_EQ(delivered, 1);
}

TEST_F(OnestopNotify, a_supplement_request_is_notified_too) {
  auto code = file_at_counter(3);
  ASSERT_FALSE(code.empty());
  auto asked = office_->call("POST", "/onestop/v1/dossiers/" + code + "/actions/request_supplement", receiving_,
                             {{"items", {{{"name", "Giấy chứng sinh (bản chính)"}, {"reason", "bản chụp mờ"}}}}});
  ASSERT_EQ(asked.status, 200u) << asked.raw;
  auto r = office_->call("GET", "/onestop/v1/notifications?dossier=" + code, receiving_);
  ASSERT_EQ(r.status, 200u) << r.raw;
  std::multiset<std::string> kinds;
  for (const auto& n : r.body["notifications"])
    kinds.insert(n["kind"].get<std::string>() + "/" + n["channel"].get<std::string>());
  EXPECT_EQ(kinds, (std::multiset<std::string>{"received/email", "received/sms", "supplement/email", "supplement/sms"}))
      << r.raw;
  // Operators only: a citizen's or a stranger's request is refused.
  EXPECT_EQ(office_->call("GET", "/onestop/v1/notifications?dossier=" + code).status, 401u);
}

TEST_F(OnestopNotify, an_sms_is_kept_while_the_gateway_is_down_or_refuses_and_is_delivered_once_after_a_restart) {
  auto code = file_at_counter(2);
  ASSERT_FALSE(code.empty());
  // The gateway is down: the SMS stays pending with the reason.
  ASSERT_TRUE(wait_for([&] { return notification(code, "sms").value("attempts", 0) >= 1; }, 20)) << office_->log();
  auto down = notification(code, "sms");
  EXPECT_EQ(down["status"], "pending");
  EXPECT_NE(down["last_error"].get<std::string>().find("sms gateway"), std::string::npos) << down;
  EXPECT_EQ(down["to"], "*******102");
  // It answers 500: still pending, with a bounded one-line error.
  start_sms("500");
  // (An attempt already under way when the stand-in came up may still fail to connect: wait for one it answered.)
  int before = down["attempts"];
  ASSERT_TRUE(wait_for(
      [&] {
        auto n = notification(code, "sms");
        return n.value("attempts", 0) > before && n.value("last_error", "").find("HTTP 500") != std::string::npos;
      },
      30))
      << notification(code, "sms");
  auto refused = notification(code, "sms");
  EXPECT_EQ(refused["status"], "pending");
  std::string error = refused["last_error"];
  EXPECT_NE(error.find("HTTP 500"), std::string::npos) << error;
  EXPECT_LE(error.size(), 300u);
  EXPECT_EQ(error.find('\n'), std::string::npos);
  // The office restarts; the gateway comes back: delivered, once.
  office_->stop();
  start_sms("ok");
  office_->start();
  ASSERT_TRUE(wait_for([&] { return notification(code, "sms").value("status", "") == "sent"; }, 30)) << office_->log();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  int delivered = 0;
  std::istringstream log(lgsp::test::read_file(dir_ / "sms.log"));
  for (std::string line; std::getline(log, line);) {
    auto j = json::parse(line);
    if (j["body"]["text"].get<std::string>().find(code) == std::string::npos) continue;
    ++delivered;
    EXPECT_EQ(j["authorization"], "Bearer sms-test-key");
    EXPECT_EQ(j["body"]["to"], "0912000102");
    // Plain ASCII, as the office's SMS answers are.
    EXPECT_NE(j["body"]["text"].get<std::string>().find("UBND phuong Ben Thanh da tiep nhan ho so " + code),
              std::string::npos)
        << line;
    EXPECT_EQ(j["body"]["id"], "lgsp-" + std::to_string(refused["id"].get<int>()));
  }
  EXPECT_EQ(delivered, 1);
}

}  // namespace
