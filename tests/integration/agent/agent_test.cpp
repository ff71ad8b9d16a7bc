// `lgsp agent` end to end: a real agent process, SoftHSM2 tokens (copies of hsm-sim's, so tests may plug and
// pull them), the scripted pinentry standing in for the official, OpenSSL verifying every signature.
#include "http_client.hpp"
#include "process.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <thread>

namespace fs = std::filesystem;
using json = nlohmann::json;
using lgsp::test::ClientResponse;
using lgsp::test::HttpClient;

namespace {

constexpr const char* kOrigin = "https://motcua.phuong-ben-thanh.example.vn";
constexpr int kMaxBatch = 20;

std::string b64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::vector<unsigned char> unb64(const std::string& text) {
  std::vector<unsigned char> out(text.size());
  int n =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return {};
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

struct CertFile {
  std::vector<unsigned char> der;
  std::string fingerprint;
  std::unique_ptr<X509, decltype(&X509_free)> x509{nullptr, X509_free};
};

CertFile load_cert(const fs::path& pem) {
  CertFile c;
  FILE* f = std::fopen(pem.c_str(), "r");
  if (!f) throw std::runtime_error("cannot open " + pem.string());
  c.x509.reset(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  unsigned char* der = nullptr;
  int n = i2d_X509(c.x509.get(), &der);
  c.der.assign(der, der + n);
  OPENSSL_free(der);
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(c.der.data(), c.der.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) c.fingerprint += std::string{hex[md[i] >> 4], hex[md[i] & 15]};
  return c;
}

// The signature value a CMS SignerInfo carries: RSA PKCS#1 v1.5 over the SHA-256 DigestInfo, or DER ECDSA.
bool verifies(X509* cert, const std::vector<unsigned char>& digest, const std::vector<unsigned char>& signature) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(key, nullptr), EVP_PKEY_CTX_free);
  return ctx && EVP_PKEY_verify_init(ctx.get()) == 1 && EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1 &&
         EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size()) == 1;
}

std::vector<unsigned char> random_digest() {
  std::vector<unsigned char> d(32);
  RAND_bytes(d.data(), 32);
  return d;
}

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

class AgentTest : public ::testing::Test {
 protected:
  static inline fs::path dir_;
  static inline fs::path hsm_;
  static inline fs::path spare_;  // official-02's token, kept out of the agent's token folder until plugged
  static inline std::vector<std::string> env_;
  static inline std::unique_ptr<lgsp::test::Process> agent_;
  static inline unsigned short port_ = 0;

  static void SetUpTestSuite() {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_TRUE(hsm) << "LGSP_TEST_HSM_DIR (ctest sets it: hsm_sim fixture)";
    hsm_ = hsm;
    dir_ = fs::temp_directory_path() / ("lgsp-agent-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "tokens");
    fs::create_directories(dir_ / "pinentry");
    fs::create_directories(dir_ / "spare");
    for (const auto& token : fs::directory_iterator(hsm_ / "tokens")) {
      auto object = lgsp::test::read_file(token.path() / "token.object");
      bool spare = object.find("official-02") != std::string::npos;
      fs::copy(token.path(), (spare ? dir_ / "spare" : dir_ / "tokens") / token.path().filename(),
               fs::copy_options::recursive);
      if (spare) spare_ = dir_ / "spare" / token.path().filename();
    }
    ASSERT_FALSE(spare_.empty()) << "hsm-sim has no official-02 token";
    std::ofstream(dir_ / "softhsm2.conf") << "directories.tokendir = " << (dir_ / "tokens").string()
                                          << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    std::string module;
    for (const auto& e : lgsp::test::hsm_sim_env(hsm_))
      if (e.rfind("LGSP_PKCS11_MODULE=", 0) == 0) module = e.substr(19);
    ASSERT_FALSE(module.empty());
    env_ = {"SOFTHSM2_CONF=" + (dir_ / "softhsm2.conf").string(),
            "SCRIPTED_PINENTRY_DIR=" + (dir_ / "pinentry").string()};
    port_ = lgsp::test::free_port();
    std::vector<std::string> argv = {
        LGSP_BINARY,      "agent",
        "--listen",       "127.0.0.1:" + std::to_string(port_),
        "--allow-origin", kOrigin,
        "--allow-origin", "http://127.0.0.1:9",
        "--pinentry",     std::string(LGSP_SOURCE_DIR) + "/tests/support/scripted-pinentry",
        "--module",       module,
        "--max-batch",    std::to_string(kMaxBatch)};
    agent_ = std::make_unique<lgsp::test::Process>(argv, dir_ / "agent.log", env_);
    for (int i = 0; i < 100; ++i) {
      try {
        HttpClient probe("127.0.0.1", port_);
        return;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    FAIL() << "the agent did not start: " << lgsp::test::read_file(dir_ / "agent.log");
  }

  static void TearDownTestSuite() {
    agent_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void SetUp() override {
    for (const char* f : {"mode", "pin", "hook", "record"}) fs::remove(dir_ / "pinentry" / f);
  }

  static void pinentry(const std::string& file, const std::string& content) {
    std::ofstream(dir_ / "pinentry" / file) << content;
  }
  static std::string record() {
    std::error_code ec;
    return fs::exists(dir_ / "pinentry" / "record", ec) ? lgsp::test::read_file(dir_ / "pinentry" / "record") : "";
  }

  static ClientResponse get(const std::string& target,
                            std::map<std::string, std::string> headers = {{"Origin", kOrigin}}) {
    HttpClient client("127.0.0.1", port_);
    return client.request("GET", target, "", headers);
  }

  static ClientResponse sign(const json& body, const std::string& origin = kOrigin) {
    HttpClient client("127.0.0.1", port_);
    return client.request("POST", "/v1/sign", body.dump(), {{"Origin", origin}, {"Content-Type", "application/json"}});
  }

  static json items(const std::vector<std::vector<unsigned char>>& digests,
                    const std::string& prefix = "Giấy khai sinh ") {
    json out = json::array();
    for (std::size_t i = 0; i < digests.size(); ++i)
      out.push_back({{"digest", b64(digests[i].data(), 32)}, {"title", prefix + std::to_string(i + 1)}});
    return out;
  }

  static std::string code_of(const ClientResponse& r) {
    auto body = json::parse(r.body, nullptr, false);
    return body.is_object() && body.contains("code") ? body["code"].get<std::string>() : "(none) " + r.body;
  }

  static int softhsm(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {SOFTHSM2_UTIL};
    argv.insert(argv.end(), args.begin(), args.end());
    return lgsp::test::run(argv, "", env_).exit_code;
  }
};

TEST_F(AgentTest, lists_certificates_with_cors_headers_for_an_allowed_origin) {
  auto r = get("/v1/certificates");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.headers["access-control-allow-origin"], kOrigin);
  auto official = load_cert(hsm_ / "pki" / "official-01.pem");
  auto list = json::parse(r.body)["certificates"];
  const json* found = nullptr;
  for (const auto& c : list)
    if (c["fingerprint"] == official.fingerprint) found = &c;
  ASSERT_TRUE(found) << r.body;
  EXPECT_EQ((*found)["token_label"], "official-01");
  EXPECT_NE((*found)["subject"].get<std::string>().find("CN=Nguyễn Văn An"), std::string::npos);
  EXPECT_NE((*found)["issuer"].get<std::string>().find("LGSP Test Issuing CA"), std::string::npos);
  EXPECT_EQ((*found)["key_usage"], json::array({"digitalSignature", "nonRepudiation"}));
  EXPECT_EQ(unb64((*found)["certificate"]), official.der);
  EXPECT_FALSE((*found)["serial"].get<std::string>().empty());
  EXPECT_EQ((*found)["not_after"].get<std::string>().back(), 'Z');
  EXPECT_TRUE(record().empty()) << "listing asks no PIN";
}

TEST_F(AgentTest, answers_another_origin_with_a_bare_403) {
  auto r = get("/v1/certificates", {{"Origin", "https://evil.example.com"}});
  EXPECT_EQ(r.status, 403u);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.headers.count("access-control-allow-origin"), 0u);
  // Same host, another scheme or port: another origin.
  EXPECT_EQ(get("/v1/certificates", {{"Origin", "http://motcua.phuong-ben-thanh.example.vn"}}).status, 403u);
  EXPECT_EQ(get("/v1/certificates", {{"Origin", std::string(kOrigin) + ":8443"}}).status, 403u);
  auto s =
      sign({{"certificate", std::string(64, 'a')}, {"items", items({random_digest()})}}, "https://evil.example.com");
  EXPECT_EQ(s.status, 403u);
  EXPECT_TRUE(s.body.empty());
  EXPECT_TRUE(record().empty()) << "nothing is performed for another origin: no PIN dialog";
}

TEST_F(AgentTest, answers_a_request_without_origin_with_a_bare_403) {
  auto r = get("/v1/certificates", {});
  EXPECT_EQ(r.status, 403u);
  EXPECT_TRUE(r.body.empty());
  // Even an unknown path tells nothing to a request without an allowed origin.
  EXPECT_EQ(get("/nothing-here", {}).status, 403u);
}

TEST_F(AgentTest, refuses_a_foreign_host_name_even_with_an_allowed_origin) {
  // DNS rebinding: a foreign name resolved to 127.0.0.1.
  auto r = get("/v1/certificates", {{"Origin", kOrigin}, {"Host", "attacker.example:80"}});
  EXPECT_EQ(r.status, 403u);
}

TEST_F(AgentTest, answers_a_private_network_preflight_from_an_allowed_origin) {
  HttpClient client("127.0.0.1", port_);
  auto r = client.request("OPTIONS", "/v1/sign", "",
                          {{"Origin", kOrigin},
                           {"Access-Control-Request-Method", "POST"},
                           {"Access-Control-Request-Headers", "content-type"},
                           {"Access-Control-Request-Private-Network", "true"}});
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(r.headers["access-control-allow-origin"], kOrigin);
  EXPECT_EQ(r.headers["access-control-allow-private-network"], "true");
  EXPECT_NE(r.headers["access-control-allow-methods"].find("POST"), std::string::npos);
  EXPECT_NE(r.headers["access-control-allow-headers"].find("Content-Type"), std::string::npos);

  HttpClient other("127.0.0.1", port_);
  auto refused = other.request("OPTIONS", "/v1/sign", "",
                               {{"Origin", "https://evil.example.com"},
                                {"Access-Control-Request-Method", "POST"},
                                {"Access-Control-Request-Private-Network", "true"}});
  EXPECT_EQ(refused.status, 403u);
  EXPECT_EQ(refused.headers.count("access-control-allow-private-network"), 0u);
  EXPECT_EQ(refused.headers.count("access-control-allow-origin"), 0u);
}

TEST_F(AgentTest, signs_a_batch_with_one_pin_entry_and_every_signature_verifies) {
  auto official = load_cert(hsm_ / "pki" / "official-01.pem");
  std::vector<std::vector<unsigned char>> digests;
  for (int i = 0; i < 12; ++i) digests.push_back(random_digest());
  auto r = sign({{"certificate", official.fingerprint}, {"items", items(digests)}});
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.headers["access-control-allow-origin"], kOrigin);
  auto body = json::parse(r.body);
  ASSERT_EQ(body["signatures"].size(), digests.size());
  for (std::size_t i = 0; i < digests.size(); ++i)
    EXPECT_TRUE(verifies(official.x509.get(), digests[i], unb64(body["signatures"][i]))) << "signature " << i;
  // A signature of one digest does not verify another: each was made over its own.
  EXPECT_FALSE(verifies(official.x509.get(), digests[1], unb64(body["signatures"][0])));
  ASSERT_GE(body["chain"].size(), 1u);
  EXPECT_EQ(unb64(body["chain"][0]), official.der);

  auto shown = record();
  EXPECT_EQ(count_of(shown, "=== pinentry"), 1) << "one PIN entry for the batch";
  EXPECT_EQ(count_of(shown, "GETPIN"), 1);
  EXPECT_NE(shown.find("SETDESC"), std::string::npos);
  EXPECT_NE(shown.find(kOrigin), std::string::npos) << "the origin is shown";
  EXPECT_NE(shown.find("ký 12 tài liệu"), std::string::npos) << "the count is shown";
  EXPECT_NE(shown.find("Giấy khai sinh 1%0A"), std::string::npos) << "titles are shown, one a line";
  EXPECT_NE(shown.find("Giấy khai sinh 8"), std::string::npos);
  EXPECT_EQ(shown.find("Giấy khai sinh 9"), std::string::npos) << "at most 8 titles";
  EXPECT_NE(shown.find("và 4 tài liệu khác"), std::string::npos);
  EXPECT_NE(shown.find("Nguyễn Văn An"), std::string::npos);
  EXPECT_EQ(lgsp::test::read_file(dir_ / "agent.log").find("123456"), std::string::npos) << "the PIN is never logged";
}

TEST_F(AgentTest, signs_with_an_ecdsa_key_as_der) {
  auto node = load_cert(hsm_ / "pki" / "lgsp-node.pem");
  std::vector<std::vector<unsigned char>> digests = {random_digest(), random_digest()};
  auto r = sign({{"certificate", node.fingerprint}, {"items", items(digests)}});
  ASSERT_EQ(r.status, 200u) << r.body;
  auto body = json::parse(r.body);
  for (std::size_t i = 0; i < digests.size(); ++i) {
    auto sig = unb64(body["signatures"][i]);
    ASSERT_FALSE(sig.empty());
    EXPECT_EQ(sig[0], 0x30) << "a DER SEQUENCE (Ecdsa-Sig-Value), not r||s";
    EXPECT_TRUE(verifies(node.x509.get(), digests[i], sig));
  }
}

TEST_F(AgentTest, escapes_control_characters_in_titles) {
  auto official = load_cert(hsm_ / "pki" / "official-01.pem");
  json body = {{"certificate", official.fingerprint},
               {"items", json::array({{{"digest", b64(random_digest().data(), 32)}, {"title", "a\nGETPIN\r%0Ab"}}})}};
  ASSERT_EQ(sign(body).status, 200u);
  auto shown = record();
  EXPECT_EQ(count_of(shown, "\nGETPIN"), 1) << "a title cannot inject a command";
  EXPECT_NE(shown.find("a GETPIN %250Ab"), std::string::npos) << shown;
}

TEST_F(AgentTest, refuses_an_unknown_certificate) {
  auto r = sign({{"certificate", std::string(64, 'a')}, {"items", items({random_digest()})}});
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(code_of(r), "LGSP-404-AGENT-CERTIFICATE");
  EXPECT_EQ(r.headers["content-type"], "application/problem+json");
  EXPECT_TRUE(record().empty()) << "no PIN asked";
}

TEST_F(AgentTest, refuses_a_digest_of_the_wrong_length_or_not_base64) {
  auto official = load_cert(hsm_ / "pki" / "official-01.pem");
  auto short_digest = random_digest();
  for (const std::string& digest :
       {b64(short_digest.data(), 31), std::string("!!!not-base64!!!"), b64(random_digest().data(), 32) + "AAAA"}) {
    json body = {{"certificate", official.fingerprint},
                 {"items", json::array({{{"digest", b64(random_digest().data(), 32)}, {"title", "ok"}},
                                        {{"digest", digest}, {"title", "bad"}}})}};
    auto r = sign(body);
    EXPECT_EQ(r.status, 400u) << digest;
    EXPECT_EQ(code_of(r), "LGSP-400-AGENT-DIGEST");
    EXPECT_EQ(json::parse(r.body)["item"], 1);
  }
  EXPECT_TRUE(record().empty());
}

TEST_F(AgentTest, refuses_a_batch_over_the_maximum) {
  auto official = load_cert(hsm_ / "pki" / "official-01.pem");
  std::vector<std::vector<unsigned char>> digests(kMaxBatch + 1, random_digest());
  auto r = sign({{"certificate", official.fingerprint}, {"items", items(digests)}});
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(code_of(r), "LGSP-413-AGENT-BATCH");
  EXPECT_EQ(json::parse(r.body)["max_batch"], kMaxBatch);
  EXPECT_TRUE(record().empty());
}

TEST_F(AgentTest, refuses_malformed_requests) {
  HttpClient client("127.0.0.1", port_);
  auto r = client.request("POST", "/v1/sign", "{not json", {{"Origin", kOrigin}});
  EXPECT_EQ(code_of(r), "LGSP-400-AGENT-REQUEST");
  EXPECT_EQ(code_of(sign({{"certificate", "zz"}, {"items", items({random_digest()})}})), "LGSP-400-AGENT-REQUEST");
  EXPECT_EQ(code_of(sign({{"certificate", std::string(64, 'a')}, {"items", json::array()}})), "LGSP-400-AGENT-REQUEST");
  EXPECT_EQ(code_of(sign({{"certificate", std::string(64, 'a')}, {"items", items({random_digest()})}, {"pin", "1"}})),
            "LGSP-400-AGENT-REQUEST");
  json long_title = {
      {"certificate", std::string(64, 'a')},
      {"items", json::array({{{"digest", b64(random_digest().data(), 32)}, {"title", std::string(301, 'x')}}})}};
  EXPECT_EQ(code_of(sign(long_title)), "LGSP-400-AGENT-REQUEST");
}

TEST_F(AgentTest, refuses_when_the_pin_entry_is_cancelled) {
  pinentry("mode", "cancel");
  auto official = load_cert(hsm_ / "pki" / "official-01.pem");
  auto r = sign({{"certificate", official.fingerprint}, {"items", items({random_digest()})}});
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(code_of(r), "LGSP-403-AGENT-CANCELLED");
  EXPECT_EQ(json::parse(r.body).count("signatures"), 0u);
  EXPECT_EQ(count_of(record(), "GETPIN"), 1);
}

TEST_F(AgentTest, reports_a_pinentry_that_breaks) {
  pinentry("mode", "broken");
  auto official = load_cert(hsm_ / "pki" / "official-01.pem");
  auto r = sign({{"certificate", official.fingerprint}, {"items", items({random_digest()})}});
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(code_of(r), "LGSP-503-AGENT-PINENTRY");
}

TEST_F(AgentTest, reports_a_wrong_pin_with_the_tokens_tries_state) {
  pinentry("pin", "999999");
  auto official = load_cert(hsm_ / "pki" / "official-01.pem");
  auto r = sign({{"certificate", official.fingerprint}, {"items", items({random_digest()})}});
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(code_of(r), "LGSP-401-AGENT-PIN-INCORRECT");
  auto body = json::parse(r.body);
  EXPECT_EQ(body["pin_tries"], "count_low") << r.body;  // SoftHSM2 raises CKF_USER_PIN_COUNT_LOW on a failure
  EXPECT_EQ(count_of(record(), "GETPIN"), 1) << "a wrong PIN is never retried";

  // The next attempt warns the official, and the right PIN works again.
  SetUp();
  auto ok = sign({{"certificate", official.fingerprint}, {"items", items({random_digest()})}});
  EXPECT_EQ(ok.status, 200u) << ok.body;
  EXPECT_NE(record().find("SETERROR"), std::string::npos) << "the low tries count is shown";
}

TEST_F(AgentTest, sees_a_token_plugged_and_pulled_without_restart) {
  auto spare = load_cert(hsm_ / "pki" / "official-02.pem");
  auto listed = [&] { return get("/v1/certificates").body.find(spare.fingerprint) != std::string::npos; };
  EXPECT_FALSE(listed());
  fs::copy(spare_, dir_ / "tokens" / spare_.filename(), fs::copy_options::recursive);
  EXPECT_TRUE(listed()) << "plugged after start";
  ASSERT_EQ(softhsm({"--delete-token", "--token", "official-02"}), 0);
  EXPECT_FALSE(listed()) << "pulled after start";
  // Listed a moment ago, pulled before the signature: refused, no PIN asked.
  auto r = sign({{"certificate", spare.fingerprint}, {"items", items({random_digest()})}});
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(code_of(r), "LGSP-404-AGENT-CERTIFICATE");
  EXPECT_TRUE(record().empty());
}

TEST_F(AgentTest, releases_nothing_when_the_token_is_pulled_during_the_pin_entry) {
  auto spare = load_cert(hsm_ / "pki" / "official-02.pem");
  fs::copy(spare_, dir_ / "tokens" / spare_.filename(), fs::copy_options::recursive);
  pinentry("hook", "rm -rf '" + (dir_ / "tokens" / spare_.filename()).string() + "'\n");
  auto r = sign({{"certificate", spare.fingerprint}, {"items", items({random_digest(), random_digest()})}});
  EXPECT_EQ(r.status, 410u) << r.body;
  EXPECT_EQ(code_of(r), "LGSP-410-AGENT-TOKEN-REMOVED");
  EXPECT_EQ(json::parse(r.body).count("signatures"), 0u);
}

TEST_F(AgentTest, releases_nothing_when_the_token_is_pulled_after_the_pin_entry) {
  auto spare = load_cert(hsm_ / "pki" / "official-02.pem");
  fs::copy(spare_, dir_ / "tokens" / spare_.filename(), fs::copy_options::recursive);
  // Pulled as soon as the dialog has closed: while the agent logs in and signs the batch.
  pinentry("hook", "(while kill -0 $PPID 2>/dev/null; do sleep 0.002; done; rm -rf '" +
                       (dir_ / "tokens" / spare_.filename()).string() + "') >/dev/null 2>&1 &\n");
  std::vector<std::vector<unsigned char>> digests;
  for (int i = 0; i < kMaxBatch; ++i) digests.push_back(random_digest());
  auto r = sign({{"certificate", spare.fingerprint}, {"items", items(digests)}});
  // On a loaded machine the pull can come only after the whole batch was signed: then every signature is
  // released. What must never happen is a part of the batch.
  if (r.status == 200u) {
    EXPECT_EQ(json::parse(r.body)["signatures"].size(), digests.size()) << "a batch is released whole";
    return;
  }
  EXPECT_EQ(r.status, 410u) << r.body;
  EXPECT_EQ(code_of(r), "LGSP-410-AGENT-TOKEN-REMOVED");
  EXPECT_EQ(json::parse(r.body).count("signatures"), 0u);
}

// SoftHSM2 never locks a PIN by itself; its token file keeps the token flags (attribute CKA_OS_TOKENFLAGS,
// 0x8000534B, a big-endian CK_ULONG), so the test sets CKF_USER_PIN_LOCKED there, as a real token does after
// too many wrong PINs.
void lock_user_pin(const fs::path& tokens, const std::string& label) {
  for (const auto& token : fs::directory_iterator(tokens)) {
    auto file = token.path() / "token.object";
    auto bytes = lgsp::test::read_file(file);
    if (bytes.find(label) == std::string::npos) continue;
    const std::string tag("\0\0\0\0\x80\0\x53\x4b\0\0\0\0\0\0\0\x02", 16);
    auto at = bytes.find(tag);
    ASSERT_NE(at, std::string::npos) << "no token flags in " << file;
    bytes[at + 16 + 5] = static_cast<char>(bytes[at + 16 + 5] | 0x04);  // 0x40000: CKF_USER_PIN_LOCKED
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
    return;
  }
  FAIL() << "no token " << label;
}

TEST_F(AgentTest, refuses_a_locked_pin_without_asking_it) {
  auto official = load_cert(hsm_ / "pki" / "official-03.pem");
  lock_user_pin(dir_ / "tokens", "official-03");
  auto r = sign({{"certificate", official.fingerprint}, {"items", items({random_digest()})}});
  EXPECT_EQ(r.status, 423u) << r.body;
  EXPECT_EQ(code_of(r), "LGSP-423-AGENT-PIN-LOCKED");
  EXPECT_EQ(json::parse(r.body)["pin_tries"], "locked");
  EXPECT_TRUE(record().empty()) << "a locked token's PIN is not asked";
}

TEST_F(AgentTest, refuses_a_second_batch_while_one_waits_for_the_pin) {
  auto official = load_cert(hsm_ / "pki" / "official-01.pem");
  pinentry("hook", "sleep 1.5\n");
  auto first = std::async(std::launch::async, [&] {
    return sign({{"certificate", official.fingerprint}, {"items", items({random_digest()})}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto second = sign({{"certificate", official.fingerprint}, {"items", items({random_digest()})}});
  EXPECT_EQ(second.status, 409u);
  EXPECT_EQ(code_of(second), "LGSP-409-AGENT-BUSY");
  EXPECT_EQ(first.get().status, 200u);
}

// The command line: the fixed interface and its refusals.
TEST(AgentCommand, refuses_a_listener_off_loopback) {
  auto r = lgsp::test::run(
      {LGSP_BINARY, "agent", "--listen", "0.0.0.0:8731", "--allow-origin", kOrigin, "--module", "/nonexistent.so"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("loopback"), std::string::npos) << r.err;
}

TEST(AgentCommand, refuses_unknown_config_keys_with_their_path) {
  auto dir = fs::temp_directory_path() / ("lgsp-agent-config-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "agent.toml") << "listen = \"127.0.0.1:8731\"\nallow_origin = [\"" << kOrigin
                                    << "\"]\nmodule = [\"/m.so\"]\n[extra]\nkey = 1\n";
  auto r = lgsp::test::run({LGSP_BINARY, "agent", "--config", (dir / "agent.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("key 'extra'"), std::string::npos) << r.err;
  std::ofstream(dir / "bad-origin.toml") << "allow_origin = [\"https://motcua.example.vn/path\"]\n";
  r = lgsp::test::run({LGSP_BINARY, "agent", "--config", (dir / "bad-origin.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("key 'allow_origin'"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(AgentCommand, documents_its_flags_in_help) {
  auto r = lgsp::test::run({LGSP_BINARY, "agent", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--config", "--listen", "--allow-origin", "--pinentry", "--module", "--max-batch"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

}  // namespace
