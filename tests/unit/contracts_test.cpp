// Contract catalogue and validator: shipped examples, broken catalogues, hostile documents.
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/safe_json.hpp"
#include "lgsp/contracts/safe_xml.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::contracts;

namespace {

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

TEST(Catalogue, ships_every_named_contract) {
  std::vector<std::string> ids;
  for (const auto* c : shipped().list()) ids.push_back(c->id());
  for (const char* id : {"edxml@v1", "edxml-status@v1", "dvcqg.DongBoHoSoMC@v1", "dvcqg.CapNhatTienDoHoSoMC@v1",
                         "onestop.dossier-submission@v1", "onestop.dossier-status@v1", "onestop.result-notice@v1",
                         "hotich.trichluc-request@v1", "hotich.trichluc-result@v1"})
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
  EXPECT_EQ(shipped().find("edxml@v1")->kind(), SchemaKind::xml);
  EXPECT_EQ(shipped().find("edxml@v1")->media_type(), "application/xml");
  EXPECT_EQ(shipped().find("nope@v1"), nullptr);
}

TEST(Catalogue, every_example_passes_or_fails_as_its_name_says) {
  int valid = 0, invalid = 0;
  for (const auto* c : shipped().list()) {
    int contract_valid = 0, contract_invalid = 0;
    for (const auto& f : fs::directory_iterator(c->dir() / "examples")) {
      const auto name = f.path().filename().string();
      auto result = c->validate(slurp(f.path()), ParseLimits{});
      if (name.rfind("valid-", 0) == 0) {
        EXPECT_TRUE(result.valid()) << c->id() << " " << name << ": " << to_text(result.errors);
        ++contract_valid;
      } else if (name.rfind("invalid-", 0) == 0) {
        EXPECT_FALSE(result.valid()) << c->id() << " " << name << " should be refused";
        for (const auto& e : result.errors) EXPECT_FALSE(e.message.empty());
        ++contract_invalid;
      }
    }
    EXPECT_GE(contract_valid, 1) << c->id();
    EXPECT_GE(contract_invalid, 1) << c->id();
    valid += contract_valid;
    invalid += contract_invalid;
  }
  EXPECT_GE(valid, 18);
  EXPECT_GE(invalid, 18);
}

TEST(Catalogue, xml_errors_carry_an_element_path_and_line) {
  auto* c = shipped().find("edxml@v1");
  auto r = c->validate(slurp(c->dir() / "examples/invalid-bad-organid.xml"), ParseLimits{});
  ASSERT_FALSE(r.valid());
  EXPECT_EQ(r.errors[0].path,
            "/edXML:edXML/edXML:edXMLEnvelope/edXML:edXMLHeader/edXML:MessageHeader/edXML:From/edXML:OrganId");
  EXPECT_GT(r.errors[0].line, 0);
  EXPECT_NE(r.errors[0].message.find("OrganId"), std::string::npos);
}

TEST(Catalogue, json_errors_carry_a_json_pointer_and_name_the_field) {
  auto* c = shipped().find("dvcqg.DongBoHoSoMC@v1");
  auto r = c->validate(slurp(c->dir() / "examples/invalid-missing-mahoso.json"), ParseLimits{});
  ASSERT_FALSE(r.valid());
  EXPECT_EQ(r.errors[0].path, "/data/0");
  EXPECT_NE(r.errors[0].message.find("MaHoSo"), std::string::npos) << r.errors[0].message;
}

TEST(Catalogue, validates_from_several_threads_at_once) {
  auto* xml = shipped().find("edxml@v1");
  auto* json = shipped().find("onestop.dossier-submission@v1");
  const auto good_xml = slurp(xml->dir() / "examples/valid-1-new-document-signed.xml");
  const auto bad_xml = slurp(xml->dir() / "examples/invalid-bad-organid.xml");
  std::string good_json, bad_json;
  for (const auto& f : fs::directory_iterator(json->dir() / "examples")) {
    auto n = f.path().filename().string();
    if (n.rfind("valid-", 0) == 0) good_json = slurp(f.path());
    if (n.rfind("invalid-", 0) == 0) bad_json = slurp(f.path());
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (!xml->validate(good_xml, {}).valid() || xml->validate(bad_xml, {}).valid()) ++wrong;
        if (!json->validate(good_json, {}).valid() || json->validate(bad_json, {}).valid()) ++wrong;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

class BrokenCatalogue : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-catalogue-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path add(const std::string& name, int version, const std::string& schema_file, const std::string& schema,
               const std::string& descriptor_name = "") {
    auto d = dir_ / name / ("v" + std::to_string(version));
    fs::create_directories(d);
    std::ofstream(d / "contract.json") << R"({"name":")" << (descriptor_name.empty() ? name : descriptor_name)
                                       << R"(","version":)" << version
                                       << R"(,"media_type":"application/json","description":"t","schema":")"
                                       << schema_file << "\"}";
    std::ofstream(d / schema_file) << schema;
    return d;
  }
  std::string error() {
    try {
      Catalogue::load(dir_);
    } catch (const ContractError& e) {
      return e.what();
    }
    return "(loaded)";
  }
  fs::path dir_;
};

TEST_F(BrokenCatalogue, a_schema_that_does_not_compile_names_its_file) {
  add("good", 1, "schema.json", R"({"type":"object"})");
  auto d = add("bad", 1, "schema.xsd", "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'><xs:element/>");
  EXPECT_EQ(error().rfind((d / "schema.xsd").string() + " : ", 0), 0u) << error();
}

TEST_F(BrokenCatalogue, a_json_schema_with_a_syntax_error_names_its_file) {
  auto d = add("bad", 1, "schema.json", "{\"type\": ");
  EXPECT_EQ(error().rfind((d / "schema.json").string() + " : line 1: not valid JSON", 0), 0u) << error();
}

TEST_F(BrokenCatalogue, a_descriptor_that_disagrees_with_its_folder_is_refused) {
  auto d = add("folder-name", 1, "schema.json", R"({"type":"object"})", "other-name");
  EXPECT_EQ(error(), (d / "contract.json").string() + " : says other-name@v1 but lives in folder-name/v1");
}

TEST_F(BrokenCatalogue, a_missing_schema_file_is_named) {
  auto d = add("x", 1, "schema.json", "{}");
  fs::remove(d / "schema.json");
  EXPECT_EQ(error(), (d / "schema.json").string() + " : schema file not found");
}

TEST_F(BrokenCatalogue, an_empty_folder_is_refused) {
  fs::create_directories(dir_);
  EXPECT_EQ(error(), dir_.string() + " : no contracts found (<name>/v<N>/contract.json)");
}

TEST(ContractId, parses_name_and_version) {
  EXPECT_EQ(Catalogue::parse_id("edxml@v1"), std::make_pair(std::string("edxml"), 1));
  EXPECT_EQ(Catalogue::parse_id("dvcqg.DongBoHoSoMC@v12"), std::make_pair(std::string("dvcqg.DongBoHoSoMC"), 12));
  EXPECT_FALSE(Catalogue::parse_id("edxml"));
  EXPECT_FALSE(Catalogue::parse_id("edxml@1"));
  EXPECT_FALSE(Catalogue::parse_id("edxml@v"));
  EXPECT_FALSE(Catalogue::parse_id("@v1"));
  EXPECT_FALSE(Catalogue::parse_id("edxml@v0"));
}

// ---- hostile XML -----------------------------------------------------------------------------

std::vector<ValidationError> xml_errors(const std::string& doc, ParseLimits limits = {}) {
  std::vector<ValidationError> errors;
  auto parsed = parse_xml(doc, limits, errors);
  EXPECT_EQ(parsed == nullptr, !errors.empty());
  return errors;
}

TEST(SafeXml, refuses_an_external_entity_without_reading_the_file) {
  fs::path secret = fs::temp_directory_path() / ("lgsp-xxe-" + std::to_string(::getpid()));
  std::ofstream(secret) << "TOP-SECRET";
  auto errors = xml_errors("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file://" + secret.string() +
                           "\">]><r>&x;</r>");
  fs::remove(secret);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "a DOCTYPE (DTD) is not allowed: external entities and entity expansion are refused");
  // Even when a validator would print the document, the file's content was never read into it.
  EXPECT_EQ(to_text(errors).find("TOP-SECRET"), std::string::npos);
}

TEST(SafeXml, refuses_billion_laughs_quickly) {
  std::string doc = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">";
  doc += "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">";
  for (int i = 2; i <= 9; ++i) {
    doc += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int j = 0; j < 10; ++j) doc += "&lol" + std::to_string(i - 1) + ";";
    doc += "\">";
  }
  doc += "]><lolz>&lol9;</lolz>";
  auto errors = xml_errors(doc);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("DOCTYPE"), std::string::npos);
}

TEST(SafeXml, refuses_an_external_dtd) {
  auto errors = xml_errors("<!DOCTYPE r SYSTEM \"http://127.0.0.1:1/evil.dtd\"><r/>");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("DOCTYPE"), std::string::npos);
}

TEST(SafeXml, refuses_deep_nesting) {
  std::string doc;
  for (int i = 0; i < 100; ++i) doc += "<a>";
  for (int i = 0; i < 100; ++i) doc += "</a>";
  ParseLimits limits;
  limits.max_depth = 50;
  auto errors = xml_errors(doc, limits);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "nesting deeper than the limit of 50 elements");
}

TEST(SafeXml, refuses_very_deep_nesting_without_crashing) {
  std::string doc;
  for (int i = 0; i < 100000; ++i) doc += "<a>";
  for (int i = 0; i < 100000; ++i) doc += "</a>";
  EXPECT_EQ(xml_errors(doc).size(), 1u);  // libxml2's own cap (256) stops it before our walk
}

TEST(SafeXml, refuses_an_oversized_document_before_parsing) {
  ParseLimits limits;
  limits.max_document_bytes = 1024;
  auto errors = xml_errors("<r>" + std::string(2000, 'x') + "</r>", limits);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "document is 2007 bytes, larger than the limit of 1024");
}

TEST(SafeXml, refuses_too_many_attributes) {
  std::string doc = "<r";
  for (int i = 0; i < 10; ++i) doc += " a" + std::to_string(i) + "=\"1\"";
  doc += "/>";
  ParseLimits limits;
  limits.max_attributes = 5;
  auto errors = xml_errors(doc, limits);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "more than 5 attributes");
}

TEST(SafeXml, refuses_an_oversized_text_node) {
  ParseLimits limits;
  limits.max_text_bytes = 100;
  auto errors = xml_errors("<r><t>" + std::string(200, 'x') + "</t></r>", limits);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "/r/t");
  EXPECT_EQ(errors[0].message, "text longer than the limit of 100 bytes");
}

TEST(SafeXml, reports_line_and_column_of_a_syntax_error) {
  auto errors = xml_errors("<r>\n  <a></b>\n</r>");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_GT(errors[0].column, 0);
  EXPECT_EQ(errors[0].message.rfind("not well-formed XML: ", 0), 0u) << errors[0].message;
}

// The pre-scan: what would make libxml2 work harder than linearly is refused before libxml2 parses. Each input
// below is large enough that the parser alone takes seconds on it (measured with libxml2 2.9.14: 100,000
// attributes on one element 36 s, 100,000 distinct element names 2.5 s).

TEST(SafeXml, refuses_a_hundred_thousand_attributes_before_parsing) {
  std::string doc = "<r";
  for (int i = 0; i < 100000; ++i) doc += " a" + std::to_string(i) + "=\"\"";
  doc += "/>";
  ASSERT_GT(doc.size(), 900000u);
  auto errors = xml_errors(doc);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "more than 64 attributes");
  EXPECT_EQ(errors[0].line, 1);
  EXPECT_EQ(errors[0].column, static_cast<int>(doc.find(" a64=") + 2));  // the 65th attribute
}

TEST(SafeXml, counts_namespace_declarations_as_attributes) {
  std::string doc = "<r xmlns=\"urn:r\"";
  for (int i = 0; i < 100000; ++i) doc += " xmlns:p" + std::to_string(i) + "=\"urn:x\"";
  doc += "/>";
  auto errors = xml_errors(doc);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "more than 64 attributes");
}

TEST(SafeXml, refuses_many_distinct_names_before_parsing) {
  std::string doc = "<r>";
  for (int i = 0; i < 100000; ++i) doc += "<e" + std::to_string(i) + "/>";
  doc += "</r>";
  auto errors = xml_errors(doc);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "more than 10000 distinct names (elements, attributes, prefixes, namespaces)");
}

TEST(SafeXml, refuses_many_distinct_attribute_names_and_namespace_uris) {
  std::string attributes = "<r>";
  for (int i = 0; i < 20000; ++i) attributes += "<x a" + std::to_string(i) + "=\"\"/>";
  EXPECT_EQ(xml_errors(attributes + "</r>").at(0).message.rfind("more than 10000 distinct names", 0), 0u);
  std::string uris = "<r>";
  for (int i = 0; i < 20000; ++i) uris += "<x xmlns:p=\"urn:" + std::to_string(i) + "\"/>";
  EXPECT_EQ(xml_errors(uris + "</r>").at(0).message.rfind("more than 10000 distinct names", 0), 0u);
}

TEST(SafeXml, many_elements_with_few_names_are_fine) {
  std::string doc = "<r>";
  for (int i = 0; i < 50000; ++i) doc += "<e a=\"" + std::to_string(i) + "\">" + std::to_string(i) + "</e>";
  doc += "</r>";
  EXPECT_TRUE(xml_errors(doc).empty());
}

TEST(SafeXml, the_prescan_of_a_ten_megabyte_document_is_one_pass) {
  // 10 MB in 400,000 short texts and attribute values with entity references: any search that ran to the end of
  // the document per text would take hours here.
  std::string doc = "<r>";
  doc.reserve(10'500'000);
  while (doc.size() < 10'000'000) doc += "<e a=\"x &amp; y\">a &lt; b</e>";
  doc += "</r>";
  EXPECT_FALSE(prescan_xml(doc, ParseLimits{}).has_value());
}

TEST(SafeXml, refuses_a_huge_name) {
  auto errors = xml_errors("<r><" + std::string(40000, 'n') + "/></r>");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "element name longer than the limit of 1024 bytes");
  EXPECT_EQ(xml_errors("<r " + std::string(2000, 'a') + "=\"1\"/>").at(0).message,
            "attribute name longer than the limit of 1024 bytes");
}

TEST(SafeXml, refuses_deep_nesting_before_parsing) {
  std::string doc;
  for (int i = 0; i < 65; ++i) doc += "<a>";  // never closed: the scanner stops at the 65th
  auto errors = xml_errors(doc);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "nesting deeper than the limit of 64 elements");
  EXPECT_EQ(errors[0].column, 64 * 3 + 1);
}

TEST(SafeXml, refuses_a_long_attribute_value) {
  ParseLimits limits;
  limits.max_text_bytes = 100;
  auto errors = xml_errors("<r a=\"" + std::string(200, 'x') + "\"/>", limits);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "attribute value longer than the limit of 100 bytes");
}

TEST(SafeXml, refuses_entities_a_document_without_dtd_cannot_define) {
  std::string doc = "<r>";
  for (int i = 0; i < 1000; ++i) doc += "&e" + std::to_string(i) + ";";
  doc += "</r>";
  EXPECT_EQ(xml_errors(doc).at(0).message,
            "the entity '&e0;' is not defined: without a DTD only &lt; &gt; &amp; &apos; &quot; exist");
  EXPECT_EQ(xml_errors("<r a=\"&x;\"/>").at(0).message.rfind("the entity '&x;' is not defined", 0), 0u);
  EXPECT_EQ(xml_errors("<r>&#xZZ;</r>").at(0).message, "not well-formed XML: malformed character reference");
}

TEST(SafeXml, refuses_encodings_a_byte_scanner_cannot_read) {
  const std::string utf16("\xFF\xFE<\0r\0/\0>\0", 10);
  EXPECT_EQ(xml_errors(utf16).at(0).message.rfind("a NUL byte", 0), 0u);
  EXPECT_EQ(xml_errors("<?xml version=\"1.0\" encoding=\"UTF-32\"?><r/>")
                .at(0)
                .message.rfind("the encoding 'UTF-32' is not accepted", 0),
            0u);
  EXPECT_EQ(xml_errors("<?xml version=\"1.0\" encoding=\"EBCDIC-US\"?><r/>").size(), 1u);
  // ASCII-compatible encodings are read as before.
  EXPECT_TRUE(xml_errors("<?xml version='1.0' encoding='ISO-8859-1'?><r>caf\xE9</r>").empty());
  EXPECT_TRUE(xml_errors("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><r/>").empty());
}

TEST(SafeXml, the_prescan_reads_well_formed_markup_as_libxml2_does) {
  const std::string doc =
      "<?xml version=\"1.0\"?>\n<?stylesheet x?>\n<!-- a <comment> & more -->\n"
      "<p:r xmlns:p=\"urn:p\" a = 'x > y' b=\"it's &amp; &#233; &#xE9;\">\n"
      "  <![CDATA[ <not-a-tag a=\"1\"> & ]]>\n  <e\n   a=\"1\"\n  /><p:e>t</p:e >\n  <?pi <x>?>\n</p:r >\n"
      "<!-- after -->\n";
  EXPECT_TRUE(xml_errors(doc).empty());
  // Sixty-four attributes are allowed, as before.
  std::string wide = "<r";
  for (int i = 0; i < 64; ++i) wide += " a" + std::to_string(i) + "=\"\"";
  EXPECT_TRUE(xml_errors(wide + "/>").empty());
}

TEST(SafeXml, refuses_markup_the_prescan_cannot_read) {
  EXPECT_EQ(xml_errors("<r a=\"<x>\"/>").at(0).message, "not well-formed XML: '<' inside an attribute value");
  EXPECT_EQ(xml_errors("<r a=\"1\"b=\"2\"/>").at(0).message,
            "not well-formed XML: attributes must be separated by whitespace");
  EXPECT_EQ(xml_errors("<r><!ENTITY x \"y\"></r>").at(0).message,
            "not well-formed XML: '<!' that opens neither a comment nor a CDATA section");
  EXPECT_EQ(xml_errors("<r a=\"1/>").at(0).message, "not well-formed XML: unterminated attribute value");
  EXPECT_EQ(xml_errors("x<r/>").at(0).message.rfind("not well-formed XML: the document must start with '<'", 0), 0u);
}

TEST(SafeXml, refuses_an_empty_document) { EXPECT_EQ(xml_errors("")[0].message, "empty document"); }

// ---- hostile JSON ----------------------------------------------------------------------------

std::vector<ValidationError> json_errors(const std::string& doc, ParseLimits limits = {}) {
  std::vector<ValidationError> errors;
  auto parsed = parse_json(doc, limits, errors);
  EXPECT_EQ(!parsed.has_value(), !errors.empty());
  return errors;
}

TEST(SafeJson, refuses_deep_nesting_early) {
  auto errors = json_errors(std::string(1'000'000, '['));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "nesting deeper than the limit of 64");
}

TEST(SafeJson, refuses_an_oversized_document) {
  ParseLimits limits;
  limits.max_document_bytes = 1024;
  EXPECT_EQ(json_errors("\"" + std::string(2000, 'x') + "\"", limits)[0].message,
            "document is 2002 bytes, larger than the limit of 1024");
}

TEST(SafeJson, refuses_a_long_string_and_too_many_members) {
  ParseLimits limits;
  limits.max_text_bytes = 10;
  EXPECT_EQ(json_errors(R"({"a":"0123456789abc"})", limits)[0].message,
            "a string is longer than the limit of 10 bytes");
  ParseLimits few;
  few.max_members = 3;
  EXPECT_EQ(json_errors(R"({"a":1,"b":2,"c":3,"d":4})", few)[0].message, "an object has more than 3 members");
  EXPECT_EQ(json_errors(R"([1,[2],{},4])", few)[0].message, "an array has more than 3 items");
  EXPECT_TRUE(json_errors(R"([1,[2,3,4],{"a":1,"b":2,"c":3}])", few).empty());
}

TEST(SafeJson, reports_line_and_column_of_a_syntax_error) {
  auto errors = json_errors("{\n  \"a\": 1,\n  \"b\": tru\n}");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_GT(errors[0].column, 5);
  EXPECT_EQ(errors[0].message.rfind("not valid JSON: parse error", 0), 0u) << errors[0].message;
}

TEST(SafeJson, refuses_a_number_beyond_a_double_with_a_reason) {
  // nlohmann throws out_of_range (406) for these, which parse_json let escape (found by fuzzing).
  for (const char* doc : {"[1e400]", "-1e999", R"({"a":1844184461e744073709551615})"}) {
    std::vector<ValidationError> errors;
    std::optional<nlohmann::json> parsed;
    EXPECT_NO_THROW(parsed = parse_json(doc, ParseLimits{}, errors)) << doc;
    EXPECT_FALSE(parsed.has_value()) << doc;
    ASSERT_EQ(errors.size(), 1u) << doc;
    EXPECT_EQ(errors[0].message.rfind("not valid JSON: number overflow", 0), 0u) << errors[0].message;
  }
}

TEST(SafeJson, accepts_a_document_within_the_limits) {
  auto errors = json_errors(R"({"MaHoSo":"000.00.13.H29-261122-0001","TaiLieuNop":[{"a":[1,2]}]})");
  EXPECT_TRUE(errors.empty());
}

// ---- documents a JSON contract validates -------------------------------------------------------
// A JSON contract parses the document itself (RapidJSON): the same limits and messages as
// parse_json(), and nothing a receiver could read differently from what was validated.

std::vector<ValidationError> contract_errors(const std::string& doc, ParseLimits limits = {}) {
  auto result = shipped().find("hotich.trichluc-result@v1")->validate(doc, limits);
  return result.errors;
}

std::string valid_result() {
  return slurp(shipped().find("hotich.trichluc-result@v1")->dir() / "examples/valid-2-not-found.json");
}

TEST(JsonContract, accepts_a_valid_document_and_one_behind_a_byte_order_mark) {
  EXPECT_TRUE(contract_errors(valid_result()).empty()) << to_text(contract_errors(valid_result()));
  EXPECT_TRUE(contract_errors("\xEF\xBB\xBF" + valid_result()).empty());
}

TEST(JsonContract, refuses_a_member_named_twice_with_its_place) {
  // nlohmann would keep the second "status", another parser the first: validated must mean read.
  auto errors = contract_errors(R"({"request_id":"REQ-1","status":"not_found","message":"x","status":"found"})");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "");
  EXPECT_EQ(errors[0].message, "the member 'status' appears more than once");
  auto nested = contract_errors(R"({"a":[{"x":1},{"y~/":1,"y~/":2}]})");
  ASSERT_EQ(nested.size(), 1u);
  EXPECT_EQ(nested[0].path, "/a/1");
  EXPECT_EQ(nested[0].message, "the member 'y~/' appears more than once");
  auto deeper = contract_errors(R"({"a/b":{"c":{"d":1,"d":1}}})");
  ASSERT_EQ(deeper.size(), 1u);
  EXPECT_EQ(deeper[0].path, "/a~1b/c");
}

TEST(JsonContract, refuses_bytes_after_the_value_even_behind_a_nul) {
  for (const std::string& tail : {std::string(" x"), std::string("\0{}", 3), std::string(" {}")}) {
    auto errors = contract_errors(valid_result() + tail);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message.rfind("not valid JSON: parse error at line", 0), 0u) << errors[0].message;
  }
  auto nul_inside = contract_errors(std::string("{\"a\":\"x\0y\"}", 11));
  ASSERT_EQ(nul_inside.size(), 1u);
  EXPECT_EQ(nul_inside[0].message.rfind("not valid JSON", 0), 0u);
}

TEST(JsonContract, reports_line_and_column_of_a_syntax_error_and_bad_utf8) {
  auto errors = contract_errors("{\n  \"a\": 1,\n  \"b\": tru\n}");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_GT(errors[0].column, 5);
  EXPECT_EQ(errors[0].message.rfind("not valid JSON: parse error at line 3", 0), 0u) << errors[0].message;
  auto utf8 = contract_errors("{\"a\":\"\xC3\x28\"}");
  ASSERT_EQ(utf8.size(), 1u);
  EXPECT_NE(utf8[0].message.find("Invalid encoding"), std::string::npos) << utf8[0].message;
}

TEST(JsonContract, applies_the_parse_limits_with_the_same_words_as_parse_json) {
  EXPECT_EQ(contract_errors("")[0].message, "empty document");
  EXPECT_EQ(contract_errors(std::string(1'000'000, '['))[0].message, "nesting deeper than the limit of 64");
  ParseLimits small;
  small.max_document_bytes = 1024;
  EXPECT_EQ(contract_errors("\"" + std::string(2000, 'x') + "\"", small)[0].message,
            "document is 2002 bytes, larger than the limit of 1024");
  ParseLimits short_text;
  short_text.max_text_bytes = 10;
  EXPECT_EQ(contract_errors(R"({"a":"0123456789abc"})", short_text)[0].message,
            "a string is longer than the limit of 10 bytes");
  EXPECT_EQ(contract_errors(R"({"0123456789abc":1})", short_text)[0].message,
            "a key is longer than the limit of 10 bytes");
  ParseLimits few;
  few.max_members = 3;
  EXPECT_EQ(contract_errors(R"({"a":1,"b":2,"c":3,"d":4})", few)[0].message, "an object has more than 3 members");
  EXPECT_EQ(contract_errors(R"([1,[2],{},4])", few)[0].message, "an array has more than 3 items");
  // Within the limits, the document reaches the schema (which wants an object, not an array).
  auto within = contract_errors(R"([1,[2,3,4],{"a":1,"b":2,"c":3}])", few);
  ASSERT_FALSE(within.empty());
  EXPECT_EQ(within[0].message.find("limit"), std::string::npos) << within[0].message;
}

TEST(JsonContract, a_large_document_with_many_members_and_items_validates) {
  // Beyond the first pooled block of the parser, and objects large enough to be checked by sorting.
  auto big = shipped().find("dvcqg.DongBoHoSoMC@v1");
  std::string sample;
  for (const auto& f : fs::directory_iterator(big->dir() / "examples"))
    if (f.path().filename().string().rfind("valid-", 0) == 0) sample = slurp(f.path());
  auto j = nlohmann::json::parse(sample);
  ASSERT_TRUE(j.contains("data") && j["data"].is_array());
  while (j.dump().size() < 200 * 1024) j["data"].push_back(j["data"][0]);
  auto result = big->validate(j.dump(), ParseLimits{});
  EXPECT_TRUE(result.valid()) << to_text(result.errors);
  nlohmann::json wide = nlohmann::json::object();
  for (int i = 0; i < 100; ++i) wide["k" + std::to_string(i)] = i;
  std::string text = wide.dump();
  text.insert(text.size() - 1, ",\"k42\":0");
  auto errors = big->validate(text, ParseLimits{}).errors;
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "the member 'k42' appears more than once");
}

// Numbers and strings are read as receivers read them: nothing beyond a double's range passes a
// range check as infinity, and no string holds what is not UTF-8.
TEST(JsonContract, reads_numbers_and_escapes_as_receivers_do) {
  auto* c = shipped().find("hotich.trichluc-request@v1");
  const std::string good = slurp(c->dir() / "examples/valid-1-birth-by-registration.json");
  ASSERT_NE(good.find("\"copies\": 2"), std::string::npos);
  auto with_copies = [&](const std::string& number) {
    std::string doc = good;
    const std::string was = "\"copies\": 2";
    doc.replace(doc.find(was), was.size(), "\"copies\": " + number);
    return c->validate(doc, ParseLimits{});
  };
  EXPECT_TRUE(with_copies("20").valid());
  EXPECT_FALSE(with_copies("21").valid());
  for (const char* huge : {"1.8e308", "3.6e308", "-1.8e308"}) {
    auto r = with_copies(huge);
    ASSERT_EQ(r.errors.size(), 1u) << huge;
    EXPECT_EQ(r.errors[0].message, std::string("the number ") + huge + " is beyond the range of a double");
  }
  for (const char* huge : {"1e400", "-1e400"}) {  // the reader refuses these itself
    auto r = with_copies(huge);
    ASSERT_EQ(r.errors.size(), 1u) << huge;
    EXPECT_NE(r.errors[0].message.find("Number too big"), std::string::npos) << r.errors[0].message;
  }
  // Tiny numbers are 0 (as strtod reads them), long ones are read without running off a table,
  // integers beyond 64 bits are doubles: each is then judged by the schema (copies is an integer 1-20).
  for (const char* odd : {"1e-400", "1.2827723552350182613e-330", "18446744073709551616", "-9223372036854775809",
                          "9223372036854775808", "18446744073709551615", "2.0000000000000000000000000001"}) {
    auto r = with_copies(odd);
    ASSERT_FALSE(r.valid()) << odd;
    EXPECT_EQ(r.errors[0].message.find("not valid JSON"), std::string::npos) << odd << ": " << r.errors[0].message;
    EXPECT_EQ(r.errors[0].message.find("beyond the range"), std::string::npos) << odd;
  }
  // Above INT64_MAX: read as the huge number it is, which the maximum (20) refuses, not wrapped into a
  // negative one (valijson reads integers as int64) that passes any maximum.
  for (const char* big : {"9223372036854775808", "18446744073709551615", "18446744073709551616"}) {
    bool over_maximum = false;
    for (const auto& e : with_copies(big).errors)
      over_maximum = over_maximum || e.message.find("less than or equal to 20") != std::string::npos;
    EXPECT_TRUE(over_maximum) << big;
  }
  auto lone = contract_errors(R"(["\udc00"])");
  ASSERT_EQ(lone.size(), 1u);
  EXPECT_EQ(lone[0].message, "a string holds a lone UTF-16 surrogate (\\uD800-\\uDFFF)");
  auto unpaired = contract_errors(R"(["\ud800x"])");
  ASSERT_EQ(unpaired.size(), 1u);
  EXPECT_EQ(unpaired[0].message.rfind("not valid JSON", 0), 0u) << unpaired[0].message;
  auto pair = contract_errors(R"({"request_id":"\ud83d\ude00","status":"found"})");
  ASSERT_FALSE(pair.empty());
  EXPECT_EQ(pair[0].message.find("surrogate"), std::string::npos) << "a proper pair is one character";
  auto nul_key = contract_errors(R"({"a\u0000b":1,"a":2})");
  ASSERT_EQ(nul_key.size(), 1u);
  EXPECT_EQ(nul_key[0].message, "a key holds a NUL character (\\u0000)");
}

}  // namespace
