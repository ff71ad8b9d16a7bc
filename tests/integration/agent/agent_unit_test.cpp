// The agent's pieces without a token: origin parsing and checking, the config file, Assuan escaping and the
// pinentry client (against the scripted pinentry).
#include "lgsp/agent/agent_server.hpp"
#include "lgsp/agent/config.hpp"
#include "lgsp/agent/pinentry.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace lgsp::agent;

namespace {

TEST(AgentOrigin, normalises_as_a_browser_serialises_an_origin) {
  EXPECT_EQ(parse_origin("HTTPS://Motcua.Example.vn:443", "k"), "https://motcua.example.vn");
  EXPECT_EQ(parse_origin("http://127.0.0.1:8080", "k"), "http://127.0.0.1:8080");
  EXPECT_EQ(parse_origin("http://localhost:80", "k"), "http://localhost");
  EXPECT_EQ(parse_origin("https://a.example:08443", "k"), "https://a.example:8443");
}

TEST(AgentOrigin, refuses_what_is_not_an_origin) {
  for (const char* bad :
       {"motcua.example.vn", "ftp://a.example", "https://a.example/", "https://a.example/path", "https://*.example.vn",
        "https://user@a.example", "https://a.example:0", "https://a.example:70000", "https://",
        "https://a.example:", "https://máy.vn", "http://motcua.example.vn", "http://192.168.1.10:8080"})
    EXPECT_THROW(parse_origin(bad, "allow_origin"), ConfigError) << bad;
}

lgsp::bus::HttpRequest header(std::map<std::string, std::string> headers) {
  lgsp::bus::HttpRequest r;
  r.headers = std::move(headers);
  return r;
}

TEST(AgentOrigin, lets_through_only_an_allowed_origin_on_a_loopback_host) {
  const std::vector<std::string> allowed = {"https://motcua.example.vn"};
  EXPECT_FALSE(check_origin(header({{"origin", "https://motcua.example.vn"}, {"host", "127.0.0.1:8731"}}), allowed));
  EXPECT_FALSE(check_origin(header({{"origin", "https://motcua.example.vn"}, {"host", "[::1]:8731"}}), allowed));
  EXPECT_FALSE(check_origin(header({{"origin", "https://motcua.example.vn"}, {"host", "localhost:8731"}}), allowed));
  for (const auto& h : {header({{"origin", "https://evil.example"}, {"host", "127.0.0.1:8731"}}),
                        header({{"host", "127.0.0.1:8731"}}), header({{"origin", "https://motcua.example.vn"}}),
                        header({{"origin", "https://motcua.example.vn"}, {"host", "rebind.example:8731"}}),
                        header({{"origin", "https://motcua.example.vn/"}, {"host", "127.0.0.1:8731"}}),
                        header({{"origin", "null"}, {"host", "127.0.0.1:8731"}})}) {
    auto answer = check_origin(h, allowed);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 403u);
    EXPECT_TRUE(answer->body.empty());
    EXPECT_TRUE(answer->headers.empty());
  }
}

struct TempFolder {
  fs::path path = fs::temp_directory_path() / ("lgsp-agent-unit-" + std::to_string(::getpid()));
  TempFolder() { fs::create_directories(path); }
  ~TempFolder() { fs::remove_all(path); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return path / name;
  }
};

TEST(AgentConfigFile, reads_every_key) {
  TempFolder dir;
  AgentConfig c;
  c.apply_file(
      dir.write("a.toml",
                "listen = \"127.0.0.1:9000\"\nallow_origin = [\"https://A.example\", \"http://127.0.0.1:3000\"]\n"
                "pinentry = \"/usr/bin/pinentry-gnome3\"\nmodule = [\"lib/vendor.so\"]\nmax_batch = 50\n"));
  EXPECT_EQ(c.listen.port, 9000);
  EXPECT_EQ(c.allow_origins, (std::vector<std::string>{"https://a.example", "http://127.0.0.1:3000"}));
  EXPECT_EQ(c.pinentry, "/usr/bin/pinentry-gnome3");
  ASSERT_EQ(c.modules.size(), 1u);
  EXPECT_EQ(c.modules[0], dir.path / "lib/vendor.so") << "relative to the file";
  EXPECT_EQ(c.max_batch, 50u);
  EXPECT_NO_THROW(c.validate());
}

TEST(AgentConfigFile, refuses_unknown_keys_wrong_types_and_a_pin) {
  TempFolder dir;
  auto refused = [&](const std::string& text, const std::string& key) {
    AgentConfig c;
    try {
      c.apply_file(dir.write("b.toml", text));
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("key '" + key + "'"), std::string::npos) << e.what();
      return;
    }
    ADD_FAILURE() << "accepted: " << text;
  };
  refused("listn = \"127.0.0.1:1\"\n", "listn");
  refused("[agent]\nlisten = \"127.0.0.1:1\"\n", "agent");
  refused("allow_origin = \"https://a.example\"\n", "allow_origin");
  refused("module = [1]\n", "module");
  refused("max_batch = \"200\"\n", "max_batch");
  refused("max_batch = 0\n", "max_batch");
  refused("max_batch = 1001\n", "max_batch");
  refused("pin = \"123456\"\n", "pin");
}

TEST(AgentConfigFile, refuses_a_listener_off_loopback_and_no_origin) {
  AgentConfig c;
  c.allow_origins = {"https://a.example"};
  c.modules = {"/m.so"};
  c.pinentry = "/usr/bin/pinentry";
  EXPECT_NO_THROW(c.validate());
  c.listen = lgsp::bus::HostPort::parse("0.0.0.0:8731", "listen");
  EXPECT_THROW(c.validate(), ConfigError);
  c.listen = lgsp::bus::HostPort::parse("192.168.1.5:8731", "listen");
  EXPECT_THROW(c.validate(), ConfigError);
  c.listen = lgsp::bus::HostPort::parse("127.0.0.1:8731", "listen");
  c.allow_origins.clear();
  EXPECT_THROW(c.validate(), ConfigError);
}

TEST(Assuan, escapes_percent_and_control_characters_only) {
  EXPECT_EQ(assuan_escape("a%b\nc\rd\te"), "a%25b%0Ac%0Dd%09e");
  EXPECT_EQ(assuan_escape("Nguyễn Văn An"), "Nguyễn Văn An");
  EXPECT_EQ(assuan_unescape("a%25b%0Ac%0d"), "a%b\nc\r");
  EXPECT_EQ(assuan_unescape("100%"), "100%");
  EXPECT_EQ(assuan_unescape(assuan_escape("x%0Ay\n%")), "x%0Ay\n%");
}

class Pinentry : public ::testing::Test {
 protected:
  TempFolder dir;
  fs::path program = fs::path(LGSP_SOURCE_DIR) / "tests/support/scripted-pinentry";
  void SetUp() override { ::setenv("SCRIPTED_PINENTRY_DIR", dir.path.c_str(), 1); }
  PinQuestion question() {
    PinQuestion q;
    q.title = "T";
    q.description = "line 1\nline 2 100%";
    q.prompt = "PIN:";
    q.timeout = std::chrono::seconds(10);
    return q;
  }
};

TEST_F(Pinentry, returns_the_pin_and_shows_the_question_escaped) {
  dir.write("pin", "12%34 5");
  auto pin = ask_pin(program, question());
  ASSERT_TRUE(pin);
  EXPECT_EQ(pin->view(), "12%34 5");
  std::ifstream in(dir.path / "record");
  std::string record((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(record.find("SETDESC line 1%0Aline 2 100%25\n"), std::string::npos) << record;
  EXPECT_NE(record.find("GETPIN\nBYE"), std::string::npos) << record;
}

TEST_F(Pinentry, reports_a_cancel_as_no_pin) {
  dir.write("mode", "cancel");
  EXPECT_FALSE(ask_pin(program, question()));
}

TEST_F(Pinentry, reports_a_program_that_cannot_run_or_breaks) {
  EXPECT_THROW(ask_pin(dir.path / "no-such-pinentry", question()), PinentryError);
  dir.write("mode", "broken");
  EXPECT_THROW(ask_pin(program, question()), PinentryError);
  EXPECT_THROW(ask_pin("/bin/false", question()), PinentryError);
}

TEST(SecretString, wipes_on_move_and_destruction) {
  SecretString a(std::string("123456"));
  SecretString b(std::move(a));
  EXPECT_TRUE(a.view().empty());
  EXPECT_EQ(b.view(), "123456");
  b.wipe();
  EXPECT_TRUE(b.view().empty());
}

}  // namespace
