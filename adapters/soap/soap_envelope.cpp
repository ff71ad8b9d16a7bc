#include "soap_envelope.hpp"

#include "lgsp/contracts/safe_xml.hpp"
#include "soap_errors.hpp"
#include "soap_xml.hpp"

#include <libxml/tree.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace lgsp::adapters::soap {
namespace {

constexpr std::string_view kPasswordDigestType =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
constexpr std::string_view kPasswordTextType =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string unquote(std::string s) {
  s = trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

Refusal refuse(const bus::ErrorCode& error, std::string detail, FaultRole role = FaultRole::sender) {
  return Refusal{&error, role, bounded(detail)};
}

// The media type and its parameters (names lower-cased, values unquoted); nullopt when unreadable.
struct MediaType {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;
};
MediaType parse_media_type(const std::string& text) {
  MediaType m;
  std::size_t semi = text.find(';');
  m.type = lower(trim(text.substr(0, semi)));
  while (semi != std::string::npos && m.params.size() < 16) {
    const std::size_t next = text.find(';', semi + 1);
    const std::string part = text.substr(semi + 1, next == std::string::npos ? std::string::npos : next - semi - 1);
    const std::size_t eq = part.find('=');
    if (eq != std::string::npos) m.params.emplace_back(lower(trim(part.substr(0, eq))), unquote(part.substr(eq + 1)));
    semi = next;
  }
  return m;
}

bool is_whitespace_text(xmlNode* node) {
  if (node->type != XML_TEXT_NODE && node->type != XML_CDATA_SECTION_NODE) return false;
  for (const xmlChar* c = node->content; c && *c; ++c)
    if (!std::isspace(*c)) return false;
  return true;
}

// The element children of `parent`; false when it also holds text other than whitespace.
bool element_children(xmlNode* parent, std::vector<xmlNode*>& out) {
  for (xmlNode* c = parent->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      out.push_back(c);
    } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && !is_whitespace_text(c)) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> soap_attribute(xmlNode* node, std::string_view ns, const char* name) {
  xmlChar* v = xmlGetNsProp(node, xml_chars(name), xml_chars(std::string(ns)));
  if (!v) return std::nullopt;
  std::string out = reinterpret_cast<const char*>(v);
  xmlFree(v);
  return trim(out);
}

bool must_understand(xmlNode* block, SoapVersion version) {
  auto v = soap_attribute(block, envelope_namespace(version), "mustUnderstand");
  return v && (*v == "1" || *v == "true");
}

std::variant<UsernameTokenFields, Refusal> read_username_token(xmlNode* token) {
  UsernameTokenFields f;
  bool username = false, password = false;
  for (xmlNode* c = token->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    const QName name = qname(c);
    if (name == QName{std::string(kWsseNamespace), "Username"}) {
      f.username = trim(text_of(c, 256));
      username = true;
    } else if (name == QName{std::string(kWsseNamespace), "Password"}) {
      f.password = text_of(c, 1024);
      password = true;
      if (auto type = plain_attribute(c, "Type")) {
        if (*type == kPasswordDigestType)
          f.digest = true;
        else if (*type != kPasswordTextType)
          return refuse(errors::kAuth, "unknown Password Type " + *type);
      }
    } else if (name == QName{std::string(kWsseNamespace), "Nonce"}) {
      if (auto enc = plain_attribute(c, "EncodingType"); enc && enc->find("#Base64Binary") == std::string::npos)
        return refuse(errors::kAuth, "a Nonce must be Base64Binary");
      f.nonce = trim(text_of(c, 256));
    } else if (name == QName{std::string(kWsuNamespace), "Created"}) {
      f.created = trim(text_of(c, 64));
    }
  }
  if (!username || !password) return refuse(errors::kAuth, "a UsernameToken needs a Username and a Password");
  return f;
}

}  // namespace

std::string QName::text() const { return "{" + ns + "}" + local; }

std::string_view envelope_namespace(SoapVersion version) {
  return version == SoapVersion::v11 ? kSoap11Namespace : kSoap12Namespace;
}

std::string_view version_name(SoapVersion version) { return version == SoapVersion::v11 ? "1.1" : "1.2"; }

std::string soap_content_type(SoapVersion version, const std::string& action) {
  if (version == SoapVersion::v11) return "text/xml; charset=utf-8";
  std::string out = "application/soap+xml; charset=utf-8";
  if (!action.empty()) out += "; action=\"" + action + "\"";
  return out;
}

std::variant<Transport, Refusal> read_transport(const std::optional<std::string>& content_type,
                                                const std::optional<std::string>& soap_action) {
  if (!content_type)
    return refuse(errors::kVersion, "no Content-Type (SOAP 1.1: text/xml; SOAP 1.2: application/soap+xml)");
  const MediaType m = parse_media_type(*content_type);
  for (const auto& [name, value] : m.params)
    if (name == "charset" && lower(value) != "utf-8" && lower(value) != "us-ascii")
      return refuse(errors::kEnvelope, "charset " + value + " is not accepted (UTF-8 only)");
  Transport t;
  if (m.type == "text/xml") {
    t.version = SoapVersion::v11;
    if (!soap_action) return refuse(errors::kVersion, "a SOAP 1.1 request (text/xml) needs a SOAPAction header");
    t.action = unquote(*soap_action);
  } else if (m.type == "application/soap+xml") {
    t.version = SoapVersion::v12;
    for (const auto& [name, value] : m.params)
      if (name == "action") t.action = value;
  } else {
    return refuse(errors::kVersion,
                  "Content-Type " + m.type + " is not SOAP (SOAP 1.1: text/xml; SOAP 1.2: application/soap+xml)");
  }
  if (t.action.size() > 1024) return refuse(errors::kOperation, "the action is longer than 1024 bytes");
  return t;
}

std::variant<Envelope, Refusal> parse_envelope(std::string_view bytes, const contracts::ParseLimits& limits) {
  std::vector<contracts::ValidationError> problems;
  auto doc = contracts::parse_xml(bytes, limits, problems);
  if (!doc) return refuse(errors::kEnvelope, contracts::to_text(problems));
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root) return refuse(errors::kEnvelope, "no root element");
  const QName root_name = qname(root);
  Envelope env;
  if (root_name == QName{std::string(kSoap11Namespace), "Envelope"}) {
    env.version = SoapVersion::v11;
  } else if (root_name == QName{std::string(kSoap12Namespace), "Envelope"}) {
    env.version = SoapVersion::v12;
  } else if (root_name.local == "Envelope") {
    return refuse(errors::kVersion, "the Envelope's namespace " + root_name.ns + " is neither SOAP 1.1 nor SOAP 1.2",
                  FaultRole::version_mismatch);
  } else {
    return refuse(errors::kEnvelope, "the root element is " + root_name.text() + ", not a SOAP Envelope");
  }
  const std::string soap_ns(envelope_namespace(env.version));

  std::vector<xmlNode*> parts;
  if (!element_children(root, parts)) return refuse(errors::kEnvelope, "text directly inside the Envelope");
  xmlNode* header = nullptr;
  xmlNode* body = nullptr;
  for (xmlNode* part : parts) {
    const QName name = qname(part);
    if (name == QName{soap_ns, "Header"} && !header && !body) {
      header = part;
    } else if (name == QName{soap_ns, "Body"} && !body) {
      body = part;
    } else {
      return refuse(errors::kEnvelope, "unexpected " + name.text() + " in the Envelope (only Header? then Body)");
    }
  }
  if (!body) return refuse(errors::kEnvelope, "the Envelope has no Body");

  if (header) {
    std::vector<xmlNode*> blocks;
    if (!element_children(header, blocks)) return refuse(errors::kEnvelope, "text directly inside the Header");
    for (xmlNode* block : blocks) {
      const QName name = qname(block);
      if (name.ns.empty()) return refuse(errors::kEnvelope, "a header block must be namespace-qualified");
      env.headers.push_back(name);
      if (name == QName{std::string(kWsseNamespace), "Security"}) {
        for (xmlNode* c = block->children; c; c = c->next) {
          if (c->type != XML_ELEMENT_NODE || qname(c) != QName{std::string(kWsseNamespace), "UsernameToken"}) continue;
          if (env.username_token) return refuse(errors::kAuth, "more than one UsernameToken");
          auto token = read_username_token(c);
          if (auto* r = std::get_if<Refusal>(&token)) return *r;
          env.username_token = std::get<UsernameTokenFields>(std::move(token));
        }
      } else if (name.local == "MessageID" && (name.ns == "http://www.w3.org/2005/08/addressing" ||
                                               name.ns == "http://schemas.xmlsoap.org/ws/2004/08/addressing")) {
        env.addressing_message_id = bounded(trim(text_of(block, 512)), 256);
      } else if (must_understand(block, env.version)) {
        return refuse(errors::kMustUnderstand, "header block " + name.text() + " is marked mustUnderstand",
                      FaultRole::must_understand);
      }
    }
  }

  std::vector<xmlNode*> payload;
  if (!element_children(body, payload)) return refuse(errors::kEnvelope, "text directly inside the Body");
  if (payload.size() != 1)
    return refuse(errors::kEnvelope, "the Body must hold exactly one element (document/literal), it holds " +
                                         std::to_string(payload.size()));
  env.payload_name = qname(payload[0]);
  if (env.payload_name == QName{soap_ns, "Fault"}) {
    FaultInfo f;
    for (xmlNode* c = payload[0]->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      const QName n = qname(c);
      if (env.version == SoapVersion::v11) {
        // SOAP 1.1 fault children are unqualified.
        if (n.local == "faultcode") f.code = bounded(trim(text_of(c, 1024)), 256);
        if (n.local == "faultstring") f.reason = bounded(trim(text_of(c, 4096)));
        if (n.local == "detail") f.detail = bounded(trim(text_of(c, 4096)));
      } else if (n == QName{soap_ns, "Code"}) {
        for (xmlNode* v = c->children; v; v = v->next) {
          if (v->type != XML_ELEMENT_NODE) continue;
          if (qname(v) == QName{soap_ns, "Value"}) f.code = bounded(trim(text_of(v, 1024)), 256);
          if (qname(v) == QName{soap_ns, "Subcode"})
            for (xmlNode* s = v->children; s; s = s->next)
              if (s->type == XML_ELEMENT_NODE && qname(s) == QName{soap_ns, "Value"})
                f.code += " / " + bounded(trim(text_of(s, 1024)), 256);
        }
      } else if (n == QName{soap_ns, "Reason"}) {
        for (xmlNode* t = c->children; t; t = t->next)
          if (t->type == XML_ELEMENT_NODE && f.reason.empty()) f.reason = bounded(trim(text_of(t, 4096)));
      } else if (n == QName{soap_ns, "Detail"}) {
        f.detail = bounded(trim(text_of(c, 4096)));
      }
    }
    env.fault = std::move(f);
    return env;
  }
  env.payload = element_document(payload[0]);
  return env;
}

std::string build_envelope(SoapVersion version, std::string_view payload, const contracts::ParseLimits& limits,
                           const std::optional<OutboundUsernameToken>& token) {
  std::vector<contracts::ValidationError> problems;
  auto source = contracts::parse_xml(payload, limits, problems);
  if (!source) throw std::invalid_argument(contracts::to_text(problems));
  xmlNode* element = xmlDocGetRootElement(source.get());
  if (!element) throw std::invalid_argument("no root element");

  XmlDoc doc(xmlNewDoc(xml_chars("1.0")));
  const std::string soap_ns(envelope_namespace(version));
  xmlNode* envelope = new_element(nullptr, doc.get(), "Envelope");
  xmlNs* ns = xmlNewNs(envelope, xml_chars(soap_ns), xml_chars("soap"));
  xmlSetNs(envelope, ns);
  if (token) {
    xmlNode* header = xmlNewChild(envelope, ns, xml_chars("Header"), nullptr);
    xmlNode* security = xmlNewChild(header, nullptr, xml_chars("Security"), nullptr);
    xmlNs* wsse = xmlNewNs(security, xml_chars(std::string(kWsseNamespace)), xml_chars("wsse"));
    xmlSetNs(security, wsse);
    xmlNode* ut = xmlNewChild(security, wsse, xml_chars("UsernameToken"), nullptr);
    xmlNewTextChild(ut, wsse, xml_chars("Username"), xml_chars(token->username));
    xmlNode* password = xmlNewTextChild(ut, wsse, xml_chars("Password"), xml_chars(token->password));
    xmlNewProp(password, xml_chars("Type"), xml_chars(std::string(kPasswordTextType)));
  }
  xmlNode* body = xmlNewChild(envelope, ns, xml_chars("Body"), nullptr);
  xmlAddChild(body, copy_with_namespaces(element, doc.get()));
  return serialize(doc.get());
}

FaultSpec fault_spec(const bus::ErrorCode& error, FaultRole role, const std::string& detail) {
  return FaultSpec{role,
                   std::string(error.code),
                   error.http_status,
                   std::string(error.title_en),
                   std::string(error.title_vi),
                   bounded(detail)};
}

unsigned fault_http_status(SoapVersion version, FaultRole role) {
  if (version == SoapVersion::v11) return 500;
  return role == FaultRole::sender ? 400 : 500;
}

std::string build_fault(SoapVersion version, const FaultSpec& fault) {
  XmlDoc doc(xmlNewDoc(xml_chars("1.0")));
  const std::string soap_ns(envelope_namespace(version));
  xmlNode* envelope = new_element(nullptr, doc.get(), "Envelope");
  xmlNs* ns = xmlNewNs(envelope, xml_chars(soap_ns), xml_chars("soap"));
  xmlSetNs(envelope, ns);
  xmlNode* body = xmlNewChild(envelope, ns, xml_chars("Body"), nullptr);
  xmlNode* f = xmlNewChild(body, ns, xml_chars("Fault"), nullptr);

  const char* code = nullptr;
  switch (fault.role) {
    case FaultRole::sender:
      code = version == SoapVersion::v11 ? "soap:Client" : "soap:Sender";
      break;
    case FaultRole::receiver:
      code = version == SoapVersion::v11 ? "soap:Server" : "soap:Receiver";
      break;
    case FaultRole::version_mismatch:
      code = "soap:VersionMismatch";
      break;
    case FaultRole::must_understand:
      code = "soap:MustUnderstand";
      break;
  }
  const std::string reason =
      fault.code + ": " + fault.title_en + (fault.detail.empty() ? "" : " (" + fault.detail + ")");
  xmlNode* detail_parent = nullptr;
  if (version == SoapVersion::v11) {
    // SOAP 1.1's fault children are unqualified (xmlNewChild would put them in the parent's namespace).
    for (auto [name, text] : {std::pair{"faultcode", std::string(code)}, std::pair{"faultstring", reason}}) {
      xmlNode* c = xmlNewDocNode(doc.get(), nullptr, xml_chars(name), nullptr);
      xmlNodeAddContent(c, xml_chars(text));
      xmlAddChild(f, c);
    }
    detail_parent = xmlAddChild(f, xmlNewDocNode(doc.get(), nullptr, xml_chars("detail"), nullptr));
  } else {
    xmlNode* c = xmlNewChild(f, ns, xml_chars("Code"), nullptr);
    xmlNewTextChild(c, ns, xml_chars("Value"), xml_chars(code));
    xmlNode* r = xmlNewChild(f, ns, xml_chars("Reason"), nullptr);
    xmlNode* en = xmlNewTextChild(r, ns, xml_chars("Text"), xml_chars(reason));
    xmlNodeSetLang(en, xml_chars("en"));
    xmlNode* vi = xmlNewTextChild(
        r, ns, xml_chars("Text"),
        xml_chars(fault.code + ": " + fault.title_vi + (fault.detail.empty() ? "" : " (" + fault.detail + ")")));
    xmlNodeSetLang(vi, xml_chars("vi"));
    detail_parent = xmlNewChild(f, ns, xml_chars("Detail"), nullptr);
  }
  xmlNode* problem = xmlNewChild(detail_parent, nullptr, xml_chars("Problem"), nullptr);
  xmlNs* lgsp = xmlNewNs(problem, xml_chars(std::string(kLgspSoapNamespace)), xml_chars("lgsp"));
  xmlSetNs(problem, lgsp);
  xmlNewTextChild(problem, lgsp, xml_chars("code"), xml_chars(fault.code));
  xmlNewTextChild(problem, lgsp, xml_chars("status"), xml_chars(std::to_string(fault.status)));
  xmlNewTextChild(problem, lgsp, xml_chars("title"), xml_chars(fault.title_en));
  xmlNewTextChild(problem, lgsp, xml_chars("title_vi"), xml_chars(fault.title_vi));
  xmlNewTextChild(problem, lgsp, xml_chars("detail"), xml_chars(fault.detail));
  return serialize(doc.get());
}

std::string bounded(std::string_view text, std::size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (out.size() >= max) {
      // Back to a UTF-8 boundary so the cut text is still UTF-8.
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
      if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
      out += "...";
      break;
    }
    out.push_back(c < 0x20 || c == 0x7F ? ' ' : static_cast<char>(c));
  }
  return out;
}

}  // namespace lgsp::adapters::soap
