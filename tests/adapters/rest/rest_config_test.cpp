// Reading a rest adapter's table: credentials to the legacy system only from files or the environment, and
// every other mistake refused with the key's path before anything starts.
#include "rest/rest_adapter.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {
using lgsp::adapters::AdapterConfigError;
using lgsp::adapters::ConfigTable;

const std::string kProvider = R"([[adapter]]
name = "hotich-giao"
kind = "rest"
mode = "provider"
service = "000.00.13.H29/HOTICHCU/yeucau/v1"
[adapter.from_contract]
contract = "hotich.trichluc-request@v1"
fields = { "request_id" = "maYeuCau" }
[adapter.legacy]
url = "http://127.0.0.1:9000/api/{maYeuCau}"
)";

// Makes the adapter from `text` and checks every key was read; the error's text, or "" when it was fine.
std::string make(const std::string& text) {
  try {
    auto root = ConfigTable::parse_text(text, std::filesystem::temp_directory_path(), "adapters.toml");
    auto table = root.tables("adapter").at(0);
    table.required_string("kind");
    auto adapter = lgsp::adapters::make_rest_adapter(table);
    table.finish();
    return "";
  } catch (const AdapterConfigError& e) {
    return e.what();
  }
}

TEST(RestConfig, a_provider_with_its_legacy_url_is_taken) { EXPECT_EQ(make(kProvider), ""); }

TEST(RestConfig, a_password_written_in_the_config_is_refused) {
  const auto why = make(kProvider + "auth = \"basic\"\nuser = \"lgsp\"\npassword = \"mat-khau\"\n");
  EXPECT_NE(why.find("password"), std::string::npos) << why;
  EXPECT_NE(why.find("password_file"), std::string::npos) << why;
}

TEST(RestConfig, a_bearer_token_comes_from_the_environment_or_the_start_is_refused) {
  ::setenv("LGSP_TEST_LEGACY_TOKEN", "t0k3n", 1);
  EXPECT_EQ(make(kProvider + "auth = \"bearer\"\ntoken_env = \"LGSP_TEST_LEGACY_TOKEN\"\n"), "");
  ::unsetenv("LGSP_TEST_LEGACY_TOKEN");
  EXPECT_NE(make(kProvider + "auth = \"bearer\"\ntoken_env = \"LGSP_TEST_LEGACY_TOKEN\"\n"), "");
  EXPECT_NE(make(kProvider + "auth = \"bearer\"\n").find("token"), std::string::npos);
}

TEST(RestConfig, mutual_tls_needs_its_certificate_and_key) {
  const auto why = make(kProvider + "auth = \"mtls\"\n");
  EXPECT_NE(why.find("legacy.certificate"), std::string::npos) << why;
}

TEST(RestConfig, a_url_placeholder_that_is_no_legacy_field_is_refused) {
  auto text = kProvider;
  text.replace(text.find("{maYeuCau}"), 10, "{maHoSo}");
  const auto why = make(text);
  EXPECT_NE(why.find("legacy.url"), std::string::npos) << why;
  EXPECT_NE(why.find("{maHoSo}"), std::string::npos) << why;
}

TEST(RestConfig, a_misspelt_mapping_key_and_a_missing_mapping_are_refused) {
  auto text = kProvider;
  text.replace(text.find("fields ="), 8, "feilds =");
  EXPECT_NE(make(text), "");
  EXPECT_NE(make("[[adapter]]\nname = \"x\"\nkind = \"rest\"\nservice = \"A/B/c/v1\"\n").find("to_contract"),
            std::string::npos);
  EXPECT_NE(make("[[adapter]]\nname = \"x\"\nkind = \"rest\"\nmode = \"sideways\"\nservice = \"A/B/c/v1\"\n"), "");
}

}  // namespace
