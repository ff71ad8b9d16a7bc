// SOAP 1.1 and 1.2 envelopes: which version a request speaks (its content type against its envelope), the
// one payload element of the Body, the WS-Security UsernameToken header, faults in both directions. Parsing
// goes through the project's safe parser (contracts/safe_xml.hpp: no DTD, bounded); building through libxml2's
// tree, so every text is escaped by the library and never by string pasting.
#pragma once

#include "lgsp/bus/errors.hpp"
#include "lgsp/contracts/validation.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lgsp::adapters::soap {

enum class SoapVersion { v11, v12 };

inline constexpr std::string_view kSoap11Namespace = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view kSoap12Namespace = "http://www.w3.org/2003/05/soap-envelope";
inline constexpr std::string_view kWsseNamespace =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
inline constexpr std::string_view kWsuNamespace =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
// The namespace of the adapter's own elements: the fault detail and the receipt of a one-way operation.
inline constexpr std::string_view kLgspSoapNamespace = "urn:lgsp:soap:v1";

std::string_view envelope_namespace(SoapVersion version);
std::string_view version_name(SoapVersion version);  // "1.1", "1.2"
// The Content-Type of a message in `version` (SOAP 1.2 carries the action as a parameter; empty: none).
std::string soap_content_type(SoapVersion version, const std::string& action = "");

// Who a fault blames: it decides the fault code and, in SOAP 1.2, the HTTP status.
enum class FaultRole { sender, receiver, version_mismatch, must_understand };

// Why a request is not served: a catalogued code, who is to blame, and a bounded one-line detail.
struct Refusal {
  const bus::ErrorCode* error = nullptr;
  FaultRole role = FaultRole::sender;
  std::string detail;
};

struct QName {
  std::string ns;
  std::string local;
  bool operator==(const QName&) const = default;
  std::string text() const;  // "{ns}local"
};

// What the HTTP header says: SOAP 1.1 is text/xml with a SOAPAction header; SOAP 1.2 is application/soap+xml
// with an optional action parameter.
struct Transport {
  SoapVersion version = SoapVersion::v11;
  std::string action;  // quotes removed; empty: none given
};
std::variant<Transport, Refusal> read_transport(const std::optional<std::string>& content_type,
                                                const std::optional<std::string>& soap_action);

struct UsernameTokenFields {
  std::string username;
  std::string password;
  bool digest = false;  // Type ...#PasswordDigest (otherwise #PasswordText)
  std::string nonce;    // base64 as sent; empty: none
  std::string created;  // wsu:Created as sent; empty: none
};

struct FaultInfo {
  std::string code;    // 1.1 faultcode / 1.2 Code/Value (+ " / " Subcode/Value), as sent, bounded
  std::string reason;  // 1.1 faultstring / 1.2 the first Reason/Text, bounded
  std::string detail;  // the detail element's text content, bounded
};

struct Envelope {
  SoapVersion version = SoapVersion::v11;
  std::vector<QName> headers;                         // every header block, in order
  std::optional<UsernameTokenFields> username_token;  // wsse:Security/wsse:UsernameToken
  std::string addressing_message_id;                  // wsa:MessageID (2005/08 or 2004/08), trimmed, bounded
  QName payload_name;                                 // the Body's element
  std::string payload;             // that element as a document of its own, its in-scope namespaces declared on it
  std::optional<FaultInfo> fault;  // set (and payload empty) when the Body holds a Fault
};

// Parses a SOAP envelope of either version. Refuses (never throws for bad input): XML that the safe parser
// refuses (DOCTYPE, limits, not well-formed), an Envelope in another namespace (VersionMismatch), anything
// but Header? Body in the Envelope, a Body without exactly one element, a header block marked mustUnderstand
// other than wsse:Security, more than one UsernameToken.
std::variant<Envelope, Refusal> parse_envelope(std::string_view bytes, const contracts::ParseLimits& limits);

// The Security header an outbound request carries to a legacy service (PasswordText).
struct OutboundUsernameToken {
  std::string username;
  std::string password;
};

// An envelope whose Body holds the root element of `payload` (an XML document read with the safe parser).
// Throws std::invalid_argument with the parser's reason when `payload` is not one well-formed element.
std::string build_envelope(SoapVersion version, std::string_view payload, const contracts::ParseLimits& limits,
                           const std::optional<OutboundUsernameToken>& token = std::nullopt);

// A fault carrying one of our codes: 1.1 faultcode/faultstring/detail, 1.2 Code/Reason (English and
// Vietnamese)/Detail; the detail is an lgsp:Problem element with code, status, titles and detail.
struct FaultSpec {
  FaultRole role = FaultRole::sender;
  std::string code;  // LGSP-...
  unsigned status = 500;
  std::string title_en;
  std::string title_vi;
  std::string detail;
};
FaultSpec fault_spec(const bus::ErrorCode& error, FaultRole role, const std::string& detail);
std::string build_fault(SoapVersion version, const FaultSpec& fault);
// HTTP status of a fault: always 500 in SOAP 1.1; in SOAP 1.2, 400 when the sender is to blame, else 500.
unsigned fault_http_status(SoapVersion version, FaultRole role);

// Cuts `text` to at most `max` bytes on a UTF-8 boundary and replaces control characters, for details and logs.
std::string bounded(std::string_view text, std::size_t max = 1024);

}  // namespace lgsp::adapters::soap
