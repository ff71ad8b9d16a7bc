// ConfigTable: typed getters that name the key's path, secrets only from a file or the environment, paths
// relative to the config file, and unknown keys refused.
#include "lgsp/adapters/adapter_config.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdlib>
#include <fstream>

namespace fs = std::filesystem;
using lgsp::adapters::AdapterConfigError;
using lgsp::adapters::ConfigTable;

namespace {

ConfigTable parse(const std::string& text, const fs::path& base = "/etc/lgsp") {
  return ConfigTable::parse_text(text, base, "adapters.toml");
}

// The message of the AdapterConfigError `body` throws, or "" when it throws none.
template <typename Body>
std::string error_of(Body body) {
  try {
    body();
  } catch (const AdapterConfigError& e) {
    return e.what();
  }
  return "";
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-adapter-config-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST(ConfigTable, refuses_an_unknown_key_naming_its_path) {
  auto root = parse("[runner]\nlisten = \"127.0.0.1:1\"\nlisen = \"x\"\n");
  auto runner = root.table("runner");
  EXPECT_EQ(runner.string("listen", ""), "127.0.0.1:1");
  EXPECT_EQ(error_of([&] { root.finish(); }), "runner.lisen: unknown key (misspelt, or not for this table)");
}

TEST(ConfigTable, refuses_an_unknown_key_in_an_adapter_table_by_the_adapters_name) {
  auto root =
      parse("[[adapter]]\nname = \"a\"\n[[adapter]]\nname = \"hotich-export\"\n[adapter.mapping]\nx = 1\ny = 2\n");
  auto adapters = root.tables("adapter");
  ASSERT_EQ(adapters.size(), 2u);
  for (auto& a : adapters) a.set_where("adapter '" + a.required_string("name") + "'");
  EXPECT_EQ(adapters[1].table("mapping").integer("x", 0, 0, 10), 1);
  EXPECT_EQ(error_of([&] { root.finish(); }),
            "adapter 'hotich-export'.mapping.y: unknown key (misspelt, or not for this table)");
}

TEST(ConfigTable, refuses_a_top_level_table_nobody_read) {
  auto root = parse("[runner]\n[nod]\nurl = \"x\"\n");
  root.optional_table("runner");
  EXPECT_EQ(error_of([&] { root.finish(); }), "nod: unknown key (misspelt, or not for this table)");
}

TEST(ConfigTable, finish_passes_when_every_key_was_read) {
  auto root = parse("a = 1\n[t]\nb = \"x\"\n");
  root.integer("a", 0, 0, 5);
  root.table("t").required_string("b");
  EXPECT_NO_THROW(root.finish());
}

TEST(ConfigTable, names_the_line_of_a_syntax_error) {
  auto why = error_of([] { parse("a = 1\nb = \n"); });
  EXPECT_NE(why.find("adapters.toml: line 2"), std::string::npos) << why;
}

TEST(ConfigTable, refuses_wrong_types_and_ranges) {
  auto root = parse("n = \"12\"\nf = 1.5\nbig = 100\nflag = \"yes\"\nlist = [\"a\", 2]\nmode = \"fast\"\n");
  EXPECT_EQ(error_of([&] { root.integer("n", 0, 0, 10); }), "n: must be an integer, got a string");
  EXPECT_EQ(error_of([&] { root.integer("f", 0, 0, 10); }), "f: must be an integer, got a number with a fraction");
  EXPECT_EQ(error_of([&] { root.integer("big", 0, 0, 10); }), "big: must be between 0 and 10, got 100");
  EXPECT_EQ(error_of([&] { root.boolean("flag", false); }), "flag: must be true or false, got a string");
  EXPECT_EQ(error_of([&] { root.strings("list"); }), "list[1]: must be a string, got an integer");
  EXPECT_EQ(error_of([&] {
              root.choice("mode", {"slow", "steady"}, "slow");
            }),
            "mode: must be one of slow, steady, got 'fast'");
  EXPECT_EQ(error_of([&] { root.required_string("absent"); }), "absent: is required");
  EXPECT_EQ(error_of([&] { root.table("n"); }), "n: must be a table, got a string");
}

TEST(ConfigTable, gives_fallbacks_for_absent_keys) {
  auto root = parse("");
  EXPECT_EQ(root.integer("n", 7, 0, 10), 7);
  EXPECT_EQ(root.string("s", "d"), "d");
  EXPECT_TRUE(root.boolean("b", true));
  EXPECT_EQ(
      root.milliseconds("t", std::chrono::milliseconds(5), std::chrono::milliseconds(1), std::chrono::milliseconds(10)),
      std::chrono::milliseconds(5));
  EXPECT_TRUE(root.strings("l").empty());
  EXPECT_FALSE(root.optional_path("p"));
  EXPECT_FALSE(root.optional_secret("api_key"));
}

TEST(ConfigTable, reads_milliseconds_string_maps_and_keys_in_file_order) {
  auto root = parse("z = 1\ntimeout_ms = 250\n[values]\n1 = \"new\"\n2 = \"accepted\"\n");
  EXPECT_EQ(root.keys(), (std::vector<std::string>{"z", "timeout_ms", "values"}));
  EXPECT_EQ(root.milliseconds("timeout_ms", std::chrono::milliseconds(0), std::chrono::milliseconds(1),
                              std::chrono::milliseconds(1000)),
            std::chrono::milliseconds(250));
  auto map = root.string_map("values");
  EXPECT_EQ(map.at("2"), "accepted");
}

TEST(ConfigTable, takes_relative_paths_from_the_config_files_folder) {
  auto root = parse("a = \"keys/x.pem\"\nb = \"/abs/y.pem\"\nc = \"../z\"\n", "/etc/lgsp");
  EXPECT_EQ(root.required_path("a"), fs::path("/etc/lgsp/keys/x.pem"));
  EXPECT_EQ(root.required_path("b"), fs::path("/abs/y.pem"));
  EXPECT_EQ(root.required_path("c"), fs::path("/etc/z"));
}

TEST_F(TempDir, parse_file_takes_paths_from_the_files_own_folder) {
  std::ofstream(dir_ / "adapters.toml") << "folder = \"in\"\n";
  auto root = ConfigTable::parse_file(dir_ / "adapters.toml");
  EXPECT_EQ(root.required_path("folder"), (dir_ / "in").lexically_normal());
}

TEST(ConfigTable, refuses_a_secret_written_in_the_file) {
  auto root = parse("api_key = \"s3cr3t\"\n");
  auto why = error_of([&] { root.optional_secret("api_key"); });
  EXPECT_NE(why.find("api_key: secrets are never written in the config"), std::string::npos) << why;
  EXPECT_EQ(why.find("s3cr3t"), std::string::npos) << "the secret must not be echoed";
}

TEST_F(TempDir, reads_a_secret_from_a_file_without_its_trailing_newline) {
  std::ofstream(dir_ / "hotich.key") << "k-123\n";
  auto root = ConfigTable::parse_text("api_key_file = \"hotich.key\"\n", dir_);
  EXPECT_EQ(root.required_secret("api_key"), "k-123");
  EXPECT_NO_THROW(root.finish());
}

TEST_F(TempDir, refuses_a_secret_file_that_is_missing_or_empty) {
  std::ofstream(dir_ / "empty.key") << "\n";
  auto missing = ConfigTable::parse_text("api_key_file = \"nope.key\"\n", dir_);
  EXPECT_NE(error_of([&] { missing.required_secret("api_key"); }).find("api_key_file: cannot read"), std::string::npos);
  auto empty = ConfigTable::parse_text("api_key_file = \"empty.key\"\n", dir_);
  EXPECT_NE(error_of([&] { empty.required_secret("api_key"); }).find("is empty"), std::string::npos);
}

TEST(ConfigTable, reads_a_secret_from_the_environment) {
  ::setenv("LGSP_TEST_ADAPTER_KEY", "from-env", 1);
  auto root = parse("api_key_env = \"LGSP_TEST_ADAPTER_KEY\"\n");
  EXPECT_EQ(root.required_secret("api_key"), "from-env");
  ::unsetenv("LGSP_TEST_ADAPTER_KEY");
  auto unset = parse("api_key_env = \"LGSP_TEST_ADAPTER_KEY\"\n");
  EXPECT_EQ(error_of([&] { unset.required_secret("api_key"); }),
            "api_key_env: the environment variable LGSP_TEST_ADAPTER_KEY is not set or is empty");
}

TEST(ConfigTable, refuses_a_secret_from_both_a_file_and_the_environment) {
  auto root = parse("api_key_file = \"a\"\napi_key_env = \"B\"\n");
  EXPECT_EQ(error_of([&] { root.optional_secret("api_key"); }),
            "api_key_file: give api_key_file or api_key_env, not both");
}

TEST(ConfigTable, a_required_secret_says_how_to_give_it) {
  auto root = parse("");
  EXPECT_EQ(error_of([&] { root.required_secret("password"); }),
            "password: is required: give password_file or password_env");
}

TEST(ConfigTable, copies_share_what_was_read) {
  auto root = parse("[t]\na = 1\n");
  auto t = root.table("t");
  auto copy = t;
  copy.integer("a", 0, 0, 5);
  EXPECT_NO_THROW(root.finish());
}

}  // namespace
