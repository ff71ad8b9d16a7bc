// `lgsp contracts list`, `lgsp validate` and `lgsp edxml pack|unpack` as users run them.
#include "process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using lgsp::test::read_file;
using lgsp::test::run;

namespace {

const std::string kLgsp = LGSP_BINARY;
const fs::path kContracts = LGSP_SOURCE_DIR "/contracts";

class ContractsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-contracts-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return dir_ / name;
  }
  fs::path dir_;
};

const char* kHeader = R"({
  "MessageHeader": {
    "From": {"OrganId": "000.00.13.H29", "OrganName": "UBND phường Bến Thành"},
    "To": [{"OrganId": "000.00.00.H29", "OrganName": "UBND Thành phố Hồ Chí Minh"}],
    "DocumentId": "000.00.13.H29,2026/11/22,125/UBND-TP",
    "Code": {"CodeNumber": "125", "CodeNotation": "UBND-TP"},
    "PromulgationInfo": {"Place": "Thành phố Hồ Chí Minh", "PromulgationDate": "2026/11/22"},
    "DocumentType": {"Type": "1", "TypeName": "Công văn"},
    "Subject": "V/v cấp trích lục khai sinh",
    "Content": "Đề nghị cấp trích lục.",
    "SignerInfo": {"FullName": "Nguyễn Văn An"},
    "ToPlaces": {"Place": ["Như trên"]},
    "OtherInfo": {"Priority": "0", "PromulgationAmount": "1", "PageAmount": "1"},
    "SteeringType": "0"
  },
  "TraceHeaderList": {}
})";

TEST_F(ContractsCliTest, list_shows_every_contract_with_its_media_type) {
  auto r = run({kLgsp, "contracts", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("edxml@v1\tapplication/xml\t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dvcqg.DongBoHoSoMC@v1\tapplication/json\t"), std::string::npos);
  auto j = run({kLgsp, "contracts", "list", "--json"});
  EXPECT_GE(nlohmann::json::parse(j.out).size(), 9u);
}

TEST_F(ContractsCliTest, validate_exits_0_for_a_valid_document) {
  auto r = run({kLgsp, "validate", "--contract", "edxml@v1",
                (kContracts / "edxml/v1/examples/valid-1-new-document-signed.xml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty());
}

TEST_F(ContractsCliTest, validate_exits_1_listing_the_errors) {
  auto file = (kContracts / "dvcqg.DongBoHoSoMC/v1/examples/invalid-missing-mahoso.json").string();
  auto r = run({kLgsp, "validate", "--contract", "dvcqg.DongBoHoSoMC@v1", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "lgsp: " + file +
                       " : not valid against dvcqg.DongBoHoSoMC@v1\n/data/0: Missing required property "
                       "'MaHoSo'.\n");
  auto j = run({kLgsp, "validate", "--json", "--contract", "dvcqg.DongBoHoSoMC@v1", file});
  EXPECT_EQ(j.exit_code, 1);
  auto report = nlohmann::json::parse(j.out);
  EXPECT_EQ(report["valid"], false);
  EXPECT_EQ(report["errors"][0]["path"], "/data/0");
}

TEST_F(ContractsCliTest, validate_exits_2_for_an_unknown_contract_or_unreadable_file) {
  auto unknown = run({kLgsp, "validate", "--contract", "nope@v1", write("x.json", "{}").string()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "lgsp: --contract nope@v1 : unknown contract (see 'lgsp contracts list')\n");
  auto malformed = run({kLgsp, "validate", "--contract", "edxml", write("y.json", "{}").string()});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_EQ(malformed.err, "lgsp: --contract edxml : expected NAME@vN, e.g. edxml@v1\n");
  auto missing = run({kLgsp, "validate", "--contract", "edxml@v1", (dir_ / "absent.xml").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "lgsp: " + (dir_ / "absent.xml").string() + " : cannot read: No such file or directory\n");
}

TEST_F(ContractsCliTest, validate_refuses_hostile_xml_without_reading_local_files) {
  auto file = write("xxe.xml",
                    "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                    "<edXML:edXML xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">&x;</edXML:edXML>");
  auto r = run({kLgsp, "validate", "--contract", "edxml@v1", file.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("a DOCTYPE (DTD) is not allowed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("root:"), std::string::npos);
}

TEST_F(ContractsCliTest, validate_refuses_a_document_over_the_configured_limit) {
  auto config = write("lgsp.toml", "[limits]\nmax_document_bytes = 2048\n");
  auto big = write("big.json", "{\"a\":\"" + std::string(5000, 'x') + "\"}");
  auto r =
      run({kLgsp, "validate", "--config", config.string(), "--contract", "onestop.dossier-status@v1", big.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("document is larger than the limit of 2048 bytes"), std::string::npos) << r.err;
}

TEST_F(ContractsCliTest, edxml_pack_then_unpack_round_trips_attachments) {
  auto header = write("header.json", kHeader);
  std::string pdf = "%PDF-1.4\n" + std::string(1000, '\x01') + std::string("\x00\xff\x7f", 3);
  auto a = write("quyết định.pdf", pdf);
  auto b = write("scan.tif", std::string(5000, '\x42'));
  auto out = dir_ / "doc.edxml";
  auto packed = run(
      {kLgsp, "edxml", "pack", "--header", header.string(), "--attach", a.string(), b.string(), "--out", out.string()});
  ASSERT_EQ(packed.exit_code, 0) << packed.err;
  auto check = run({kLgsp, "validate", "--contract", "edxml@v1", out.string()});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  auto xml = read_file(out);
  EXPECT_NE(xml.find("<edXML:TraceHeader>"), std::string::npos);
  EXPECT_NE(xml.find("<edXML:OrganId>000.00.13.H29</edXML:OrganId>"), std::string::npos);

  auto unpacked = run({kLgsp, "edxml", "unpack", out.string(), "--out", (dir_ / "out").string()});
  ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;
  EXPECT_EQ(read_file(dir_ / "out" / "quyết định.pdf"), pdf);
  EXPECT_EQ(read_file(dir_ / "out" / "scan.tif"), std::string(5000, '\x42'));
  auto h = nlohmann::json::parse(read_file(dir_ / "out" / "header.json"));
  EXPECT_EQ(h["MessageHeader"]["Subject"], "V/v cấp trích lục khai sinh");
  EXPECT_EQ(h["TraceHeaderList"]["TraceHeader"].size(), 1u);
}

TEST_F(ContractsCliTest, edxml_pack_writes_nothing_when_the_package_would_be_invalid) {
  auto bad = nlohmann::json::parse(kHeader);
  bad["MessageHeader"]["From"]["OrganId"] = "H29";
  auto header = write("header.json", bad.dump());
  auto out = dir_ / "doc.edxml";
  auto r = run({kLgsp, "edxml", "pack", "--header", header.string(), "--out", out.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the package would not be valid edxml@v1"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  for (const auto& f : fs::directory_iterator(dir_))
    EXPECT_EQ(f.path().filename().string().find(".partial"), std::string::npos) << f.path();
}

TEST_F(ContractsCliTest, edxml_pack_reports_a_header_that_is_not_json) {
  auto header = write("header.json", "{\"MessageHeader\": ");
  auto r = run({kLgsp, "edxml", "pack", "--header", header.string(), "--out", (dir_ / "o.edxml").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("lgsp: header " + header.string() + " : 1:19: not valid JSON", 0), 0u) << r.err;
}

TEST_F(ContractsCliTest, edxml_unpack_refuses_an_attachment_name_that_escapes_the_folder) {
  auto header = write("header.json", kHeader);
  auto a = write("a.pdf", "data");
  auto out = dir_ / "doc.edxml";
  ASSERT_EQ(run({kLgsp, "edxml", "pack", "--header", header.string(), "--attach", a.string(), "--out", out.string()})
                .exit_code,
            0);
  auto xml = read_file(out);
  for (std::size_t at; (at = xml.find("<edXML:AttachmentName>a.pdf<")) != std::string::npos;)
    xml.replace(at, 28, "<edXML:AttachmentName>..<");
  write("evil.edxml", xml);
  auto r = run({kLgsp, "edxml", "unpack", (dir_ / "evil.edxml").string(), "--out", (dir_ / "x").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has an unsafe name '..'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "x"));
}

TEST_F(ContractsCliTest, edxml_unpack_refuses_an_invalid_package_and_creates_nothing) {
  auto r =
      run({kLgsp, "edxml", "unpack", (kContracts / "edxml/v1/examples/invalid-attachment-not-in-manifest.xml").string(),
           "--out", (dir_ / "x").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a valid edxml@v1 package"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "x"));
}

TEST_F(ContractsCliTest, serve_refuses_to_start_on_a_broken_catalogue) {
  fs::create_directories(dir_ / "catalogue/broken/v1");
  write("catalogue/broken/v1/contract.json",
        R"({"name":"broken","version":1,"media_type":"application/json","description":"x","schema":"schema.json"})");
  write("catalogue/broken/v1/schema.json", "{not json");
  auto r = run({kLgsp, "serve", "--listen", "127.0.0.1:0", "--data-dir", (dir_ / "var").string()}, "",
               {"LGSP_CONTRACTS_DIR=" + (dir_ / "catalogue").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("lgsp: contract " + (dir_ / "catalogue/broken/v1/schema.json").string() + " : "),
            std::string::npos)
      << r.err;
}

// ---- --profile strict|receive (docs/contracts.md, "Profiles") ----

const fs::path kReceiveFixtures = LGSP_SOURCE_DIR "/tests/data/contracts-receive";

TEST_F(ContractsCliTest, validate_is_strict_by_default_and_receive_accepts_a_named_variant_with_a_warning) {
  const auto file = (kReceiveFixtures / "edxml@v1/accept/edxml.organ-id-system--vxp-system-ids.xml").string();
  auto strict = run({kLgsp, "validate", "--contract", "edxml@v1", file});
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_NE(strict.err.find("OrganId"), std::string::npos) << strict.err;
  auto explicit_strict = run({kLgsp, "validate", "--profile", "strict", "--contract", "edxml@v1", file});
  EXPECT_EQ(explicit_strict.exit_code, 1);
  EXPECT_EQ(explicit_strict.err, strict.err);

  auto receive = run({kLgsp, "validate", "--profile", "receive", "--contract", "edxml@v1", file});
  EXPECT_EQ(receive.exit_code, 0) << receive.err;
  EXPECT_NE(receive.err.find("valid against edxml@v1 (receive profile), with variants the strict profile refuses:"),
            std::string::npos)
      << receive.err;
  EXPECT_NE(receive.err.find("warning: edxml.organ-id-system: /edXML:edXML/edXML:edXMLEnvelope/edXML:edXMLHeader/"
                             "edXML:MessageHeader/edXML:From/edXML:OrganId: organ id 'vxp.saas.03'"),
            std::string::npos)
      << receive.err;
}

TEST_F(ContractsCliTest, validate_json_lists_the_profile_and_the_warnings) {
  const auto file =
      (kReceiveFixtures / "dvcqg.DongBoHoSoMC@v1/accept/dvcqg.empty-optional-string--opencps-new-record.json").string();
  auto r = run({kLgsp, "validate", "--json", "--profile", "receive", "--contract", "dvcqg.DongBoHoSoMC@v1", file});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
  auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["profile"], "receive");
  EXPECT_EQ(report["valid"], true);
  EXPECT_TRUE(report["errors"].empty());
  ASSERT_EQ(report["warnings"].size(), 5u) << r.out;
  for (const auto& w : report["warnings"]) {
    EXPECT_EQ(w["variant"], "dvcqg.empty-optional-string");
    EXPECT_EQ(w["path"].get<std::string>().rfind("/data/0/", 0), 0u);
    EXPECT_FALSE(w["detail"].get<std::string>().empty());
  }
  auto strict = run({kLgsp, "validate", "--json", "--contract", "dvcqg.DongBoHoSoMC@v1", file});
  EXPECT_EQ(strict.exit_code, 1);
  auto strict_report = nlohmann::json::parse(strict.out);
  EXPECT_EQ(strict_report["profile"], "strict");
  EXPECT_EQ(strict_report["valid"], false);
  EXPECT_TRUE(strict_report["warnings"].empty());
}

TEST_F(ContractsCliTest, validate_receive_still_refuses_what_no_variant_allows) {
  const auto file = (kReceiveFixtures / "edxml@v1/refuse/status-message-with-attachment.xml").string();
  auto r = run({kLgsp, "validate", "--profile", "receive", "--contract", "edxml@v1", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not valid against edxml@v1 (receive profile)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("a status message carries no attachments"), std::string::npos) << r.err;
  // Stray bytes beyond the bound: refused with a clear reason, not searched.
  write("prefixed.xml",
        std::string(64 * 1024, 'z') + read_file(kReceiveFixtures / "edxml@v1/strict/standard-document.xml"));
  auto big =
      run({kLgsp, "validate", "--profile", "receive", "--contract", "edxml@v1", (dir_ / "prefixed.xml").string()});
  EXPECT_EQ(big.exit_code, 1);
  EXPECT_NE(big.err.find("does not start with markup"), std::string::npos) << big.err;
}

TEST_F(ContractsCliTest, validate_refuses_an_unknown_profile) {
  auto r = run({kLgsp, "validate", "--profile", "lenient", "--contract", "edxml@v1",
                (kContracts / "edxml/v1/examples/valid-1-new-document-signed.xml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--profile lenient"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("expected strict or receive"), std::string::npos) << r.err;
}

}  // namespace
