// SOAP envelopes read and written on their own: versions, the payload element, headers, faults, hostile input.
#include "soap_envelope.hpp"
#include "soap_errors.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace lgsp::adapters::soap;

namespace {

const lgsp::contracts::ParseLimits kLimits;

std::string envelope11(const std::string& body, const std::string& header = "") {
  return R"(<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="urn:t">)" +
         (header.empty() ? "" : "<soapenv:Header>" + header + "</soapenv:Header>") + "<soapenv:Body>" + body +
         "</soapenv:Body></soapenv:Envelope>";
}

std::string envelope12(const std::string& body) {
  return R"(<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>)" + body +
         "</env:Body></env:Envelope>";
}

std::string deep(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "<t:d>";
  for (int i = 0; i < n; ++i) s += "</t:d>";
  return envelope11(s);
}

Refusal refusal_of(const std::string& bytes) {
  auto parsed = parse_envelope(bytes, kLimits);
  EXPECT_TRUE(std::holds_alternative<Refusal>(parsed)) << bytes;
  return std::holds_alternative<Refusal>(parsed) ? std::get<Refusal>(parsed) : Refusal{};
}

}  // namespace

TEST(SoapTransport, text_xml_with_soapaction_is_soap11) {
  auto t = read_transport("text/xml; charset=utf-8", "\"urn:TraCuu\"");
  ASSERT_TRUE(std::holds_alternative<Transport>(t));
  EXPECT_EQ(std::get<Transport>(t).version, SoapVersion::v11);
  EXPECT_EQ(std::get<Transport>(t).action, "urn:TraCuu");
}

TEST(SoapTransport, soap_xml_action_parameter_is_soap12) {
  auto t = read_transport("application/soap+xml; charset=UTF-8; action=\"urn:TraCuu\"", std::nullopt);
  ASSERT_TRUE(std::holds_alternative<Transport>(t));
  EXPECT_EQ(std::get<Transport>(t).version, SoapVersion::v12);
  EXPECT_EQ(std::get<Transport>(t).action, "urn:TraCuu");
}

TEST(SoapTransport, refuses_other_content_types_missing_soapaction_and_other_charsets) {
  for (auto [type, action] : std::vector<std::pair<std::optional<std::string>, std::optional<std::string>>>{
           {"application/json", "x"},
           {std::nullopt, "x"},
           {"text/xml", std::nullopt},
           {"text/xml; charset=utf-16", "x"}}) {
    auto t = read_transport(type, action);
    ASSERT_TRUE(std::holds_alternative<Refusal>(t)) << type.value_or("(none)");
  }
  EXPECT_EQ(std::get<Refusal>(read_transport("application/json", "x")).error->code, "LGSP-400-SOAP-VERSION");
}

TEST(SoapEnvelope, payload_is_the_body_element_with_its_namespaces_declared) {
  auto parsed =
      parse_envelope(envelope11("<t:Req><t:a xsi:type=\"t:X\" xmlns:xsi=\"urn:xsi\">1</t:a></t:Req>"), kLimits);
  ASSERT_TRUE(std::holds_alternative<Envelope>(parsed)) << std::get<Refusal>(parsed).detail;
  const auto& env = std::get<Envelope>(parsed);
  EXPECT_EQ(env.version, SoapVersion::v11);
  EXPECT_EQ(env.payload_name, (QName{"urn:t", "Req"}));
  // The t: prefix was declared on the Envelope: the payload declares it itself now.
  EXPECT_NE(env.payload.find("xmlns:t=\"urn:t\""), std::string::npos) << env.payload;
  EXPECT_EQ(env.payload.find("Envelope"), std::string::npos) << env.payload;
  auto again = parse_envelope(envelope12(env.payload), kLimits);
  ASSERT_TRUE(std::holds_alternative<Envelope>(again));
  EXPECT_EQ(std::get<Envelope>(again).version, SoapVersion::v12);
}

TEST(SoapEnvelope, reads_a_username_token) {
  const std::string header =
      R"(<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" soapenv:mustUnderstand="1"><wsse:UsernameToken><wsse:Username>motcua</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">abc=</wsse:Password><wsse:Nonce>bm9uY2U=</wsse:Nonce><wsu:Created>2026-12-04T20:00:00Z</wsu:Created></wsse:UsernameToken></wsse:Security>)";
  auto parsed = parse_envelope(envelope11("<t:Req/>", header), kLimits);
  ASSERT_TRUE(std::holds_alternative<Envelope>(parsed)) << std::get<Refusal>(parsed).detail;
  const auto& token = std::get<Envelope>(parsed).username_token;
  ASSERT_TRUE(token);
  EXPECT_EQ(token->username, "motcua");
  EXPECT_TRUE(token->digest);
  EXPECT_EQ(token->nonce, "bm9uY2U=");
  EXPECT_EQ(token->created, "2026-12-04T20:00:00Z");
}

TEST(SoapEnvelope, refuses_a_must_understand_header_it_does_not_know) {
  auto r = refusal_of(envelope11("<t:Req/>", R"(<t:Tx soapenv:mustUnderstand="1">x</t:Tx>)"));
  EXPECT_EQ(r.role, FaultRole::must_understand);
  // Not marked: ignored.
  EXPECT_TRUE(std::holds_alternative<Envelope>(parse_envelope(envelope11("<t:Req/>", "<t:Tx>x</t:Tx>"), kLimits)));
}

TEST(SoapEnvelope, refuses_hostile_and_malformed_envelopes) {
  const std::vector<std::string> bad = {
      "",
      "not xml at all",
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>",
      R"(<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>)" +
          envelope11("<t:Req>&b;</t:Req>"),
      R"(<!DOCTYPE x SYSTEM "file:///etc/passwd">)" + envelope11("<t:Req/>"),
      envelope11(""),                                                                     // no payload
      envelope11("<t:A/><t:B/>"),                                                         // two payloads
      envelope11("text<t:A/>"),                                                           // text in Body
      "<t:Req xmlns:t=\"urn:t\"/>",                                                       // not an envelope
      "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"/>",  // no Body
      envelope11(std::string(100, '<') + "t:x>"),
      deep(70),
  };
  for (const auto& bytes : bad) {
    auto r = refusal_of(bytes);
    ASSERT_NE(r.error, nullptr) << bytes.substr(0, 200);
    EXPECT_EQ(r.error->code, "LGSP-400-SOAP-ENVELOPE") << bytes.substr(0, 200) << " -> " << r.detail;
    EXPECT_LE(r.detail.size(), 1100u);
  }
  auto doctype = refusal_of(R"(<!DOCTYPE x SYSTEM "file:///etc/passwd">)" + envelope11("<t:Req/>"));
  EXPECT_NE(doctype.detail.find("DOCTYPE"), std::string::npos) << doctype.detail;
}

TEST(SoapEnvelope, an_envelope_in_another_namespace_is_a_version_mismatch) {
  auto r = refusal_of("<e:Envelope xmlns:e=\"urn:other\"><e:Body><x/></e:Body></e:Envelope>");
  EXPECT_EQ(r.role, FaultRole::version_mismatch);
}

TEST(SoapEnvelope, builds_an_envelope_around_a_payload_and_reads_it_back) {
  for (auto version : {SoapVersion::v11, SoapVersion::v12}) {
    const std::string built =
        build_envelope(version, "<?xml version=\"1.0\"?><r:Res xmlns:r=\"urn:r\">&lt;ok&gt; &amp; đúng</r:Res>",
                       kLimits, OutboundUsernameToken{"hotich", "p<&>"});
    auto parsed = parse_envelope(built, kLimits);
    ASSERT_TRUE(std::holds_alternative<Envelope>(parsed)) << built;
    const auto& env = std::get<Envelope>(parsed);
    EXPECT_EQ(env.version, version);
    EXPECT_EQ(env.payload_name, (QName{"urn:r", "Res"}));
    EXPECT_NE(env.payload.find("&lt;ok&gt; &amp; đúng"), std::string::npos) << env.payload;
    ASSERT_TRUE(env.username_token);
    EXPECT_EQ(env.username_token->password, "p<&>");
  }
  EXPECT_THROW(build_envelope(SoapVersion::v11, "{\"json\": true}", kLimits), std::invalid_argument);
}

TEST(SoapFault, soap11_fault_carries_our_code_and_reads_back) {
  const std::string xml =
      build_fault(SoapVersion::v11, fault_spec(errors::kAuth, FaultRole::sender, "unknown user <x>"));
  EXPECT_EQ(fault_http_status(SoapVersion::v11, FaultRole::sender), 500u);
  EXPECT_NE(xml.find("<faultcode>soap:Client</faultcode>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("LGSP-401-SOAP-AUTH"), std::string::npos);
  EXPECT_NE(xml.find("Thiếu hoặc sai"), std::string::npos);
  auto parsed = parse_envelope(xml, kLimits);
  ASSERT_TRUE(std::holds_alternative<Envelope>(parsed));
  const auto& fault = std::get<Envelope>(parsed).fault;
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->code, "soap:Client");
  EXPECT_NE(fault->reason.find("unknown user <x>"), std::string::npos);
  EXPECT_NE(fault->detail.find("LGSP-401-SOAP-AUTH"), std::string::npos);
}

TEST(SoapFault, soap12_fault_has_code_reason_in_two_languages_and_status_by_role) {
  const std::string xml = build_fault(SoapVersion::v12, fault_spec(errors::kAuth, FaultRole::receiver, "node down"));
  EXPECT_EQ(fault_http_status(SoapVersion::v12, FaultRole::sender), 400u);
  EXPECT_EQ(fault_http_status(SoapVersion::v12, FaultRole::receiver), 500u);
  EXPECT_NE(xml.find("xml:lang=\"vi\""), std::string::npos) << xml;
  auto parsed = parse_envelope(xml, kLimits);
  ASSERT_TRUE(std::holds_alternative<Envelope>(parsed));
  const auto& fault = std::get<Envelope>(parsed).fault;
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->code, "soap:Receiver");
  EXPECT_NE(fault->reason.find("LGSP-401-SOAP-AUTH"), std::string::npos);
}

TEST(SoapBounded, cuts_long_text_on_a_utf8_boundary_and_removes_control_characters) {
  std::string s = "a\nb";
  for (int i = 0; i < 2000; ++i) s += "đ";
  const std::string out = bounded(s, 100);
  EXPECT_LE(out.size(), 103u);
  EXPECT_EQ(out.substr(0, 3), "a b");
  EXPECT_EQ(out.substr(out.size() - 3), "...");
  EXPECT_EQ(out.size() % 2, 0u) << "ends on a whole 'đ' then ...";
}
