// edXML packaging: what we pack is valid edxml@v1, unpacks byte-identically, and unpack checks
// every attachment against the manifest.
#include "lgsp/contracts/edxml.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/safe_xml.hpp"

#include <gtest/gtest.h>
#include <libxml/tree.h>

#include <random>

using namespace lgsp::contracts;
namespace ed = lgsp::contracts::edxml;

namespace {

nlohmann::ordered_json sample_header() {
  return nlohmann::ordered_json::parse(R"({
    "MessageHeader": {
      "From": {"OrganId": "000.00.13.H29", "OrganName": "UBND phường Bến Thành"},
      "To": [{"OrganId": "000.00.00.H29", "OrganName": "UBND Thành phố Hồ Chí Minh"}],
      "Subject": "V/v cấp trích lục khai sinh",
      "DocumentId": "000.00.13.H29,2026/11/22,125/UBND-TP",
      "Code": {"CodeNumber": "125", "CodeNotation": "UBND-TP"},
      "PromulgationInfo": {"Place": "Thành phố Hồ Chí Minh", "PromulgationDate": "2026/11/22"},
      "DocumentType": {"Type": "1", "TypeName": "Công văn"},
      "Content": "Nội dung <có> ký tự & đặc biệt",
      "SignerInfo": {"Competence": "TM. UBND", "Position": "Chủ tịch", "FullName": "Nguyễn Văn An"},
      "OtherInfo": {"Priority": "0", "PromulgationAmount": "1", "PageAmount": "1"},
      "ToPlaces": {"Place": ["Như trên", "Lưu: VT"]},
      "SteeringType": "0"
    },
    "TraceHeaderList": {"Bussiness": {"BussinessDocType": "0"}}
  })");
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

ed::Package sample_package() {
  ed::Package p;
  p.header = sample_header();
  ed::add_trace_header(p.header, "000.00.13.H29", std::chrono::system_clock::now());
  p.attachments.push_back(
      {"cid:1-cong-van.pdf", "công văn.pdf", "application/pdf", "Bản ký số", random_bytes(70000, 1)});
  p.attachments.push_back({"cid:2-phu-luc.docx", "phụ lục.docx", ed::media_type_for("x.docx"), "", random_bytes(3, 2)});
  return p;
}

const Contract& edxml_contract() {
  static const Catalogue c = Catalogue::load(default_catalogue_dir());
  return *c.find("edxml@v1");
}

TEST(Edxml, a_packed_package_is_valid_edxml_v1) {
  auto xml = ed::pack(sample_package());
  auto r = edxml_contract().validate(xml, ParseLimits{});
  EXPECT_TRUE(r.valid()) << to_text(r.errors);
}

TEST(Edxml, unpack_gives_back_the_attachments_byte_for_byte_and_the_header) {
  auto original = sample_package();
  auto back = ed::unpack(ed::pack(original), ParseLimits{});
  ASSERT_EQ(back.attachments.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.attachments[i].data, original.attachments[i].data);
    EXPECT_EQ(back.attachments[i].name, original.attachments[i].name);
    EXPECT_EQ(back.attachments[i].content_type, original.attachments[i].content_type);
    EXPECT_EQ(back.attachments[i].description, original.attachments[i].description);
  }
  EXPECT_EQ(back.header["MessageHeader"]["Content"], "Nội dung <có> ký tự & đặc biệt");
  EXPECT_EQ(back.header["MessageHeader"]["To"][0]["OrganId"], "000.00.00.H29");
  EXPECT_EQ(back.header["MessageHeader"]["ToPlaces"]["Place"][1], "Lưu: VT");
  // Packing what was unpacked gives the same document.
  EXPECT_EQ(ed::pack(back), ed::pack(original));
}

TEST(Edxml, every_element_carries_the_edxml_prefix) {
  auto xml = ed::pack(sample_package());
  std::vector<ValidationError> errors;
  auto doc = parse_xml(xml, ParseLimits{}, errors);
  ASSERT_TRUE(doc);
  int elements = 0;
  std::function<void(xmlNode*)> walk = [&](xmlNode* n) {
    for (; n; n = n->next) {
      if (n->type != XML_ELEMENT_NODE) continue;
      ++elements;
      ASSERT_NE(n->ns, nullptr) << n->name;
      EXPECT_STREQ(reinterpret_cast<const char*>(n->ns->prefix), "edXML") << n->name;
      EXPECT_STREQ(reinterpret_cast<const char*>(n->ns->href), ed::kNamespace);
      walk(n->children);
    }
  };
  walk(xmlDocGetRootElement(doc.get()));
  EXPECT_GT(elements, 40);
}

TEST(Edxml, message_header_children_follow_the_schema_order_whatever_the_json_order) {
  auto xml = ed::pack(sample_package());
  EXPECT_LT(xml.find("<edXML:DocumentId>"), xml.find("<edXML:Subject>"));
  EXPECT_LT(xml.find("<edXML:ToPlaces>"), xml.find("<edXML:OtherInfo>"));
  EXPECT_LT(xml.find("<edXML:TraceHeader>"), xml.find("<edXML:Bussiness>"));
}

TEST(Edxml, add_trace_header_appends_one_hop_in_vietnam_time) {
  auto h = sample_header();
  // 2026-11-22 17:30:05 UTC is 2026-11-23 00:30:05 in Vietnam.
  auto at = std::chrono::sys_days(std::chrono::year(2026) / 11 / 22) + std::chrono::hours(17) +
            std::chrono::minutes(30) + std::chrono::seconds(5);
  ed::add_trace_header(h, "000.00.13.H29", at);
  ed::add_trace_header(h, "000.00.00.H29", at + std::chrono::seconds(2));
  auto& traces = h["TraceHeaderList"]["TraceHeader"];
  ASSERT_EQ(traces.size(), 2u);
  EXPECT_EQ(traces[0]["Timestamp"], "2026/11/23 00:30:05");
  EXPECT_EQ(traces[1]["OrganId"], "000.00.00.H29");
  EXPECT_EQ(traces[1]["Timestamp"], "2026/11/23 00:30:07");
}

TEST(Edxml, pack_refuses_a_header_without_message_header) {
  ed::Package p;
  p.header = nlohmann::ordered_json::parse(R"({"TraceHeaderList": {}})");
  EXPECT_THROW(ed::pack(p), ed::EdxmlError);
  p.header = nlohmann::ordered_json::parse(R"({"MessageHeader": {}, "TraceHeaderList": {}, "Extra": 1})");
  try {
    ed::pack(p);
    FAIL();
  } catch (const ed::EdxmlError& e) {
    EXPECT_STREQ(e.what(), "header: unknown key \"Extra\" (expected MessageHeader, TraceHeaderList)");
  }
}

TEST(Edxml, pack_refuses_duplicate_content_ids) {
  auto p = sample_package();
  p.attachments[1].content_id = p.attachments[0].content_id;
  EXPECT_THROW(ed::pack(p), ed::EdxmlError);
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

std::string unpack_error(const std::string& xml) {
  try {
    ed::unpack(xml, ParseLimits{});
  } catch (const ed::EdxmlError& e) {
    return e.what();
  }
  return "(unpacked)";
}

TEST(Edxml, unpack_refuses_an_attachment_missing_from_the_manifest) {
  auto xml = ed::pack(sample_package());
  // Rename the manifest's entry so the attachment is no longer listed.
  xml = replace_once(xml, "<edXML:ContentId>cid:1-cong-van.pdf</edXML:ContentId>",
                     "<edXML:ContentId>cid:9-other</edXML:ContentId>");
  EXPECT_EQ(unpack_error(xml), "attachment cid:1-cong-van.pdf: not listed in the manifest");
}

TEST(Edxml, unpack_refuses_a_name_or_type_that_differs_from_the_manifest) {
  auto xml = ed::pack(sample_package());
  auto renamed = replace_once(xml, "<edXML:AttachmentName>công văn.pdf</edXML:AttachmentName>",
                              "<edXML:AttachmentName>evil.exe</edXML:AttachmentName>");
  EXPECT_EQ(unpack_error(renamed),
            "attachment cid:1-cong-van.pdf: AttachmentName 'công văn.pdf' differs from the manifest's 'evil.exe'");
  auto retyped = xml;
  auto at = retyped.rfind("<edXML:ContentType>application/pdf</edXML:ContentType>");
  retyped.replace(at, std::string("<edXML:ContentType>application/pdf</edXML:ContentType>").size(),
                  "<edXML:ContentType>text/html</edXML:ContentType>");
  EXPECT_EQ(unpack_error(retyped),
            "attachment cid:1-cong-van.pdf: ContentType 'text/html' differs from the manifest's 'application/pdf'");
}

TEST(Edxml, unpack_refuses_bad_base64) {
  auto p = sample_package();
  p.attachments.resize(1);
  p.attachments[0].data = "abc";  // "YWJj"
  auto xml = replace_once(ed::pack(p), "YWJj", "YW*j");
  EXPECT_EQ(unpack_error(xml), "attachment cid:1-cong-van.pdf: ContentTransferEncoded is not valid base64");
}

TEST(Edxml, unpack_refuses_a_manifest_entry_without_its_attachment) {
  auto p = sample_package();
  auto xml = ed::pack(p);
  auto start = xml.find("<edXML:AttachmentEncoded>");
  auto end = xml.find("</edXML:AttachmentEncoded>") + std::string("</edXML:AttachmentEncoded>").size();
  xml.erase(start, end - start);
  EXPECT_EQ(unpack_error(xml), "manifest lists cid:1-cong-van.pdf (công văn.pdf) but the package does not carry it");
}

TEST(Edxml, unpack_accepts_base64_wrapped_in_lines) {
  auto p = sample_package();
  p.attachments.resize(1);
  p.attachments[0].data = "Xin chào, đây là tệp đính kèm dài hơn một dòng base64 bảy mươi sáu ký tự.";
  auto xml = ed::pack(p);
  auto at = xml.find("<edXML:ContentTransferEncoded>") + std::string("<edXML:ContentTransferEncoded>").size();
  xml.insert(at + 40, "\n    ");
  EXPECT_EQ(ed::unpack(xml, ParseLimits{}).attachments[0].data, p.attachments[0].data);
}

TEST(Edxml, unpack_refuses_something_that_is_not_edxml) {
  EXPECT_EQ(unpack_error("<edXML xmlns='urn:other'/>"),
            "the root element is not edXML in namespace http://www.mic.gov.vn/TBT/QCVN_102_2016");
}

TEST(Edxml, media_types_from_extensions) {
  EXPECT_EQ(ed::media_type_for("A.PDF"), "application/pdf");
  EXPECT_EQ(ed::media_type_for("scan.tiff"), "image/tiff");
  EXPECT_EQ(ed::media_type_for("noext"), "application/octet-stream");
}

}  // namespace
