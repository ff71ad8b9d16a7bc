// `lgsp token list` and `lgsp sign` against the SoftHSM2 tokens; every signature is checked by the stock
// xmlsec1 / openssl tools as well as by `lgsp verify`.
#include "commands.hpp"
#include "hsm_sim.hpp"

#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <sstream>

namespace fs = std::filesystem;
using namespace lgsp::test;

namespace {

int count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

TEST(TokenList, shows_each_token_with_its_certificate) {
  auto r = run_lgsp({"token", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 5u) << r.out;  // the uninitialised SoftHSM slot is not a token
  // One line per token, in the module's slot order (not creation order): find each by its label.
  auto line_of = [&](const std::string& label) {
    for (const auto& l : lines)
      if (l.rfind(label + "\t", 0) == 0) return l;
    ADD_FAILURE() << "no line for token " << label << " in\n" << r.out;
    return std::string();
  };
  EXPECT_EQ(line_of("lgsp-node").rfind("lgsp-node\tSoftHSM project\t", 0), 0u) << r.out;
  const std::string official = line_of("official-01");
  EXPECT_NE(official.find("key=01 subject=UID=CCCD:079090000001,CN=Nguyễn Văn An,"), std::string::npos) << official;
  EXPECT_TRUE(std::regex_search(official, std::regex("serial=[0-9A-F]+ not-after=20[0-9]{2}-[0-9]{2}-[0-9]{2}T")))
      << official;
  EXPECT_NE(line_of("agency-seal").find("CN=Con dấu UBND phường Bến Thành,O=UBND phường Bến Thành"), std::string::npos)
      << r.out;
}

TEST(TokenList, reports_a_module_that_cannot_be_loaded_as_a_usage_error) {
  auto r = run_lgsp({"token", "list", "--module", "/nonexistent/libpkcs11.so"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("lgsp: token list : PKCS#11 module /nonexistent/libpkcs11.so: no such file"), std::string::npos)
      << r.err;
}

struct SignCase {
  std::string token;
  std::string algorithm;
};
void PrintTo(const SignCase& c, std::ostream* os) { *os << c.token; }

class SignWithToken : public ::testing::TestWithParam<SignCase> {
 protected:
  TempDir dir;
};

TEST_P(SignWithToken, xmldsig_verifies_with_lgsp_and_with_stock_xmlsec1) {
  write_file(dir / "doc.xml", sample_document());
  auto s = lgsp_sign("xmldsig", GetParam().token, dir / "doc.xml", dir / "doc.signed.xml");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  std::string signed_doc = read_file(dir / "doc.signed.xml");
  EXPECT_NE(signed_doc.find("<Reference URI=\"\">"), std::string::npos);
  EXPECT_NE(signed_doc.find("xmldsig-more#" + GetParam().algorithm), std::string::npos);
  EXPECT_EQ(count(signed_doc, "<X509Certificate>"), 2) << "signer and issuing CA";

  // Only the root is given to xmlsec1: the intermediate must come from KeyInfo.
  auto x = xmlsec1({"--verify", "--trusted-pem", hsm_sim().pem("root-ca").string(), (dir / "doc.signed.xml").string()});
  EXPECT_EQ(x.exit_code, 0) << x.out << x.err;
  auto v = lgsp_verify(dir / "doc.signed.xml", {"--json"});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  auto report = nlohmann::json::parse(v.out);
  EXPECT_EQ(report["valid"], true);
  EXPECT_EQ(report["format"], "xmldsig");
  EXPECT_EQ(report["algorithm"], GetParam().algorithm);
  EXPECT_EQ(report["revocation"]["status"], "good");
  EXPECT_EQ(report["revocation"]["source"], "OCSP " + hsm_sim().ocsp_url);
  EXPECT_EQ(report["chain"].size(), 3u);
}

TEST_P(SignWithToken, cades_verifies_with_lgsp_and_with_openssl_cms) {
  std::string content = "%PDF-1.4 kết quả giải quyết hồ sơ\n";
  content.push_back('\0');
  content += "binary tail";
  write_file(dir / "result.pdf", content);
  auto s = lgsp_sign("cades", GetParam().token, dir / "result.pdf", dir / "result.p7s");
  ASSERT_EQ(s.exit_code, 0) << s.err;

  auto o = openssl({"cms", "-verify", "-binary", "-inform", "DER", "-in", (dir / "result.p7s").string(), "-content",
                    (dir / "result.pdf").string(), "-CAfile", hsm_sim().pem("root-ca").string(), "-out", "/dev/null"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  auto attrs = openssl({"cms", "-cmsout", "-print", "-inform", "DER", "-in", (dir / "result.p7s").string()});
  EXPECT_NE(attrs.out.find("id-smime-aa-signingCertificateV2"), std::string::npos);
  EXPECT_NE(attrs.out.find("signingTime"), std::string::npos);

  auto v = lgsp_verify(dir / "result.p7s", {"--content", (dir / "result.pdf").string(), "--json"});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  auto report = nlohmann::json::parse(v.out);
  EXPECT_EQ(report["format"], "cades");
  EXPECT_EQ(report["algorithm"], GetParam().algorithm);
  EXPECT_EQ(report["signing_time_source"], "signing-time attribute, claimed by the signer");
}

INSTANTIATE_TEST_SUITE_P(Tokens, SignWithToken,
                         ::testing::Values(SignCase{"official-01", "rsa-sha256"},
                                           SignCase{"lgsp-node", "ecdsa-sha256"}),
                         [](const auto& info) {
                           return info.param.token == "lgsp-node" ? "ecdsa_node" : "rsa_official";
                         });

class SignRefusal : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir / "doc.xml", sample_document());
    write_file(dir / "previous.xml", "previous content");
  }
  // The output file must be exactly as before the failed command.
  void expect_output_untouched() {
    EXPECT_FALSE(fs::exists(dir / "new.xml"));
    EXPECT_EQ(read_file(dir / "previous.xml"), "previous content");
    for (const auto& entry : fs::directory_iterator(dir.path()))
      EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
  std::vector<std::string> sign_args(const std::string& token, const std::string& out) {
    return {"sign",
            "--format",
            "xmldsig",
            "--token",
            token,
            "--in",
            (dir / "doc.xml").string(),
            "--out",
            (dir / out).string(),
            "--chain",
            hsm_sim().pem("issuing-ca").string()};
  }
  TempDir dir;
};

TEST_F(SignRefusal, wrong_pin_exits_4_and_writes_nothing) {
  auto r = lgsp_with_env({"LGSP_PIN=000000"}, sign_args("official-01", "previous.xml"));
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("token 'official-01': the PIN is incorrect"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[LGSP-SIGN-PIN-INCORRECT]"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("000000"), std::string::npos) << "the PIN must never be printed";
  expect_output_untouched();
}

TEST_F(SignRefusal, absent_token_exits_3_and_names_the_tokens_present) {
  auto r = run_lgsp(sign_args("official-09", "new.xml"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("token 'official-09' is not present (tokens present: agency-seal, lgsp-node, official-01, "
                       "official-02, official-03)"),
            std::string::npos)
      << r.err;
  expect_output_untouched();
}

TEST_F(SignRefusal, unknown_key_id_exits_5) {
  auto args = sign_args("official-01", "new.xml");
  args.insert(args.end(), {"--key-id", "0a0b"});
  auto r = run_lgsp(args);
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_NE(r.err.find("token 'official-01' has no key with id 0a0b"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[LGSP-SIGN-KEY-UNKNOWN]"), std::string::npos) << r.err;
  expect_output_untouched();
}

TEST_F(SignRefusal, explicit_key_id_of_the_token_key_is_accepted) {
  auto args = sign_args("official-02", "new.xml");
  args.insert(args.end(), {"--key-id", "01"});
  auto r = run_lgsp(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "new.xml"));
}

TEST_F(SignRefusal, no_pin_and_no_terminal_exits_4_without_waiting) {
  auto r = lgsp_without_terminal({"-u", "LGSP_PIN"}, sign_args("official-01", "new.xml"));
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("no PIN available"), std::string::npos) << r.err;
  expect_output_untouched();
}

// Runs `env -u LGSP_PIN lgsp args...` on a pseudo-terminal, answers `pin` once the prompt shows, and returns
// the exit code and everything the terminal displayed.
std::pair<int, std::string> sign_on_terminal(const std::vector<std::string>& args, const std::string& pin) {
  std::vector<std::string> argv = {"/usr/bin/env", "-u", "LGSP_PIN", LGSP_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    std::vector<char*> c_argv;
    for (auto& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    execv(c_argv[0], c_argv.data());
    _exit(127);
  }
  std::string screen;
  bool answered = false;
  char buf[512];
  for (ssize_t n; (n = read(master, buf, sizeof buf)) > 0;) {
    screen.append(buf, static_cast<std::size_t>(n));
    if (!answered && screen.find("PIN for token 'official-01': ") != std::string::npos) {
      std::string line = pin + "\n";
      EXPECT_EQ(write(master, line.data(), line.size()), static_cast<ssize_t>(line.size()));
      answered = true;
    }
  }
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, screen};
}

TEST_F(SignRefusal, asks_for_the_pin_on_the_terminal_without_echo) {
  auto [code, screen] = sign_on_terminal(sign_args("official-01", "new.xml"), hsm_sim().pin);
  EXPECT_EQ(code, 0) << screen;
  EXPECT_NE(screen.find("PIN for token 'official-01': "), std::string::npos) << screen;
  EXPECT_EQ(screen.find(hsm_sim().pin), std::string::npos) << "the PIN must not be echoed: " << screen;
  EXPECT_TRUE(fs::exists(dir / "new.xml"));
}

TEST_F(SignRefusal, a_wrong_pin_typed_on_the_terminal_is_not_asked_again) {
  auto [code, screen] = sign_on_terminal(sign_args("official-01", "new.xml"), "111111");
  EXPECT_EQ(code, 4) << screen;
  EXPECT_EQ(screen.find("PIN for token"), screen.rfind("PIN for token")) << "asked once: " << screen;
  expect_output_untouched();
}

TEST_F(SignRefusal, empty_input_exits_1) {
  write_file(dir / "empty.xml", "");
  auto r = run_lgsp({"sign", "--format", "cades", "--token", "official-01", "--in", (dir / "empty.xml").string(),
                     "--out", (dir / "new.xml").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the file is empty"), std::string::npos) << r.err;
  expect_output_untouched();
}

TEST_F(SignRefusal, malformed_xml_exits_1_with_the_parser_reason) {
  write_file(dir / "doc.xml", "<KetQua><HoTen>unterminated</KetQua>");
  auto r = run_lgsp(sign_args("official-01", "previous.xml"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not well-formed XML"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[LGSP-SIGN-MALFORMED]"), std::string::npos) << r.err;
  expect_output_untouched();
}

TEST_F(SignRefusal, document_with_doctype_is_refused) {
  write_file(dir / "doc.xml", "<!DOCTYPE KetQua [<!ENTITY x \"y\">]><KetQua>&x;</KetQua>");
  auto r = run_lgsp(sign_args("official-01", "new.xml"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("DOCTYPE declarations are not accepted"), std::string::npos) << r.err;
  expect_output_untouched();
}

TEST_F(SignRefusal, already_signed_document_is_refused) {
  ASSERT_EQ(lgsp_sign("xmldsig", "official-01", dir / "doc.xml", dir / "once.xml").exit_code, 0);
  auto r = run_lgsp({"sign", "--format", "xmldsig", "--token", "official-02", "--in", (dir / "once.xml").string(),
                     "--out", (dir / "new.xml").string(), "--chain", hsm_sim().pem("issuing-ca").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("[LGSP-SIGN-ALREADY-SIGNED]"), std::string::npos) << r.err;
  expect_output_untouched();
}

TEST_F(SignRefusal, missing_input_file_is_a_usage_error) {
  auto r = run_lgsp({"sign", "--format", "xmldsig", "--token", "official-01", "--in", (dir / "nope.xml").string(),
                     "--out", (dir / "new.xml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
  expect_output_untouched();
}

TEST_F(SignRefusal, unknown_format_is_a_usage_error) {
  auto r = run_lgsp({"sign", "--format", "pades", "--token", "official-01", "--in", (dir / "doc.xml").string(), "--out",
                     (dir / "new.xml").string()});
  EXPECT_EQ(r.exit_code, 2);
  expect_output_untouched();
}

}  // namespace

// --- the chain travels with the signature by default ----------------------------------------------------------

class SignChain : public ::testing::Test {
 protected:
  void SetUp() override { write_file(dir / "content.pdf", "%PDF-1.7 kết quả giải quyết"); }
  // lgsp sign without --chain, with `env` (e.g. a configured chain file).
  RunResult sign_without_chain(const std::string& format, const std::string& out, std::vector<std::string> env,
                               std::vector<std::string> extra = {}) {
    env.insert(env.begin(), {"-u", "LGSP_SIGNING_CA_CHAIN"});
    std::vector<std::string> args = {"sign",
                                     "--format",
                                     format,
                                     "--token",
                                     "official-01",
                                     "--in",
                                     (dir / (format == "cades" ? "content.pdf" : "doc.xml")).string(),
                                     "--out",
                                     (dir / out).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return lgsp_with_env(env, args);
  }
  // Both verifiers given only the national root: lgsp verify and openssl cms.
  void expect_cades_valid_with_the_root_alone(const fs::path& p7s) {
    auto ours = run_lgsp({"verify", "--in", p7s.string(), "--content", (dir / "content.pdf").string(), "--trust",
                          hsm_sim().pem("root-ca").string()});
    EXPECT_EQ(ours.exit_code, 0) << ours.err;
    EXPECT_NE(ours.out.find("level: CAdES-BES"), std::string::npos) << ours.out;
    auto stock = openssl({"cms", "-verify", "-binary", "-inform", "DER", "-in", p7s.string(), "-content",
                          (dir / "content.pdf").string(), "-CAfile", hsm_sim().pem("root-ca").string(), "-purpose",
                          "any", "-out", "/dev/null"});
    EXPECT_EQ(stock.exit_code, 0) << stock.err;
  }
  TempDir dir;
};

TEST_F(SignChain, refuses_to_sign_when_the_issuer_certificate_is_nowhere) {
  auto r = sign_without_chain("cades", "content.p7s", {});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("[LGSP-SIGN-CHAIN-MISSING]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("CN=LGSP Test Issuing CA"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "content.p7s"));
}

TEST_F(SignChain, the_configured_chain_file_is_included_by_default) {
  auto r =
      sign_without_chain("cades", "content.p7s", {"LGSP_SIGNING_CA_CHAIN=" + hsm_sim().pem("issuing-ca").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("chain: CN=LGSP Test Issuing CA"), std::string::npos) << r.out;
  expect_cades_valid_with_the_root_alone(dir / "content.p7s");

  write_file(dir / "doc.xml", sample_document());
  r = sign_without_chain("xmldsig", "doc.signed.xml",
                         {"LGSP_SIGNING_CA_CHAIN=" + hsm_sim().pem("issuing-ca").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count(read_file(dir / "doc.signed.xml"), "<X509Certificate>"), 2) << "signer and issuing CA";
  auto stock =
      xmlsec1({"--verify", "--trusted-pem", hsm_sim().pem("root-ca").string(), (dir / "doc.signed.xml").string()});
  EXPECT_EQ(stock.exit_code, 0) << stock.err;
  EXPECT_EQ(lgsp_verify(dir / "doc.signed.xml").exit_code, 0);
}

TEST_F(SignChain, signing_ca_chain_of_a_node_config_is_included) {
  write_file(dir / "lgsp.toml", "[signing]\nca_chain = \"" + hsm_sim().pem("issuing-ca").string() + "\"\n");
  auto r = sign_without_chain("cades", "content.p7s", {}, {"--config", (dir / "lgsp.toml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_cades_valid_with_the_root_alone(dir / "content.p7s");
}

TEST_F(SignChain, ca_certificates_stored_on_the_token_are_included) {
  // A private copy of the tokens, with the issuing CA's certificate added to official-01 (as CAs ship tokens).
  fs::copy(hsm_sim().dir / "tokens", dir / "tokens", fs::copy_options::recursive);
  write_file(dir / "softhsm2.conf", "directories.tokendir = " + (dir / "tokens").string() +
                                        "\nobjectstore.backend = file\nlog.level = ERROR\n");
  const std::string conf = "SOFTHSM2_CONF=" + (dir / "softhsm2.conf").string();
  ASSERT_EQ(openssl({"x509", "-in", hsm_sim().pem("issuing-ca").string(), "-outform", "DER", "-out",
                     (dir / "ca.der").string()})
                .exit_code,
            0);
  auto written = run({"/usr/bin/env", conf, "pkcs11-tool", "--module", hsm_sim().module, "--token-label", "official-01",
                      "--login", "--pin", hsm_sim().pin, "--write-object", (dir / "ca.der").string(), "--type", "cert",
                      "--id", "ca01", "--label", "issuing-ca"});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  auto r = sign_without_chain("cades", "content.p7s", {conf});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_cades_valid_with_the_root_alone(dir / "content.p7s");
}
