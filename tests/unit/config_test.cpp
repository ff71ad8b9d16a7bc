#include "lgsp/bus/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using lgsp::bus::Config;
using lgsp::bus::ConfigError;

namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-config-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& text) {
    auto file = dir_ / "lgsp.toml";
    std::ofstream(file) << text;
    return file;
  }

  std::string error_of(const std::optional<fs::path>& file, const std::map<std::string, std::string>& env = {}) {
    try {
      Config::load(file, env);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }

  fs::path dir_;
};

TEST_F(ConfigTest, defaults_without_a_file) {
  auto c = Config::load(std::nullopt, {});
  EXPECT_EQ(c.server.listen.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(c.store.data_dir, fs::current_path() / "var");
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.server.max_connections_per_source, 256u);
  EXPECT_FALSE(c.source_file.has_value());
}

TEST_F(ConfigTest, reads_every_section) {
  auto file = write(R"(
[server]
listen = "0.0.0.0:9090"
threads = 3
max_body_bytes = 2048
drain_timeout_seconds = 4
max_connections_per_source = 0
[tls]
certificate = "/etc/lgsp/node.pem"
private_key = "/etc/lgsp/node.key"
client_ca = "clients.pem"
require_client_certificate = true
[store]
data_dir = "/srv/lgsp"
group_commit_max_rows = 64
[log]
level = "debug"
)");
  auto c = Config::load(file, {});
  EXPECT_EQ(c.server.listen.host, "0.0.0.0");
  EXPECT_EQ(c.server.listen.port, 9090);
  EXPECT_EQ(c.server.threads, 3u);
  EXPECT_EQ(c.server.max_body_bytes, 2048u);
  EXPECT_EQ(c.server.drain_timeout_seconds, 4u);
  EXPECT_EQ(c.server.max_connections_per_source, 0u) << "0: no cap";
  EXPECT_EQ(c.store.data_dir, fs::path("/srv/lgsp"));
  EXPECT_EQ(c.store.group_commit_max_rows, 64u);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.tls.certificate, fs::path("/etc/lgsp/node.pem"));
  EXPECT_EQ(c.tls.client_ca, dir_ / "clients.pem");
  EXPECT_TRUE(c.tls.require_client_certificate);
  EXPECT_EQ(c.source_file, fs::absolute(file));
}

TEST_F(ConfigTest, signing_defaults_to_the_lgsp_node_token_of_the_hsm_sim_module) {
  auto c = Config::load(std::nullopt, {{"LGSP_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so"}});
  EXPECT_TRUE(c.signing.enabled);
  EXPECT_EQ(c.signing.module, "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_EQ(c.signing.token, "lgsp-node");
  EXPECT_EQ(c.signing.key_id, "");
  EXPECT_EQ(c.signing.batch_window_ms, 5u);
  EXPECT_EQ(c.signing.call_batch_window_us, 0u);
  EXPECT_EQ(c.signing.batch_max, 8192u);
}

TEST_F(ConfigTest, reads_the_signing_section_and_its_environment_overrides) {
  auto file = write(R"([signing]
enabled = true
module = "/opt/hsm/libpkcs11.so"
token = "node-hsm"
key_id = "01Ab"
batch_window_ms = 2
call_batch_window_us = 300
batch_max = 256
)");
  auto c = Config::load(file, {{"LGSP_PKCS11_MODULE", "/ignored.so"}, {"LGSP_SIGNING_BATCH_MAX", "64"}});
  EXPECT_EQ(c.signing.module, "/opt/hsm/libpkcs11.so") << "the file wins over $LGSP_PKCS11_MODULE";
  EXPECT_EQ(c.signing.token, "node-hsm");
  EXPECT_EQ(c.signing.key_id, "01Ab");
  EXPECT_EQ(c.signing.batch_window_ms, 2u);
  EXPECT_EQ(c.signing.call_batch_window_us, 300u);
  EXPECT_EQ(c.signing.batch_max, 64u);
  auto off = Config::load(std::nullopt, {{"LGSP_SIGNING_ENABLED", "false"}});
  EXPECT_FALSE(off.signing.enabled);
}

TEST_F(ConfigTest, refuses_a_pin_in_the_file_and_points_to_lgsp_pin) {
  auto file = write("[signing]\npin = \"123456\"\n");
  auto error = error_of(file);
  EXPECT_NE(error.find("'signing.pin' is not read from a file"), std::string::npos) << error;
  EXPECT_NE(error.find("LGSP_PIN"), std::string::npos) << error;
  EXPECT_EQ(error.find("123456"), std::string::npos) << "the PIN is never echoed: " << error;
}

TEST_F(ConfigTest, refuses_bad_signing_values) {
  EXPECT_EQ(error_of(write("[signing]\nkey_id = \"0g\"\n")),
            "config " + (dir_ / "lgsp.toml").string() +
                " : key 'signing.key_id' must be the key's CKA_ID in hex (an even number of hex digits), got '0g'");
  EXPECT_NE(error_of(write("[signing]\nkey_id = \"abc\"\n")).find("even number"), std::string::npos);
  EXPECT_NE(error_of(write("[signing]\ntoken = \"\"\n")).find("must not be empty"), std::string::npos);
  EXPECT_NE(error_of(write("[signing]\nbatch_max = 0\n")).find("signing.batch_max' must be between 1"),
            std::string::npos);
  EXPECT_NE(error_of(write("[signing]\nbatch_window_ms = 5000\n")).find("signing.batch_window_ms' must be between"),
            std::string::npos);
  EXPECT_NE(error_of(write("[signing]\nenabled = \"yes\"\n")).find("signing.enabled"), std::string::npos);
  EXPECT_EQ(error_of(std::nullopt, {{"LGSP_SIGNING_BATCH_WINDOW_MS", "soon"}}),
            "environment LGSP_SIGNING_BATCH_WINDOW_MS : must be an integer, got 'soon'");
}

TEST_F(ConfigTest, plain_http_is_refused_off_loopback) {
  auto file = write("[server]\nlisten = \"0.0.0.0:8080\"\n");
  try {
    Config::load(file, {});
    FAIL() << "plain HTTP on 0.0.0.0 was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("plain HTTP is allowed only on loopback"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(Config::load(std::nullopt, {{"LGSP_SERVER_LISTEN", "[::1]:8080"}}));
  EXPECT_NO_THROW(Config::load(std::nullopt, {{"LGSP_SERVER_LISTEN", "localhost:8080"}}));
}

TEST_F(ConfigTest, tls_keys_must_be_consistent) {
  EXPECT_THROW(Config::load(write("[tls]\ncertificate = \"n.pem\"\n"), {}), ConfigError);
  EXPECT_THROW(Config::load(write("[tls]\nclient_ca = \"ca.pem\"\n"), {}), ConfigError);
  EXPECT_THROW(
      Config::load(write("[tls]\ncertificate = \"n.pem\"\nprivate_key = \"n.key\"\nrequire_client_certificate = "
                         "true\n"),
                   {}),
      ConfigError);
  EXPECT_THROW(Config::load(std::nullopt, {{"LGSP_TLS_REQUIRE_CLIENT_CERTIFICATE", "yes"}}), ConfigError);
}

TEST_F(ConfigTest, relative_paths_resolve_against_the_config_folder) {
  auto file = write("[store]\ndata_dir = \"data/node1\"\n[log]\nfile = \"../logs/lgsp.log\"\n");
  auto c = Config::load(file, {});
  EXPECT_EQ(c.store.data_dir, dir_ / "data/node1");
  EXPECT_EQ(c.log.file, (dir_ / "../logs/lgsp.log").lexically_normal());
}

TEST_F(ConfigTest, rejects_an_unknown_key_by_name) {
  auto file = write("[server]\nlisen = \"127.0.0.1:1\"\n");
  EXPECT_EQ(error_of(file), "config " + file.string() + " : unknown key 'server.lisen'");
}

TEST_F(ConfigTest, rejects_an_unknown_section) {
  auto file = write("[sever]\nlisten = \"127.0.0.1:1\"\n");
  EXPECT_EQ(error_of(file), "config " + file.string() + " : unknown key 'sever.listen'");
}

TEST_F(ConfigTest, rejects_a_value_of_the_wrong_type) {
  auto file = write("[server]\nmax_body_bytes = \"big\"\n");
  EXPECT_EQ(error_of(file), "config " + file.string() + " : key 'server.max_body_bytes' must be an integer, got 'big'");
}

TEST_F(ConfigTest, rejects_an_out_of_range_value) {
  auto file = write("[server]\nthreads = 1000\n");
  EXPECT_EQ(error_of(file), "config " + file.string() + " : key 'server.threads' must be between 0 and 256, got 1000");
}

TEST_F(ConfigTest, rejects_a_bad_listen_address) {
  auto file = write("[server]\nlisten = \"localhost\"\n");
  EXPECT_EQ(error_of(file), "config " + file.string() + " : key 'server.listen' must be HOST:PORT, got 'localhost'");
}

TEST_F(ConfigTest, rejects_an_unknown_log_level) {
  auto file = write("[log]\nlevel = \"loud\"\n");
  EXPECT_EQ(error_of(file), "config " + file.string() +
                                " : key 'log.level' must be one of trace, debug, info, warn, error, critical, off, "
                                "got 'loud'");
}

TEST_F(ConfigTest, reports_a_missing_file) {
  auto file = dir_ / "absent.toml";
  EXPECT_EQ(error_of(file), "config " + file.string() + " : cannot read file: No such file or directory");
}

TEST_F(ConfigTest, reports_a_syntax_error_with_its_position) {
  auto file = write("[server]\nlisten = \n");
  auto message = error_of(file);
  EXPECT_EQ(message.rfind("config " + file.string() + " : line 2, column ", 0), 0u) << message;
}

TEST_F(ConfigTest, environment_overrides_the_file) {
  auto file = write("[server]\nlisten = \"127.0.0.1:9000\"\n");
  auto c = Config::load(file, {{"LGSP_SERVER_LISTEN", "127.0.0.1:9001"}, {"LGSP_SERVER_THREADS", "2"}});
  EXPECT_EQ(c.server.listen.port, 9001);
  EXPECT_EQ(c.server.threads, 2u);
}

TEST_F(ConfigTest, ignores_lgsp_variables_that_are_not_config_keys) {
  auto c = Config::load(std::nullopt, {{"LGSP_PIN", "123456"}, {"LGSP_PKCS11_MODULE", "/x.so"}});
  EXPECT_EQ(c.server.listen.port, 8080);
}

TEST_F(ConfigTest, rejects_a_bad_environment_value_naming_the_variable) {
  EXPECT_EQ(error_of(std::nullopt, {{"LGSP_SERVER_THREADS", "many"}}),
            "environment LGSP_SERVER_THREADS : must be an integer, got 'many'");
}

TEST_F(ConfigTest, delivery_defaults_and_section) {
  auto defaults = Config::load(std::nullopt, {});
  EXPECT_EQ(defaults.delivery.max_in_flight, 64u);
  EXPECT_EQ(defaults.delivery.poll_interval_ms, 200u);
  auto c = Config::load(write("[delivery]\nmax_in_flight = 8\npoll_interval_ms = 50\n"), {});
  EXPECT_EQ(c.delivery.max_in_flight, 8u);
  EXPECT_EQ(c.delivery.poll_interval_ms, 50u);
  auto env = Config::load(std::nullopt, {{"LGSP_DELIVERY_MAX_IN_FLIGHT", "3"}});
  EXPECT_EQ(env.delivery.max_in_flight, 3u);
}

TEST_F(ConfigTest, rejects_delivery_values_out_of_range) {
  auto none = write("[delivery]\nmax_in_flight = 0\n");
  EXPECT_EQ(error_of(none),
            "config " + none.string() + " : key 'delivery.max_in_flight' must be between 1 and 100000, got 0");
  auto busy = write("[delivery]\npoll_interval_ms = 1\n");
  EXPECT_EQ(error_of(busy),
            "config " + busy.string() + " : key 'delivery.poll_interval_ms' must be between 10 and 60000, got 1");
  EXPECT_EQ(error_of(std::nullopt, {{"LGSP_DELIVERY_POLL_INTERVAL_MS", "soon"}}),
            "environment LGSP_DELIVERY_POLL_INTERVAL_MS : must be an integer, got 'soon'");
}

TEST_F(ConfigTest, node_id_and_delivery_lease_for_several_nodes_on_one_database) {
  auto defaults = Config::load(std::nullopt, {});
  EXPECT_EQ(defaults.delivery.lease_seconds, 60u);
  EXPECT_TRUE(defaults.node.id.empty());
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  EXPECT_EQ(defaults.node_id(), std::string(host) + ":8080") << "hostname and listen port";
  auto c = Config::load(write("[node]\nid = \"lgsp-1\"\n[delivery]\nlease_seconds = 5\n"), {});
  EXPECT_EQ(c.node_id(), "lgsp-1");
  EXPECT_EQ(c.delivery.lease_seconds, 5u);
  EXPECT_EQ(Config::load(std::nullopt, {{"LGSP_NODE_ID", "n2"}}).node_id(), "n2");
  auto spaced = write("[node]\nid = \"node one\"\n");
  EXPECT_EQ(error_of(spaced),
            "config " + spaced.string() + " : key 'node.id' must be 1 to 64 characters of A-Z a-z 0-9 . - _ :");
  auto none = write("[delivery]\nlease_seconds = 0\n");
  EXPECT_EQ(error_of(none),
            "config " + none.string() + " : key 'delivery.lease_seconds' must be between 1 and 86400, got 0");
}

TEST_F(ConfigTest, events_defaults_section_and_range) {
  auto defaults = Config::load(std::nullopt, {});
  EXPECT_EQ(defaults.events.sample_per_code_per_minute, 20u);
  EXPECT_EQ(defaults.events.sample_per_minute, 200u);
  EXPECT_EQ(defaults.events.max_value_bytes, 256u);
  EXPECT_EQ(defaults.events.max_rows, 50000u);
  EXPECT_EQ(defaults.events.max_age_hours, 168u);
  auto c = Config::load(write("[events]\nsample_per_code_per_minute = 0\nmax_rows = 1000\nmax_age_hours = 24\n"), {});
  EXPECT_EQ(c.events.sample_per_code_per_minute, 0u);
  EXPECT_EQ(c.events.max_rows, 1000u);
  EXPECT_EQ(c.events.max_age_hours, 24u);
  auto env = Config::load(std::nullopt, {{"LGSP_EVENTS_MAX_VALUE_BYTES", "64"}});
  EXPECT_EQ(env.events.max_value_bytes, 64u);
  auto none = write("[events]\nmax_rows = 0\n");
  EXPECT_EQ(error_of(none),
            "config " + none.string() + " : key 'events.max_rows' must be between 1 and 100000000, got 0");
}

TEST_F(ConfigTest, store_backend_defaults_to_sqlite_and_reads_postgresql_keys) {
  auto d = Config::load(std::nullopt, {});
  EXPECT_EQ(d.store.backend, lgsp::bus::StoreBackendKind::sqlite);
  EXPECT_EQ(d.store.pool_size, 4u);
  auto c = Config::load(write(R"([store]
backend = "postgresql"
postgresql_url = "host=127.0.0.1 port=5432 user=lgsp dbname=lgsp"
postgresql_password_file = "pg.password"
pool_size = 8
)"),
                        {});
  EXPECT_EQ(c.store.backend, lgsp::bus::StoreBackendKind::postgresql);
  EXPECT_EQ(c.store.postgresql_url, "host=127.0.0.1 port=5432 user=lgsp dbname=lgsp");
  EXPECT_EQ(c.store.postgresql_password_file, dir_ / "pg.password");
  EXPECT_EQ(c.store.pool_size, 8u);
  auto e = Config::load(std::nullopt, {{"LGSP_STORE_BACKEND", "postgresql"},
                                       {"LGSP_STORE_POSTGRESQL_URL", "postgresql://lgsp@db.example/lgsp"}});
  EXPECT_EQ(e.store.backend, lgsp::bus::StoreBackendKind::postgresql);
  EXPECT_EQ(e.store.postgresql_url, "postgresql://lgsp@db.example/lgsp");
}

TEST_F(ConfigTest, refuses_a_bad_store_backend_and_a_postgresql_backend_without_its_url) {
  EXPECT_NE(error_of(write("[store]\nbackend = \"mysql\"\n")).find("must be \"sqlite\" or \"postgresql\""),
            std::string::npos);
  EXPECT_NE(error_of(write("[store]\nbackend = \"postgresql\"\n")).find("needs store.postgresql_url"),
            std::string::npos);
  EXPECT_NE(error_of(write("[store]\npool_size = 0\n")).find("store.pool_size"), std::string::npos);
  EXPECT_NE(error_of(write("[store]\npostgresql_url = \"host='unterminated\"\n")).find("not a libpq connection"),
            std::string::npos);
}

TEST_F(ConfigTest, refuses_a_password_in_the_postgresql_url_without_echoing_it) {
  for (const std::string url :
       {"host=db user=lgsp password=s3cr3t-pw dbname=lgsp", "postgresql://lgsp:s3cr3t-pw@db.example/lgsp"}) {
    auto error = error_of(write("[store]\nbackend = \"postgresql\"\npostgresql_url = \"" + url + "\"\n"));
    EXPECT_NE(error.find("must not carry the password"), std::string::npos) << error;
    EXPECT_EQ(error.find("s3cr3t-pw"), std::string::npos) << "the password is never echoed: " << error;
  }
}

TEST(HostPort, parses_ipv6_in_brackets) {
  auto hp = lgsp::bus::HostPort::parse("[::1]:8443", "k");
  EXPECT_EQ(hp.host, "::1");
  EXPECT_EQ(hp.port, 8443);
  EXPECT_EQ(hp.to_string(), "[::1]:8443");
}

TEST(HostPort, rejects_hosts_with_characters_no_address_has) {
  for (const char* text : {"[[x]:1", "[x]]:1", "a b:80", "user@host:80", "host/x:80", "[::1\n]:80", "\x01h:80"})
    EXPECT_THROW(lgsp::bus::HostPort::parse(text, "k"), ConfigError) << text;
  EXPECT_EQ(lgsp::bus::HostPort::parse("[fe80::1%eth0]:80", "k").host, "fe80::1%eth0");
  EXPECT_EQ(lgsp::bus::HostPort::parse("lgsp-node_1.tinh.gov.vn:443", "k").host, "lgsp-node_1.tinh.gov.vn");
}

TEST(HostPort, rejects_a_port_out_of_range) {
  EXPECT_THROW(lgsp::bus::HostPort::parse("127.0.0.1:70000", "k"), ConfigError);
  EXPECT_THROW(lgsp::bus::HostPort::parse("127.0.0.1:", "k"), ConfigError);
  EXPECT_THROW(lgsp::bus::HostPort::parse(":80", "k"), ConfigError);
}

}  // namespace
