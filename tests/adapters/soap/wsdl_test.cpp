// The WSDL generated from XML contracts: schemas inlined, document/literal operations, SOAP 1.1 and 1.2 ports.
#include "wsdl.hpp"

#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/safe_xml.hpp"

#include <gtest/gtest.h>

using namespace lgsp::adapters::soap;

namespace {
const auto kCatalogue = lgsp::contracts::Catalogue::load(SOAP_TEST_DIR "/contracts");
}

TEST(SoapWsdl, reads_the_global_elements_of_a_contract) {
  auto info = read_xsd(*kCatalogue.find("hotich.tracuu-request@v1"));
  EXPECT_EQ(info.target_namespace, "urn:hotich:tracuu:v1");
  EXPECT_EQ(info.pick(""), (QName{"urn:hotich:tracuu:v1", "TraCuuKhaiSinh"}));
  EXPECT_THROW(info.pick("Other"), std::runtime_error);
}

TEST(SoapWsdl, a_json_contract_has_no_xsd) {
  auto real = lgsp::contracts::Catalogue::load(LGSP_SOURCE_DIR "/contracts");
  EXPECT_THROW(read_xsd(*real.find("hotich.trichluc-request@v1")), std::runtime_error);
}

TEST(SoapWsdl, generates_both_bindings_with_inlined_schemas) {
  const auto request = read_xsd(*kCatalogue.find("hotich.tracuu-request@v1"));
  const auto result = read_xsd(*kCatalogue.find("hotich.tracuu-result@v1"));
  WsdlSpec spec;
  spec.service_name = "HoTich";
  spec.target_namespace = "urn:lgsp:adapter:hotich-soap";
  spec.location = "http://127.0.0.1:8090/adapters/hotich-soap";
  spec.operations = {{"TraCuuKhaiSinh", "urn:TraCuuKhaiSinh", request.pick(""), result.pick("")},
                     {"ThongBao", "urn:ThongBao", request.pick(""), receipt_element()}};
  spec.schemas = {request.file, result.file};
  const std::string wsdl = generate_wsdl(spec);
  std::vector<lgsp::contracts::ValidationError> errors;
  ASSERT_TRUE(lgsp::contracts::parse_xml(wsdl, {}, errors)) << wsdl;
  for (const char* expected :
       {"<soap:binding style=\"document\" transport=\"http://schemas.xmlsoap.org/soap/http\"/>",
        "<soap12:binding style=\"document\"", "<soap:address location=\"http://127.0.0.1:8090/adapters/hotich-soap\"/>",
        "<soap12:address location=\"http://127.0.0.1:8090/adapters/hotich-soap\"/>",
        "soapAction=\"urn:TraCuuKhaiSinh\"", "name=\"TraCuuKhaiSinhRequest\"", "element=\"m0:TraCuuKhaiSinh\"",
        "element=\"m0:TraCuuKhaiSinhResponse\"", "targetNamespace=\"urn:lgsp:soap:v1\"", "name=\"Receipt\"",
        "<xs:pattern value=\"[A-Z0-9/.-]{1,40}\"/>"})
    EXPECT_NE(wsdl.find(expected), std::string::npos) << expected << "\n" << wsdl;
}
