// `lgsp member|subsystem|service|acl|apikey` as an operator runs them against a data directory.
#include "process.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace fs = std::filesystem;
using lgsp::test::run;
using lgsp::test::RunResult;

namespace {

const std::string kLgsp = LGSP_BINARY;
const std::string kWard = "000.00.13.H29";
const std::string kMotcua = kWard + "/MOTCUA";
const std::string kService = kMotcua + "/hoso/v1";

class RegistryCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-registry-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    // A new store, made on purpose (a registry command never makes one unasked).
    auto init = lgsp({"member", "list", "--init"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
  }
  void TearDown() override { fs::remove_all(dir_); }
  RunResult lgsp(std::vector<std::string> args) {
    args.insert(args.begin(), kLgsp);
    args.insert(args.end(), {"--data-dir", (dir_ / "var").string()});
    return run(args);
  }
  void register_ward() {
    ASSERT_EQ(lgsp({"member", "add", kWard, "--name", "UBND phường Bến Thành"}).exit_code, 0);
    ASSERT_EQ(lgsp({"subsystem", "add", kMotcua}).exit_code, 0);
    auto r = lgsp({"service", "add", kService, "--contract", "onestop.dossier-submission@v1", "--endpoint",
                   "http://127.0.0.1:9/receive", "--drop-payload"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  fs::path dir_;
};

TEST_F(RegistryCliTest, registers_grants_and_lists) {
  register_ward();
  EXPECT_EQ(lgsp({"acl", "grant", kMotcua, kService}).exit_code, 0);
  EXPECT_EQ(lgsp({"member", "list"}).out, kWard + "\tUBND phường Bến Thành\n");
  EXPECT_EQ(lgsp({"acl", "list"}).out, kMotcua + "\t" + kService + "\n");
  auto services = lgsp({"service", "list"});
  EXPECT_NE(services.out.find(kService + "\tonestop.dossier-submission@v1\thttp://127.0.0.1:9/receive"),
            std::string::npos)
      << services.out;
  EXPECT_EQ(lgsp({"acl", "revoke", kMotcua, kService}).exit_code, 0);
  EXPECT_EQ(lgsp({"acl", "list"}).out, "");
}

TEST_F(RegistryCliTest, prints_an_api_key_once_and_keeps_only_its_hash) {
  register_ward();
  auto created = lgsp({"apikey", "create", kMotcua});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string key = created.out.substr(0, created.out.find('\n'));
  ASSERT_EQ(key.rfind("lgsp_", 0), 0u) << key;
  auto listed = lgsp({"apikey", "list"});
  EXPECT_EQ(listed.out.find(key), std::string::npos) << "the secret must not be listed";
  const std::string id = key.substr(5, 12);
  EXPECT_EQ(listed.out.rfind(id + "\t" + kMotcua + "\t", 0), 0u) << listed.out;
  auto db = run({"/usr/bin/sqlite3", (dir_ / "var/lgsp.db").string(), "SELECT hash FROM api_key"});
  EXPECT_EQ(db.out.find(key), std::string::npos);
  EXPECT_EQ(lgsp({"apikey", "revoke", id}).exit_code, 0);
  EXPECT_NE(lgsp({"apikey", "list"}).out.find("revoked"), std::string::npos);
}

TEST_F(RegistryCliTest, refuses_bad_identifiers_and_dangling_references_with_exit_1) {
  auto bad_member = lgsp({"member", "add", "ward-1", "--name", "x"});
  EXPECT_EQ(bad_member.exit_code, 1);
  EXPECT_EQ(bad_member.err.rfind("lgsp: member ward-1 : ", 0), 0u) << bad_member.err;
  EXPECT_EQ(lgsp({"subsystem", "add", kMotcua}).exit_code, 1) << "member does not exist";
  register_ward();
  EXPECT_EQ(lgsp({"member", "add", kWard, "--name", "again"}).exit_code, 1);
  auto unknown_contract =
      lgsp({"service", "add", kMotcua + "/x/v1", "--contract", "nope@v1", "--endpoint", "http://127.0.0.1:9/"});
  EXPECT_EQ(unknown_contract.exit_code, 1);
  EXPECT_NE(unknown_contract.err.find("nope@v1"), std::string::npos);
  EXPECT_EQ(lgsp({"acl", "grant", kWard + "/OTHER", kService}).exit_code, 1);
  EXPECT_EQ(lgsp({"apikey", "revoke", "000000000000"}).exit_code, 1);
  EXPECT_EQ(lgsp({"member", "add"}).exit_code, 2) << "usage error";
}

TEST_F(RegistryCliTest, binds_certificates_to_one_subsystem_or_one_peer_node) {
  register_ward();
  fs::create_directories(dir_);
  const std::string cert = (dir_ / "c.pem").string();
  const std::string other = (dir_ / "o.pem").string();
  for (const auto& out : {cert, other}) {
    auto made = run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-nodes", "-subj", "/CN=test", "-days", "1", "-keyout", out + ".key", "-out", out});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  auto added = lgsp({"subsystem", "cert", "add", kMotcua, cert});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string fp = added.out.substr(0, added.out.find('\n'));
  EXPECT_EQ(fp.size(), 64u);
  EXPECT_EQ(lgsp({"subsystem", "cert", "list"}).out, fp + "\t" + kMotcua + "\n");
  EXPECT_EQ(lgsp({"node", "add", "ward-b", cert}).exit_code, 1) << "one certificate, one identity";
  EXPECT_EQ(lgsp({"node", "add", "ward-b", other}).exit_code, 0);
  EXPECT_EQ(lgsp({"node", "list"}).out.rfind("ward-b\t", 0), 0u);
  EXPECT_EQ(lgsp({"node", "add", "Ward B", other}).exit_code, 1);
  EXPECT_EQ(lgsp({"subsystem", "cert", "add", kMotcua, (dir_ / "o.pem.key").string()}).exit_code, 1)
      << "a key is not a certificate";
  EXPECT_EQ(lgsp({"subsystem", "cert", "remove", fp}).exit_code, 0);
  EXPECT_EQ(lgsp({"node", "remove", "ward-b"}).exit_code, 0);
  EXPECT_EQ(lgsp({"node", "remove", "ward-b"}).exit_code, 1);
}

TEST_F(RegistryCliTest, refuses_a_store_that_does_not_exist_unless_told_to_create_it) {
  const fs::path elsewhere = dir_ / "elsewhere";
  fs::create_directories(elsewhere);
  // Run from another folder without --data-dir: the default ./var is not there, and is not made.
  for (const std::string command :
       {"member list", "service add 000.00.13.H29/MOTCUA/x/v1 --contract a@v1 --endpoint http://x", "acl list",
        "apikey list", "admin token list", "dlq list", "log verify"}) {
    auto r = run({"/bin/sh", "-c", "cd '" + elsewhere.string() + "' && exec " + kLgsp + " " + command});
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
    EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--init"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(elsewhere / "var")) << command << " made a store";
  }
  auto made = run({kLgsp, "member", "list", "--init", "--data-dir", (elsewhere / "var").string()});
  EXPECT_EQ(made.exit_code, 0) << made.err;
  EXPECT_TRUE(fs::exists(elsewhere / "var/lgsp.db"));
  EXPECT_EQ(run({kLgsp, "member", "list", "--data-dir", (elsewhere / "var").string()}).exit_code, 0);
}

TEST_F(RegistryCliTest, updates_and_removes_a_service) {
  register_ward();
  ASSERT_EQ(lgsp({"acl", "grant", kMotcua, kService}).exit_code, 0);
  auto updated = lgsp({"service", "update", kService, "--endpoint", "https://127.0.0.1:9/v2", "--max-attempts", "2"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_NE(lgsp({"service", "list"}).out.find(kService + "\tonestop.dossier-submission@v1\thttps://127.0.0.1:9/v2"),
            std::string::npos);
  auto db = run({"/usr/bin/sqlite3", (dir_ / "var/lgsp.db").string(),
                 "SELECT max_attempts, timeout_ms, keep_payload FROM service"});
  EXPECT_EQ(db.out, "2|30000|0\n") << "only what was given changed";
  EXPECT_EQ(lgsp({"service", "update", kService, "--endpoint", "ftp://x"}).exit_code, 1);
  EXPECT_EQ(lgsp({"service", "update", kMotcua + "/nope/v1", "--endpoint", "http://x"}).exit_code, 1);
  EXPECT_EQ(lgsp({"service", "update", kService, "--keep-payload", "--drop-payload"}).exit_code, 2);

  auto removed = lgsp({"service", "remove", kService});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_NE(removed.out.find("1 grant"), std::string::npos) << removed.out;
  EXPECT_EQ(lgsp({"service", "list"}).out, "");
  EXPECT_EQ(lgsp({"acl", "list"}).out, "");
  EXPECT_EQ(lgsp({"service", "remove", kService}).exit_code, 1);
}

TEST_F(RegistryCliTest, records_each_registry_change_in_the_message_log_with_the_local_account) {
  register_ward();
  auto log = run({"/usr/bin/sqlite3", (dir_ / "var/lgsp.db").string(),
                  "SELECT kind, json_extract(body, '$.via'), json_extract(body, '$.command') FROM message_log"});
  EXPECT_EQ(log.out, "admin|cli|member add\nadmin|cli|subsystem add\nadmin|cli|service add\n") << log.err;
  // This node has no token here (signing off): nothing is sealed, so no node certificate is needed to pin seals.
  auto verified = run(
      {"/usr/bin/env", "LGSP_SIGNING_ENABLED=false", kLgsp, "log", "verify", "--data-dir", (dir_ / "var").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
}

TEST_F(RegistryCliTest, prints_an_admin_token_once_and_keeps_only_its_hash) {
  auto created = lgsp({"admin", "token", "create", "--role", "auditor", "--name", "alice"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string token = created.out.substr(0, created.out.find('\n'));
  ASSERT_EQ(token.rfind("lgsp_admin_", 0), 0u) << token;
  auto listed = lgsp({"admin", "token", "list"});
  EXPECT_EQ(listed.out.find(token), std::string::npos);
  const std::string id = token.substr(11, 12);
  EXPECT_EQ(listed.out.rfind(id + "\talice\tauditor\t", 0), 0u) << listed.out;
  auto db = run({"/usr/bin/sqlite3", (dir_ / "var/lgsp.db").string(), "SELECT * FROM admin_token"});
  EXPECT_EQ(db.out.find(token), std::string::npos);
  EXPECT_EQ(lgsp({"admin", "token", "create", "--role", "root", "--name", "bob"}).exit_code, 2);
  EXPECT_EQ(lgsp({"admin", "token", "create", "--role", "auditor", "--name", "bad name"}).exit_code, 1);
  EXPECT_EQ(lgsp({"admin", "token", "revoke", id}).exit_code, 0);
  EXPECT_NE(lgsp({"admin", "token", "list"}).out.find("revoked"), std::string::npos);
  EXPECT_EQ(lgsp({"admin", "token", "revoke", id}).exit_code, 1);
}

}  // namespace
