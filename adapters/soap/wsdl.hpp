// WSDL 1.1 (document/literal) for the operations a soap adapter exposes, generated from the contracts' XSDs:
// the schemas are inlined in wsdl:types, each operation's messages name the contract's global elements, and
// there is one binding and one port for SOAP 1.1 and one for SOAP 1.2, both at the adapter's address.
#pragma once

#include "soap_envelope.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace lgsp::contracts {
class Contract;
}

namespace lgsp::adapters::soap {

// An XML contract's schema: where it is, its target namespace and its global elements.
struct XsdInfo {
  std::filesystem::path file;
  std::string target_namespace;
  std::vector<std::string> elements;
  // The global element called `element`, or the only one when `element` is empty. Throws std::runtime_error
  // saying which elements there are.
  QName pick(const std::string& element) const;
};
// Throws std::runtime_error when the contract is not XML or its schema cannot be read.
XsdInfo read_xsd(const contracts::Contract& contract);

// The element answering a one-way (message) operation: the node's receipt.
QName receipt_element();

struct WsdlOperation {
  std::string name;
  std::string soap_action;
  QName input;
  QName output;  // receipt_element() for a one-way operation
};

struct WsdlSpec {
  std::string service_name;      // wsdl:service name, e.g. "TraCuuHoTich"
  std::string target_namespace;  // the WSDL's own namespace
  std::string location;          // soap:address
  std::vector<WsdlOperation> operations;
  std::vector<std::filesystem::path> schemas;  // XSD files to inline (each once)
};

// Throws std::runtime_error when a schema cannot be read.
std::string generate_wsdl(const WsdlSpec& spec);

}  // namespace lgsp::adapters::soap
