// The soap adapter's [[adapter]] keys: what each mode needs, and every bad value refused with its key's path.
#include "lgsp/adapters/adapter_config.hpp"
#include "soap_adapter.hpp"
#include "soap_modes.hpp"

#include <gtest/gtest.h>

using lgsp::adapters::AdapterConfigError;
using lgsp::adapters::ConfigTable;

namespace {

// The message of the AdapterConfigError that making the adapter from `text` throws, or "" when none.
std::string error_of(const std::string& text) {
  try {
    auto table = ConfigTable::parse_text(text, "/etc/lgsp", "adapters.toml");
    auto adapters = table.tables("adapter");
    adapters.at(0).required_string("kind");  // the runner's key
    auto adapter = lgsp::adapters::make_soap_adapter(adapters.at(0));
    EXPECT_EQ(adapter->kind(), "soap");
    adapters.at(0).finish();
  } catch (const AdapterConfigError& e) {
    return e.what();
  }
  return "";
}

const std::string kExpose = R"([[adapter]]
name = "hotich-soap"
kind = "soap"
mode = "expose"
)";
const std::string kOperation = R"([[adapter.operation]]
name = "TraCuuKhaiSinh"
service = "000.00.00.H29/HOTICH/tracuu/v1"
request_contract = "hotich.tracuu-request@v1"
response_contract = "hotich.tracuu-result@v1"
)";
const std::string kProvide = R"([[adapter]]
name = "hotich-legacy"
kind = "soap"
mode = "provide"
endpoint = "http://10.0.0.12:8080/HoTichService"
)";

}  // namespace

TEST(SoapConfig, a_complete_expose_and_provide_table_is_accepted) {
  EXPECT_EQ(error_of(kExpose + kOperation), "");
  EXPECT_EQ(error_of(kProvide + "soap_version = \"1.2\"\n[[adapter.operation]]\nname = \"TraCuuKhaiSinh\"\n"), "");
}

TEST(SoapConfig, refuses_what_cannot_work_naming_the_key) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[[adapter]]\nname = \"x\"\nkind = \"soap\"\n" + kOperation, "mode"},
      {kExpose, "operation"},
      {kExpose + "mode2 = 1\n" + kOperation, "mode2"},
      {kExpose + "service_name = \"not a name\"\n" + kOperation, "service_name"},
      {kExpose + "max_body_bytes = 10\n" + kOperation, "max_body_bytes"},
      {kExpose + kOperation + "mode = \"message\"\n", "response_contract"},
      {kExpose + kOperation + "path = \"records\"\n", "path"},
      {kExpose + "[[adapter.operation]]\nname = \"A\"\nservice = \"s\"\nrequest_contract = \"hotich\"\n",
       "request_contract"},
      {kExpose + "[adapter.security]\npassword_types = [\"plain\"]\nusers_file = \"u\"\n" + kOperation,
       "password_types"},
      {kExpose + "[adapter.security]\ncreated_window_s = 300\n" + kOperation, "users_file"},
      {kProvide, "operation"},
      {kProvide + "endpoint2 = \"x\"\n[[adapter.operation]]\nname = \"A\"\n", "endpoint2"},
      {"[[adapter]]\nname = \"p\"\nkind = \"soap\"\nmode = \"provide\"\nendpoint = \"ftp://x/\"\n", "endpoint"},
      {kProvide + "soap_version = \"1.3\"\n[[adapter.operation]]\nname = \"A\"\n", "soap_version"},
      {kProvide + "basic_user = \"u\"\n[[adapter.operation]]\nname = \"A\"\n", "basic_password"},
      {kProvide + "basic_user = \"u\"\nbasic_password = \"in the file\"\n[[adapter.operation]]\nname = \"A\"\n",
       "basic_password"},
      {kProvide + "[[adapter.operation]]\nname = \"A\"\nelement = \"{urn:x}not a name\"\n", "element"},
  };
  for (const auto& [text, key] : cases) {
    const std::string error = error_of(text);
    EXPECT_NE(error.find(key), std::string::npos) << "expected an error naming " << key << " for:\n"
                                                  << text << "\ngot: " << error;
  }
}

TEST(SoapConfig, remote_host_strips_the_port) {
  using lgsp::adapters::soap::remote_host;
  EXPECT_EQ(remote_host("127.0.0.1:5000"), "127.0.0.1");
  EXPECT_EQ(remote_host("[::1]:5000"), "::1");
  EXPECT_EQ(remote_host("::1"), "::1");
}
