// The receive profile (docs/contracts.md, "Profiles"): every named variant accepted with its warning under
// Profile::receive and refused under Profile::strict; what the receive profile still refuses; hostile input.
// Fixtures: tests/data/contracts-receive/<contract id>/{accept,refuse,strict}/; an accept/ file is named
// "<variant id>--<what>.<ext>".
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/edxml.hpp"
#include "receive_profile.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace lgsp::contracts;

namespace {

const fs::path kFixtures = fs::path(LGSP_SOURCE_DIR) / "tests/data/contracts-receive";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const Catalogue& shipped() {
  static const Catalogue c = Catalogue::load(default_catalogue_dir());
  return c;
}

bool has_warning(const ValidationResult& r, const std::string& variant) {
  for (const auto& w : r.warnings)
    if (w.variant == variant) return true;
  return false;
}

std::string variants_of(const ValidationResult& r) {
  std::string out;
  for (const auto& w : r.warnings) out += w.variant + " (" + w.path + ": " + w.detail + ")\n";
  return out;
}

ValidationResult receive(const char* contract, const std::string& document) {
  return shipped().find(contract)->validate(document, ParseLimits{}, Profile::receive);
}
ValidationResult strict(const char* contract, const std::string& document) {
  return shipped().find(contract)->validate(document, ParseLimits{}, Profile::strict);
}
std::string fixture(const std::string& contract, const std::string& file) { return slurp(kFixtures / contract / file); }

TEST(ReceiveProfile, every_fixture_is_accepted_or_refused_as_its_folder_says) {
  int accepted = 0, refused = 0;
  for (const auto& contract_dir : fs::directory_iterator(kFixtures)) {
    const auto id = contract_dir.path().filename().string();
    const auto* c = shipped().find(id);
    ASSERT_NE(c, nullptr) << id;
    for (const auto& kind : {"accept", "refuse", "strict"}) {
      if (!fs::exists(contract_dir.path() / kind)) continue;
      for (const auto& f : fs::directory_iterator(contract_dir.path() / kind)) {
        const auto name = f.path().filename().string();
        const auto document = slurp(f.path());
        const auto r = c->validate(document, ParseLimits{}, Profile::receive);
        const auto s = c->validate(document, ParseLimits{}, Profile::strict);
        EXPECT_TRUE(s.warnings.empty()) << id << " " << name << ": the strict profile never warns";
        if (std::string(kind) == "accept") {
          ++accepted;
          const auto variant = name.substr(0, name.find("--"));
          EXPECT_TRUE(r.valid()) << id << " " << name << ":\n" << to_text(r.errors);
          EXPECT_TRUE(has_warning(r, variant)) << id << " " << name << " warned:\n" << variants_of(r);
          EXPECT_FALSE(s.valid()) << id << " " << name << ": the strict profile must refuse it";
          for (const auto& w : r.warnings) EXPECT_FALSE(w.detail.empty());
        } else if (std::string(kind) == "refuse") {
          ++refused;
          EXPECT_FALSE(r.valid()) << id << " " << name << " should be refused by the receive profile; warned:\n"
                                  << variants_of(r);
          EXPECT_FALSE(s.valid()) << id << " " << name;
          for (const auto& e : r.errors) EXPECT_FALSE(e.message.empty());
        } else {
          EXPECT_TRUE(s.valid()) << id << " " << name << ":\n" << to_text(s.errors);
          EXPECT_TRUE(r.valid()) << id << " " << name;
          EXPECT_TRUE(r.warnings.empty()) << variants_of(r);
        }
      }
    }
  }
  EXPECT_GE(accepted, 20);
  EXPECT_GE(refused, 15);
}

TEST(ReceiveProfile, shipped_examples_are_judged_alike_by_both_profiles_when_valid) {
  for (const auto* c : shipped().list())
    for (const auto& f : fs::directory_iterator(c->dir() / "examples")) {
      const auto name = f.path().filename().string();
      if (name.rfind("valid-", 0) != 0) continue;
      const auto r = c->validate(slurp(f.path()), ParseLimits{}, Profile::receive);
      EXPECT_TRUE(r.valid()) << c->id() << " " << name;
      EXPECT_TRUE(r.warnings.empty()) << c->id() << " " << name << ":\n" << variants_of(r);
    }
}

TEST(ReceiveProfile, strict_is_the_default_profile) {
  const auto doc = fixture("edxml@v1", "accept/edxml.organ-id-system--vxp-system-ids.xml");
  EXPECT_FALSE(shipped().find("edxml@v1")->validate(doc, ParseLimits{}).valid());
}

TEST(ReceiveProfile, organ_ids_of_the_general_shape_are_named_where_they_occur) {
  const auto doc = fixture("edxml@v1", "accept/edxml.organ-id-system--vxp-system-ids.xml");
  const auto s = strict("edxml@v1", doc);
  ASSERT_FALSE(s.valid());
  EXPECT_NE(s.errors[0].path.find("OrganId"), std::string::npos);
  const auto r = receive("edxml@v1", doc);
  ASSERT_TRUE(r.valid()) << to_text(r.errors);
  bool from = false, trace = false, document_id = false;
  for (const auto& w : r.warnings) {
    EXPECT_EQ(w.variant, variant::kEdxmlOrganIdSystem);
    from |= w.path == "/edXML:edXML/edXML:edXMLEnvelope/edXML:edXMLHeader/edXML:MessageHeader/edXML:From/edXML:OrganId";
    trace |= w.path.find("TraceHeader/edXML:OrganId") != std::string::npos;
    document_id |= w.path.find("MessageHeader/edXML:DocumentId") != std::string::npos;
    if (w.path.find("From/edXML:OrganId") != std::string::npos) {
      EXPECT_NE(w.detail.find("vxp.saas.03"), std::string::npos);
    }
  }
  EXPECT_TRUE(from && trace && document_id) << variants_of(r);
  EXPECT_TRUE(receive("edxml@v1", fixture("edxml@v1", "accept/edxml.organ-id-system--short-code.xml")).valid());
}

TEST(ReceiveProfile, document_id_as_uuid) {
  const auto r = receive("edxml@v1", fixture("edxml@v1", "accept/edxml.document-id-uuid--sdk-uuid.xml"));
  ASSERT_TRUE(r.valid()) << to_text(r.errors);
  ASSERT_EQ(r.warnings.size(), 1u) << variants_of(r);
  EXPECT_EQ(r.warnings[0].variant, variant::kEdxmlDocumentIdUuid);
  EXPECT_NE(r.warnings[0].detail.find("5b0f8e4e-3c2a-4f7e-9d1b-8a6c2e4f0b13"), std::string::npos);
  EXPECT_FALSE(strict("edxml@v1", fixture("edxml@v1", "accept/edxml.document-id-uuid--sdk-uuid.xml")).valid());
  // Not every hex string is a UUID: free text in DocumentId stays refused.
  EXPECT_FALSE(receive("edxml@v1", fixture("edxml@v1", "refuse/document-id-free-text.xml")).valid());
}

TEST(ReceiveProfile, code_and_response_for_in_replies_revocations_and_replacements) {
  for (const char* f : {"accept/edxml.header-code-responsefor--reply-code-as-text.xml",
                        "accept/edxml.header-code-responsefor--responsefor-after-code.xml",
                        "accept/edxml.header-code-responsefor--revocation-structured-code.xml",
                        "accept/edxml.header-code-responsefor--replacement-responsefor-docid-only.xml"}) {
    const auto doc = fixture("edxml@v1", f);
    const auto r = receive("edxml@v1", doc);
    EXPECT_TRUE(r.valid()) << f << "\n" << to_text(r.errors);
    ASSERT_FALSE(r.warnings.empty()) << f;
    for (const auto& w : r.warnings) EXPECT_EQ(w.variant, variant::kEdxmlHeaderCodeResponseFor) << f;
    EXPECT_FALSE(strict("edxml@v1", doc).valid()) << f;
  }
  const auto r = receive("edxml@v1", fixture("edxml@v1", "refuse/responsefor-names-nothing.xml"));
  ASSERT_FALSE(r.valid());
  EXPECT_NE(r.errors[0].message.find("ResponseFor names no document"), std::string::npos) << to_text(r.errors);
  const auto empty = receive("edxml@v1", fixture("edxml@v1", "refuse/code-empty.xml"));
  ASSERT_FALSE(empty.valid());
  EXPECT_EQ(empty.errors[0].message, "Code is empty");
}

TEST(ReceiveProfile, status_messages_as_edxml_packages) {
  for (const char* code : {"01", "06", "13"}) {
    std::string file =
        std::string("accept/edxml.status-message--") + (code == std::string("01")   ? "01-arrived.xml"
                                                        : code == std::string("06") ? "06-finished-no-trace.xml"
                                                                                    : "13-recalled-system-ids.xml");
    const auto doc = fixture("edxml@v1", file);
    const auto r = receive("edxml@v1", doc);
    ASSERT_TRUE(r.valid()) << file << "\n" << to_text(r.errors);
    ASSERT_TRUE(has_warning(r, variant::kEdxmlStatusMessage));
    for (const auto& w : r.warnings)
      if (w.variant == variant::kEdxmlStatusMessage) {
        EXPECT_NE(w.detail.find(code), std::string::npos) << w.detail;
      }
    EXPECT_FALSE(strict("edxml@v1", doc).valid());
    // The status contract accepts the same package under its receive profile (its strict form is a bare Status).
    const auto as_status = receive("edxml-status@v1", doc);
    EXPECT_TRUE(as_status.valid()) << to_text(as_status.errors);
    EXPECT_FALSE(strict("edxml-status@v1", doc).valid());
  }
  const auto attached = receive("edxml@v1", fixture("edxml@v1", "refuse/status-message-with-attachment.xml"));
  ASSERT_FALSE(attached.valid());
  EXPECT_NE(to_text(attached.errors).find("a status message carries no attachments"), std::string::npos);
  const auto no_description = receive("edxml@v1", fixture("edxml@v1", "refuse/status-message-without-description.xml"));
  ASSERT_FALSE(no_description.valid());
  EXPECT_NE(to_text(no_description.errors).find("needs Description"), std::string::npos);
  // A document package is not a status reply, and a bare Status is not an edXML package.
  EXPECT_FALSE(receive("edxml-status@v1", fixture("edxml-status@v1", "refuse/document-package.xml")).valid());
  EXPECT_FALSE(receive("edxml@v1", fixture("edxml@v1", "refuse/bare-status-root.xml")).valid());
}

TEST(ReceiveProfile, empty_trace_header_list) {
  const auto doc = fixture("edxml@v1", "accept/edxml.empty-trace-header-list--self-closing.xml");
  const auto r = receive("edxml@v1", doc);
  ASSERT_TRUE(r.valid()) << to_text(r.errors);
  ASSERT_EQ(r.warnings.size(), 1u) << variants_of(r);
  EXPECT_EQ(r.warnings[0].variant, variant::kEdxmlEmptyTraceHeaderList);
  EXPECT_EQ(r.warnings[0].path, "/edXML:edXML/edXML:edXMLEnvelope/edXML:edXMLHeader/edXML:TraceHeaderList");
  EXPECT_FALSE(strict("edxml@v1", doc).valid());
}

TEST(ReceiveProfile, stray_bytes_before_the_declaration_are_dropped_with_a_warning) {
  const auto doc = fixture("edxml@v1", "accept/xml.leading-bytes--bom-and-newlines.xml");
  const auto r = receive("edxml@v1", doc);
  ASSERT_TRUE(r.valid()) << to_text(r.errors);
  ASSERT_EQ(r.warnings.size(), 1u) << variants_of(r);
  EXPECT_EQ(r.warnings[0].variant, variant::kXmlLeadingBytes);
  EXPECT_EQ(r.warnings[0].detail, "dropped 7 bytes (a byte order mark and whitespace) before the XML declaration");
  EXPECT_EQ(r.stripped_prefix, 7u);
  EXPECT_EQ(doc.substr(r.stripped_prefix, 5), "<?xml");
  EXPECT_FALSE(strict("edxml@v1", doc).valid());
  const auto garbage = receive("edxml@v1", fixture("edxml@v1", "accept/xml.leading-bytes--stray-bytes.xml"));
  ASSERT_TRUE(garbage.valid()) << to_text(garbage.errors);
  EXPECT_NE(garbage.warnings[0].detail.find("stray bytes"), std::string::npos);
  // A UTF-8 byte order mark alone is well-formed XML: no variant.
  const auto plain = fixture("edxml@v1", "strict/standard-document.xml");
  const auto bom = receive("edxml@v1", "\xEF\xBB\xBF" + plain);
  EXPECT_TRUE(bom.valid());
  EXPECT_TRUE(bom.warnings.empty());
  EXPECT_EQ(bom.stripped_prefix, 0u);
}

TEST(ReceiveProfile, variants_combine_in_one_package) {
  auto doc = fixture("edxml@v1", "accept/edxml.document-id-uuid--sdk-uuid.xml");
  doc = "\r\n" + doc;
  const auto pos = doc.find("<edXML:TraceHeaderList>");
  doc = doc.substr(0, pos) + "<edXML:TraceHeaderList/>\n" +
        doc.substr(doc.find("</edXML:TraceHeaderList>") + std::string("</edXML:TraceHeaderList>").size());
  const auto r = receive("edxml@v1", doc);
  ASSERT_TRUE(r.valid()) << to_text(r.errors);
  EXPECT_TRUE(has_warning(r, variant::kXmlLeadingBytes));
  EXPECT_TRUE(has_warning(r, variant::kEdxmlDocumentIdUuid));
  EXPECT_TRUE(has_warning(r, variant::kEdxmlEmptyTraceHeaderList));
  // Errors point into the document as received (the dropped bytes are not counted twice).
  EXPECT_EQ(r.stripped_prefix, 2u);
}

TEST(ReceiveProfile, what_the_receive_schema_allows_without_a_named_variant_is_still_warned_about) {
  // OtherInfo is required by the strict schema; the receive profile reads a header without it.
  auto doc = fixture("edxml@v1", "strict/standard-document.xml");
  const auto a = doc.find("        <edXML:OtherInfo>");
  const auto b = doc.find("</edXML:OtherInfo>\n") + std::string("</edXML:OtherInfo>\n").size();
  doc.erase(a, b - a);
  ASSERT_FALSE(strict("edxml@v1", doc).valid());
  const auto r = receive("edxml@v1", doc);
  ASSERT_TRUE(r.valid()) << to_text(r.errors);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].variant, variant::kReceiveRelaxed);
  EXPECT_EQ(r.warnings[0].detail.rfind("strict profile: ", 0), 0u) << r.warnings[0].detail;
}

TEST(ReceiveProfile, empty_optional_strings_in_dvcqg_records) {
  const auto doc = fixture("dvcqg.DongBoHoSoMC@v1", "accept/dvcqg.empty-optional-string--opencps-new-record.json");
  const auto s = strict("dvcqg.DongBoHoSoMC@v1", doc);
  ASSERT_FALSE(s.valid());
  const auto r = receive("dvcqg.DongBoHoSoMC@v1", doc);
  ASSERT_TRUE(r.valid()) << to_text(r.errors);
  // One warning per field that refuses "" (Fax, whose pattern allows "", is not one of them).
  std::vector<std::string> paths;
  for (const auto& w : r.warnings) {
    EXPECT_EQ(w.variant, variant::kDvcqgEmptyOptionalString);
    paths.push_back(w.path);
  }
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"/data/0/KenhThucHien", "/data/0/MaDoiTuong", "/data/0/NgayKetThucXuLy",
                                             "/data/0/NgayTra", "/data/0/SoBienNhan"}));
  const auto nested =
      receive("dvcqg.DongBoHoSoMC@v1",
              fixture("dvcqg.DongBoHoSoMC@v1", "accept/dvcqg.empty-optional-string--nested-file-component.json"));
  ASSERT_TRUE(nested.valid()) << to_text(nested.errors);
  ASSERT_EQ(nested.warnings.size(), 1u);
  EXPECT_EQ(nested.warnings[0].path, "/data/0/TaiLieuNop/0/MaThanhPhanHoSo");
  // A required field stays required; an optional one with a wrong value stays wrong; and a field the record needs
  // in this state (NgayHenTra while processing) cannot be dropped by sending it empty.
  const auto required =
      receive("dvcqg.DongBoHoSoMC@v1", fixture("dvcqg.DongBoHoSoMC@v1", "refuse/required-field-empty.json"));
  ASSERT_FALSE(required.valid());
  EXPECT_EQ(required.errors[0].path, "/data/0/MaHoSo");
  EXPECT_FALSE(receive("dvcqg.DongBoHoSoMC@v1",
                       fixture("dvcqg.DongBoHoSoMC@v1", "refuse/appointment-empty-while-processing.json"))
                   .valid());
  EXPECT_FALSE(
      receive("dvcqg.DongBoHoSoMC@v1", fixture("dvcqg.DongBoHoSoMC@v1", "refuse/optional-field-wrong-value.json"))
          .valid());
}

TEST(ReceiveProfile, empty_string_rule_follows_what_the_schema_says_of_the_field) {
  using receive::refuses_empty_string;
  EXPECT_TRUE(refuses_empty_string(nlohmann::json{{"type", "string"}, {"enum", {"1", "2"}}}));
  EXPECT_FALSE(refuses_empty_string(nlohmann::json{{"type", "string"}, {"enum", {"", "2"}}}));
  EXPECT_TRUE(refuses_empty_string(nlohmann::json{{"type", "string"}, {"pattern", "^[0-9]{14}$"}}));
  EXPECT_FALSE(refuses_empty_string(nlohmann::json{{"type", "string"}, {"pattern", "^[0-9]{0,20}$"}}));
  EXPECT_TRUE(refuses_empty_string(nlohmann::json{{"type", "string"}, {"minLength", 1}}));
  EXPECT_TRUE(refuses_empty_string(nlohmann::json{{"type", "string"}, {"format", "email"}}));
  EXPECT_TRUE(refuses_empty_string(nlohmann::json{{"const", "DongBoHoSoMC"}}));
  EXPECT_FALSE(refuses_empty_string(nlohmann::json{{"type", "string"}, {"maxLength", 10}}));
}

TEST(ReceiveProfile, project_contracts_have_no_receive_variants) {
  for (const char* id : {"onestop.dossier-submission@v1", "onestop.dossier-status@v1", "onestop.result-notice@v1",
                         "hotich.trichluc-request@v1", "hotich.trichluc-result@v1"})
    EXPECT_TRUE(shipped().find(id)->receive_variants().empty()) << id;
  EXPECT_EQ(shipped().find("edxml@v1")->receive_variants().size(), 6u);
}

TEST(ReceiveProfile, both_edxml_contracts_share_one_receive_schema) {
  EXPECT_EQ(slurp(fs::path(LGSP_SOURCE_DIR) / "contracts/edxml/v1/receive.xsd"),
            slurp(fs::path(LGSP_SOURCE_DIR) / "contracts/edxml-status/v1/receive.xsd"));
}

TEST(ReceiveProfile, parses_profile_names) {
  EXPECT_EQ(parse_profile("strict"), Profile::strict);
  EXPECT_EQ(parse_profile("receive"), Profile::receive);
  EXPECT_EQ(parse_profile("Receive"), std::nullopt);
  EXPECT_EQ(to_string(Profile::receive), "receive");
  const std::vector<ValidationWarning> w = {{"edxml.status-message", "/a", "status 01"}};
  EXPECT_EQ(to_text(w), "warning: edxml.status-message: /a: status 01\n");
  EXPECT_EQ(to_json(w)[0]["variant"], "edxml.status-message");
}

// ---- hostile input ----

TEST(ReceiveProfileHostile, a_huge_prefix_is_refused_quickly_without_searching_it) {
  const auto doc = fixture("edxml@v1", "strict/standard-document.xml");
  const std::string garbage(4 * 1024 * 1024, 'x');
  const auto start = std::chrono::steady_clock::now();
  const auto r = receive("edxml@v1", garbage + doc);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.valid());
  EXPECT_NE(r.errors[0].message.find("does not start with markup"), std::string::npos) << r.errors[0].message;
  EXPECT_LT(took, std::chrono::milliseconds(200));
  // Just over the bound, and whitespace just over the bound: refused too.
  EXPECT_FALSE(receive("edxml@v1", std::string(receive::kMaxLeadingBytes + 1, '#') + doc).valid());
  EXPECT_FALSE(receive("edxml@v1", std::string(receive::kMaxLeadingBytes + 1, ' ') + doc).valid());
  // Whitespace before the root element of a document without a declaration is well-formed: both profiles agree.
  const auto undeclared = std::string(5000, '\n') + doc.substr(doc.find("?>") + 2);
  EXPECT_TRUE(strict("edxml@v1", undeclared).valid());
  const auto r2 = receive("edxml@v1", undeclared);
  EXPECT_TRUE(r2.valid());
  EXPECT_TRUE(r2.warnings.empty());
  EXPECT_TRUE(receive("edxml@v1", std::string(receive::kMaxLeadingBytes, '#') + doc).valid());
}

TEST(ReceiveProfileHostile, deep_nesting_and_dtds_are_refused_under_the_receive_profile) {
  std::string deep = "<?xml version=\"1.0\"?>\n";
  for (int i = 0; i < 200; ++i) deep += "<edXML:a xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">";
  const auto r = receive("edxml@v1", "  \n" + deep);
  ASSERT_FALSE(r.valid());
  EXPECT_NE(r.errors[0].message.find("nesting"), std::string::npos) << r.errors[0].message;
  const auto dtd = receive("edxml@v1",
                           "\n<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n<edXML:edXML "
                           "xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">&a;</edXML:edXML>");
  EXPECT_FALSE(dtd.valid());
  std::string deep_json = "{\"service\":\"DongBoHoSoMC\",\"data\":[{\"MaHoSo\":\"\",\"x\":" + std::string(500, '[') +
                          std::string(500, ']') + "}]}";
  EXPECT_FALSE(receive("dvcqg.DongBoHoSoMC@v1", deep_json).valid());
}

TEST(ReceiveProfileHostile, warnings_are_bounded) {
  auto doc = fixture("edxml@v1", "accept/edxml.organ-id-system--vxp-system-ids.xml");
  std::string to;
  for (int i = 0; i < 500; ++i)
    to += "<edXML:To><edXML:OrganId>sys." + std::to_string(i) +
          "</edXML:OrganId><edXML:OrganName>x</edXML:OrganName></edXML:To>";
  doc.insert(doc.find("        <edXML:DocumentId>"), to);
  const auto r = receive("edxml@v1", doc);
  ASSERT_TRUE(r.valid()) << to_text(r.errors);
  EXPECT_EQ(r.warnings.size(), kMaxWarnings);
}

// ---- the catalogue's "receive" key ----

class ReceiveCatalogue : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-receive-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "edxml");
    fs::copy(default_catalogue_dir() / "edxml/v1", dir_ / "edxml/v1", fs::copy_options::recursive);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void set_receive(const std::string& receive_json) {
    auto text = slurp(dir_ / "edxml/v1/contract.json");
    text = text.substr(0, text.find(",\n  \"receive\"")) + ",\n  \"receive\": " + receive_json + "\n}\n";
    std::ofstream(dir_ / "edxml/v1/contract.json", std::ios::binary) << text;
  }
  fs::path dir_;
};

TEST_F(ReceiveCatalogue, an_unknown_variant_is_refused_naming_the_file) {
  set_receive(R"({"schema": "receive.xsd", "variants": ["edxml.anything-goes"]})");
  try {
    Catalogue::load(dir_);
    FAIL() << "loaded";
  } catch (const ContractError& e) {
    EXPECT_NE(std::string(e.what()).find("contract.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("unknown receive variant \"edxml.anything-goes\""), std::string::npos)
        << e.what();
  }
}

TEST_F(ReceiveCatalogue, a_receive_schema_outside_the_folder_is_refused) {
  set_receive(R"({"schema": "../../x.xsd", "variants": ["xml.leading-bytes"]})");
  EXPECT_THROW(Catalogue::load(dir_), ContractError);
}

TEST_F(ReceiveCatalogue, a_variant_the_contract_does_not_list_is_an_error_not_a_warning) {
  set_receive(R"({"schema": "receive.xsd", "variants": ["edxml.document-id-uuid"]})");
  const auto catalogue = Catalogue::load(dir_);
  const auto* c = catalogue.find("edxml@v1");
  EXPECT_TRUE(
      c->validate(fixture("edxml@v1", "accept/edxml.document-id-uuid--sdk-uuid.xml"), ParseLimits{}, Profile::receive)
          .valid());
  const auto r =
      c->validate(fixture("edxml@v1", "accept/edxml.organ-id-system--short-code.xml"), ParseLimits{}, Profile::receive);
  ASSERT_FALSE(r.valid());
  EXPECT_NE(r.errors[0].message.find("variant edxml.organ-id-system is not accepted for edxml@v1"), std::string::npos)
      << r.errors[0].message;
  // Leading bytes are not listed either: not dropped.
  EXPECT_FALSE(
      c->validate("\n" + fixture("edxml@v1", "strict/standard-document.xml"), ParseLimits{}, Profile::receive).valid());
}

// ---- reading received packages ----

TEST(ReceiveUnpack, a_received_status_message_with_stray_bytes_unpacks_under_the_receive_profile) {
  const auto doc = "\xEF\xBB\xBF\n" + fixture("edxml@v1", "accept/edxml.status-message--06-finished-no-trace.xml");
  EXPECT_THROW(edxml::unpack(doc, ParseLimits{}), edxml::EdxmlError);
  const auto package = edxml::unpack(doc, ParseLimits{}, Profile::receive);
  EXPECT_EQ(package.header["MessageHeader"]["StatusCode"], "06");
  EXPECT_TRUE(package.header["TraceHeaderList"].is_object());
  EXPECT_TRUE(package.attachments.empty());
  const auto empty_list = edxml::unpack(fixture("edxml@v1", "accept/edxml.empty-trace-header-list--self-closing.xml"),
                                        ParseLimits{}, Profile::receive);
  EXPECT_TRUE(empty_list.header["TraceHeaderList"].is_object());
  EXPECT_EQ(empty_list.attachments.size(), 1u);
}

}  // namespace
