#include "lgsp/onestop/config.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace fs = std::filesystem;
using lgsp::bus::ConfigError;
using lgsp::onestop::OnestopConfig;

namespace {

fs::path write(const std::string& name, const std::string& text) {
  auto dir = fs::temp_directory_path() / ("lgsp-onestop-config-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / name) << text;
  return dir / name;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(OnestopConfig, the_shipped_example_loads_with_its_defaults) {
  auto c = OnestopConfig::load(fs::path(LGSP_SOURCE_DIR "/deploy/config/onestop.example.toml"), {});
  c.validate();
  OnestopConfig d;
  EXPECT_EQ(c.listen.to_string(), d.listen.to_string());
  EXPECT_EQ(c.agency.code, d.agency.code);
  EXPECT_EQ(c.agency.dossier_code_pattern, d.agency.dossier_code_pattern);
  EXPECT_EQ(c.lookup.max_failures, d.lookup.max_failures);
  EXPECT_EQ(c.max_connections_per_source, 256u);
  EXPECT_EQ(c.max_connections_per_source, d.max_connections_per_source);
  EXPECT_EQ(c.signing.seal_token, "agency-seal");
  EXPECT_EQ(c.bus_client(), "000.00.13.H29/MOTCUA");
}

TEST(OnestopConfig, relative_paths_follow_the_file_and_the_environment_overrides_it) {
  auto file = write("a.toml", "[store]\ndata_dir = \"data\"\n[agency]\ncode = \"000.00.21.H29\"\n");
  auto c = OnestopConfig::load(file, {{"LGSP_ONESTOP_AGENCY_NAME", "Công an phường"}});
  EXPECT_EQ(c.data_dir, file.parent_path() / "data");
  EXPECT_EQ(c.agency.code, "000.00.21.H29");
  EXPECT_EQ(c.agency.name, "Công an phường");
}

TEST(OnestopConfig, unknown_keys_and_bad_values_name_the_key) {
  EXPECT_NE(error_of([] { OnestopConfig::load(write("b.toml", "[agency]\ncod = \"x\"\n"), {}); }).find("agency.cod"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              OnestopConfig::load(write("c.toml", "[lookup]\nmax_failures = 0\n"), {});
            }).find("lookup.max_failures"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              OnestopConfig::load(write("d.toml", "[server]\nlisten = \"nohost\"\n"), {});
            }).find("server.listen"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              OnestopConfig::load(write("e.toml", "[agency]\ncode = \"H29\"\n"), {}).validate();
            }).find("agency.code"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              OnestopConfig::load(write("f.toml", "[server]\nlisten = \"0.0.0.0:8090\"\n"), {}).validate();
            }).find("loopback"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              OnestopConfig::load(write("g.toml", "[bus]\nurl = \"https://127.0.0.1:8443\"\n"), {}).validate();
            }).find("bus.trust_roots"),
            std::string::npos);
}

TEST(OnestopConfig, officials_signatures_are_checked_against_the_signing_trust_roots_and_revocation) {
  auto c = OnestopConfig::load(write("s.toml",
                                     "[signing]\ntrust_roots = \"roots.pem\"\nrevocation = \"crl\"\n"
                                     "crl = \"ca.crl\"\nprepare_minutes = 5\nmax_prepared = 20\n"),
                               {});
  EXPECT_EQ(c.signing.trust_roots.filename(), "roots.pem");
  EXPECT_EQ(c.signing.revocation, "crl");
  EXPECT_EQ(c.signing.crl.filename(), "ca.crl");
  EXPECT_EQ(c.signing.prepare_minutes, 5u);
  EXPECT_EQ(c.signing.max_prepared, 20u);
  OnestopConfig d;
  EXPECT_EQ(d.signing.revocation, "ocsp");
  EXPECT_TRUE(d.signing.trust_roots.empty());
  EXPECT_NE(error_of([] {
              OnestopConfig::load(write("t.toml", "[signing]\nrevocation = \"sometimes\"\n"), {});
            }).find("signing.revocation"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              OnestopConfig::load(write("u.toml", "[signing]\nprepare_minutes = 0\n"), {});
            }).find("signing.prepare_minutes"),
            std::string::npos);
}

TEST(OnestopConfig, the_store_is_sqlite_by_default_or_postgresql_with_a_url_that_carries_no_password) {
  OnestopConfig d;
  EXPECT_EQ(d.store_backend, lgsp::bus::StoreBackendKind::sqlite);
  EXPECT_EQ(d.pool_size, 4u);
  auto c = OnestopConfig::load(write("pg.toml",
                                     "[store]\nbackend = \"postgresql\"\npostgresql_url = \"host=db "
                                     "dbname=onestop user=onestop\"\npostgresql_password_file = "
                                     "\"pw\"\npool_size = 3\n"),
                               {});
  EXPECT_EQ(c.store_backend, lgsp::bus::StoreBackendKind::postgresql);
  EXPECT_EQ(c.postgresql_url, "host=db dbname=onestop user=onestop");
  EXPECT_EQ(c.postgresql_password_file.filename(), "pw");
  EXPECT_TRUE(c.postgresql_password_file.is_absolute()) << "resolved against the file's folder";
  EXPECT_EQ(c.pool_size, 3u);
  c.validate();

  auto secret = error_of([] {
    OnestopConfig::load(write("pw.toml", "[store]\npostgresql_url = \"postgresql://u:s3cret@db/onestop\"\n"), {});
  });
  EXPECT_NE(secret.find("store.postgresql_url"), std::string::npos) << secret;
  EXPECT_NE(secret.find("must not carry the password"), std::string::npos) << secret;
  EXPECT_EQ(secret.find("s3cret"), std::string::npos) << "the value is never echoed";
  EXPECT_NE(error_of([] {
              OnestopConfig::load(write("b.toml", "[store]\nbackend = \"mysql\"\n"), {});
            }).find("store.backend"),
            std::string::npos);
  EXPECT_NE(error_of([] { OnestopConfig::load(write("p.toml", "[store]\npool_size = 0\n"), {}); }).find("pool_size"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              OnestopConfig::load(write("n.toml", "[store]\nbackend = \"postgresql\"\n"), {}).validate();
            }).find("postgresql_url"),
            std::string::npos)
      << "postgresql needs its URL";
}

TEST(OnestopConfig, trusted_proxies_are_a_list_of_ip_addresses_and_empty_by_default) {
  EXPECT_TRUE(OnestopConfig{}.trusted_proxies.empty()) << "by default X-Forwarded-For is never believed";
  auto c = OnestopConfig::load(write("h.toml", "[server]\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\n"), {});
  EXPECT_EQ(c.trusted_proxies, (std::vector<std::string>{"127.0.0.1", "::1"}));
  auto e = OnestopConfig::load(std::nullopt, {{"LGSP_ONESTOP_SERVER_TRUSTED_PROXIES", "10.0.0.5, 10.0.0.6"}});
  EXPECT_EQ(e.trusted_proxies, (std::vector<std::string>{"10.0.0.5", "10.0.0.6"}));
  EXPECT_NE(error_of([] {
              OnestopConfig::load(write("i.toml", "[server]\ntrusted_proxies = [\"proxy.local\"]\n"), {});
            }).find("server.trusted_proxies"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              OnestopConfig::load(write("j.toml", "[server]\ntrusted_proxies = \"127.0.0.1\"\n"), {});
            }).find("array"),
            std::string::npos);
  auto u = OnestopConfig::load(write("k.toml", "[uploads]\nmax_files = 7\nunused_max_age_seconds = 3600\n"), {});
  EXPECT_EQ(u.uploads.max_files, 7u);
  EXPECT_EQ(u.uploads.unused_max_age_seconds, 3600u);
}

}  // namespace

namespace {
// A newcomer's quick start moved the office to another port and its links kept pointing at 8090.
TEST(OnestopConfig, public_url_follows_the_listen_address_unless_set) {
  auto c = OnestopConfig::load(std::nullopt, {{"LGSP_ONESTOP_SERVER_LISTEN", "127.0.0.1:18123"}});
  c.validate();
  EXPECT_EQ(c.effective_agency().public_url, "http://127.0.0.1:18123");
  auto shipped = OnestopConfig::load(fs::path(LGSP_SOURCE_DIR "/deploy/config/onestop.example.toml"),
                                     {{"LGSP_ONESTOP_SERVER_LISTEN", "127.0.0.1:18124"}});
  EXPECT_EQ(shipped.effective_agency().public_url, "http://127.0.0.1:18124") << "the example sets no fixed port";
  auto set = OnestopConfig::load(std::nullopt, {{"LGSP_ONESTOP_AGENCY_PUBLIC_URL", "https://motcua.example.vn/"},
                                                {"LGSP_ONESTOP_SERVER_LISTEN", "127.0.0.1:18125"}});
  EXPECT_EQ(set.effective_agency().public_url, "https://motcua.example.vn");
  auto bad = OnestopConfig::load(std::nullopt, {{"LGSP_ONESTOP_AGENCY_PUBLIC_URL", "motcua.example.vn"}});
  EXPECT_NE(error_of([&] { bad.validate(); }).find("agency.public_url"), std::string::npos);
}
}  // namespace

namespace {
// [registry]: the civil-status registry the office asks for extracts (docs/onestop.md, "Civil-registry extracts").
TEST(OnestopConfig, the_registry_needs_its_document_service_seal_and_bus) {
  auto c = OnestopConfig::load(write("registry.toml",
                                     "[bus]\nurl = \"https://127.0.0.1:8443\"\n"
                                     "trust_roots = \"roots.pem\"\nnode_certificates = \"node.pem\"\n"
                                     "[registry]\nservice = \"000.00.09.H29/HOTICH/trichluc/v1\"\n"
                                     "document_service = \"000.00.09.H29/HOTICH/trichluc.document/v1\"\n"
                                     "seal_certificates = \"registry-seal.pem\"\n"
                                     "procedures = [\"2.000635\", \"2.000547\"]\n"
                                     "timeout_seconds = 12\n"),
                               {});
  c.validate();
  EXPECT_EQ(c.registry.service, "000.00.09.H29/HOTICH/trichluc/v1");
  EXPECT_EQ(c.registry.procedures, (std::vector<std::string>{"2.000635", "2.000547"}));
  EXPECT_EQ(c.registry.seal_certificates.filename(), "registry-seal.pem");
  EXPECT_TRUE(c.registry.seal_certificates.is_absolute()) << "relative to the file's folder";
  EXPECT_EQ(c.registry.timeout_seconds, 12u);
  EXPECT_EQ(OnestopConfig{}.registry.procedures, (std::vector<std::string>{"2.000635"}));

  auto without = [&](const char* key) {
    auto d = c;
    if (std::string(key) == "document_service") d.registry.document_service.clear();
    if (std::string(key) == "seal_certificates") d.registry.seal_certificates.clear();
    if (std::string(key) == "bus.url") d.bus.url.clear();
    return error_of([&] { d.validate(); });
  };
  EXPECT_NE(without("document_service").find("registry.document_service"), std::string::npos);
  EXPECT_NE(without("seal_certificates").find("registry.seal_certificates"), std::string::npos);
  EXPECT_NE(without("bus.url").find("registry.service"), std::string::npos);
  EXPECT_NE(error_of([] {
              (void)OnestopConfig::load(std::nullopt, {{"LGSP_ONESTOP_REGISTRY_SERVICE", "HOTICH/trichluc"}});
            }).find("registry.service"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              (void)OnestopConfig::load(write("r2.toml", "[registry]\nprocedures = [\"2.000635;drop\"]\n"), {});
            }).find("registry.procedures"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              (void)OnestopConfig::load(write("r3.toml", "[registry]\nseal_fingerprint = \"ab\"\n"), {});
            }).find("unknown key"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              (void)OnestopConfig::load(std::nullopt, {{"LGSP_ONESTOP_REGISTRY_TIMEOUT_SECONDS", "0"}});
            }).find("registry.timeout_seconds"),
            std::string::npos);
}
}  // namespace
