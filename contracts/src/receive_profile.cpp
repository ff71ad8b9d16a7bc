#include "receive_profile.hpp"

#include "lgsp/contracts/edxml.hpp"

#include <libxml/tree.h>

#include <algorithm>
#include <map>
#include <regex>

namespace lgsp::contracts::receive {
namespace {

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// NNN.NN.NN.XNN (Decision 20/2020/QD-TTg), what the strict schemas require.
bool is_standard_organ_id(std::string_view s) {
  if (s.size() != 13) return false;
  for (std::size_t i = 0; i < 13; ++i) {
    const char c = s[i];
    const bool ok = (i == 3 || i == 6 || i == 9) ? c == '.' : i == 10 ? (c >= 'A' && c <= 'Z') : is_digit(c);
    if (!ok) return false;
  }
  return true;
}

// 8-4-4-4-12 hex digits, optionally in braces (as .NET's Guid.ToString("B") writes it).
bool is_uuid(std::string_view s) {
  if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

bool is_edxml(const xmlNode* n) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, X(edxml::kNamespace));
}
bool is_edxml(const xmlNode* n, const char* local) { return is_edxml(n) && xmlStrEqual(n->name, X(local)); }

std::string name_of(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

const xmlNode* child(const xmlNode* parent, const char* local) {
  for (const xmlNode* c = parent ? parent->children : nullptr; c; c = c->next)
    if (is_edxml(c, local)) return c;
  return nullptr;
}

bool has_element_child(const xmlNode* n) {
  for (const xmlNode* c = n->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) return true;
  return false;
}

// The node's own text (not its descendants'), whitespace trimmed.
std::string own_text(const xmlNode* n) {
  std::string out;
  for (const xmlNode* c = n->children; c; c = c->next)
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
      out += reinterpret_cast<const char*>(c->content);
  const auto first = out.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return out.substr(first, out.find_last_not_of(" \t\r\n") - first + 1);
}

std::string path_of(const xmlNode* n) {
  xmlChar* p = xmlGetNodePath(n);
  std::string out = p ? reinterpret_cast<const char*>(p) : "";
  xmlFree(p);
  return out;
}

int line_of(const xmlNode* n) { return static_cast<int>(xmlGetLineNo(n)); }

void fail(ValidationResult& result, const xmlNode* n, std::string message) {
  if (result.errors.size() < 100) result.errors.push_back({path_of(n), line_of(n), 0, std::move(message)});
}

// OrganId and DocumentId anywhere in the package (signatures and attachment data are not ours to read).
void check_identifiers(const xmlNode* n, ValidationResult& result) {
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (!is_edxml(n) || is_edxml(n, "Signature") || is_edxml(n, "AttachmentEncoded")) continue;
    if (is_edxml(n, "OrganId")) {
      const auto id = own_text(n);
      if (!is_standard_organ_id(id))
        warn(result, variant::kEdxmlOrganIdSystem, path_of(n), "organ id '" + id + "' is not NNN.NN.NN.XNN");
      continue;
    }
    if (is_edxml(n, "DocumentId")) {
      const auto id = own_text(n);
      if (is_uuid(id)) {
        warn(result, variant::kEdxmlDocumentIdUuid, path_of(n), "DocumentId '" + id + "' is a UUID");
      } else if (!is_standard_organ_id(std::string_view(id).substr(0, id.find(',')))) {
        warn(result, variant::kEdxmlOrganIdSystem, path_of(n),
             "DocumentId '" + id + "' starts with an organ id that is not NNN.NN.NN.XNN");
      }
      continue;
    }
    check_identifiers(n->children, result);
  }
}

// Code (MessageHeader/Code, ResponseFor/Code): text ("155/UBND-VP") or CodeNumber + CodeNotation, not both.
// `text_is_standard`: which of the two forms the strict schema has at this place.
void check_code(const xmlNode* code, bool text_is_standard, ValidationResult& result) {
  const bool structured = has_element_child(code);
  const auto text = own_text(code);
  if (structured && !text.empty()) return fail(result, code, "Code holds both text and CodeNumber/CodeNotation");
  if (!structured && text.empty()) return fail(result, code, "Code is empty");
  if (structured && !child(code, "CodeNumber")) return fail(result, code, "Code has no CodeNumber");
  if (structured == text_is_standard)
    warn(result, variant::kEdxmlHeaderCodeResponseFor, path_of(code),
         structured ? "Code as CodeNumber/CodeNotation where the standard has text"
                    : "Code as text ('" + text + "') where the standard has CodeNumber and CodeNotation");
}

void check_response_for(const xmlNode* rf, ValidationResult& result) {
  const xmlNode* code = child(rf, "Code");
  if (!child(rf, "DocumentId") && !(child(rf, "OrganId") && code))
    return fail(result, rf, "ResponseFor names no document: it needs DocumentId, or OrganId and Code");
  if (code) check_code(code, true, result);
  for (const char* part : {"OrganId", "Code", "PromulgationDate", "DocumentId"})
    if (!child(rf, part))
      warn(result, variant::kEdxmlHeaderCodeResponseFor, path_of(rf), std::string("ResponseFor without ") + part);
}

// The document header's children XSD 1.0 cannot count in a header whose children come in any order.
struct Cardinality {
  const char* name;
  unsigned min, max;
};
constexpr unsigned kMany = 1u << 30;
const Cardinality kDocumentHeader[] = {
    {"From", 1, 1},         {"To", 1, kMany},           {"DocumentId", 1, 1},
    {"Code", 1, 1},         {"PromulgationInfo", 1, 1}, {"DocumentType", 1, 1},
    {"Subject", 1, 1},      {"Content", 0, 1},          {"SignerInfo", 1, 1},
    {"DueDate", 0, 1},      {"ToPlaces", 0, 1},         {"OtherInfo", 0, 1},
    {"SteeringType", 0, 1}, {"ResponseFor", 0, kMany},  {"StatusCode", 0, 0},
    {"Description", 0, 0},  {"Timestamp", 0, 0},        {"StaffInfo", 0, 0},
};
const Cardinality kStatusHeader[] = {
    {"From", 0, 1},
    {"To", 0, kMany},
    {"DocumentId", 0, 1},
    {"Code", 0, 1},
    {"StatusCode", 1, 1},
    {"Description", 1, 1},
    {"Timestamp", 0, 1},
    {"StaffInfo", 0, 1},
    {"ResponseFor", 0, kMany},
    {"PromulgationInfo", 0, 1},
    {"DocumentType", 0, 1},
    {"Subject", 0, 1},
    {"Content", 0, 1},
    {"SignerInfo", 0, 1},
    {"DueDate", 0, 1},
    {"ToPlaces", 0, 1},
    {"OtherInfo", 0, 1},
    {"SteeringType", 0, 1},
};

template <std::size_t N>
void check_cardinality(const xmlNode* header, const Cardinality (&rules)[N],
                       const std::map<std::string, unsigned>& count, const char* kind, ValidationResult& result) {
  for (const auto& rule : rules) {
    const auto it = count.find(rule.name);
    const unsigned n = it == count.end() ? 0 : it->second;
    if (n < rule.min)
      fail(result, header, std::string("a ") + kind + " MessageHeader needs " + rule.name);
    else if (n > rule.max)
      fail(result, header,
           rule.max == 0 ? std::string(rule.name) + " does not belong in a " + kind + " MessageHeader"
                         : std::string("a ") + kind + " MessageHeader has " + rule.name + " more than once");
  }
}

void inspect_package(const xmlNode* root, bool status_contract, ValidationResult& result) {
  const xmlNode* envelope = child(root, "edXMLEnvelope");
  const xmlNode* head = child(envelope, "edXMLHeader");
  const xmlNode* header = child(head, "MessageHeader");
  if (!header) return fail(result, root, "no edXMLEnvelope/edXMLHeader/MessageHeader");
  std::map<std::string, unsigned> count;
  const xmlNode* misplaced_response_for = nullptr;
  for (const xmlNode* c = header->children; c; c = c->next) {
    if (!is_edxml(c)) continue;
    ++count[name_of(c)];
    if (!is_edxml(c, "ResponseFor") && count["ResponseFor"] > 0 && !misplaced_response_for) misplaced_response_for = c;
  }
  const bool status = count.count("StatusCode") > 0;
  const xmlNode* body = child(envelope, "edXMLBody");
  const xmlNode* trace_list = child(head, "TraceHeaderList");
  if (status) {
    check_cardinality(header, kStatusHeader, count, "status", result);
    const xmlNode* manifest = child(body, "edXMLManifest");
    if (child(manifest, "Reference") || child(root, "AttachmentEncoded"))
      fail(result, body ? body : root, "a status message carries no attachments");
    warn(result, variant::kEdxmlStatusMessage, path_of(header),
         "status message (StatusCode " + own_text(child(header, "StatusCode")) + ") as an edXML package");
  } else {
    if (status_contract)
      return fail(result, header, "an edXML package whose MessageHeader has no StatusCode is not a status message");
    check_cardinality(header, kDocumentHeader, count, "document", result);
    if (!body) fail(result, envelope, "a document package needs edXMLBody (its manifest)");
    if (!trace_list) fail(result, head, "a document package needs TraceHeaderList");
    if (misplaced_response_for)
      warn(result, variant::kEdxmlHeaderCodeResponseFor, path_of(header),
           "ResponseFor before " + name_of(misplaced_response_for) + " (the standard puts it last)");
  }
  if (const xmlNode* code = child(header, "Code")) check_code(code, false, result);
  for (const xmlNode* c = header->children; c; c = c->next)
    if (is_edxml(c, "ResponseFor")) check_response_for(c, result);
  if (trace_list && !child(trace_list, "TraceHeader"))
    warn(result, variant::kEdxmlEmptyTraceHeaderList, path_of(trace_list),
         child(trace_list, "Bussiness") ? "TraceHeaderList without TraceHeader"
                                        : "TraceHeaderList without TraceHeader or Bussiness");
}

}  // namespace

void warn(ValidationResult& result, const char* variant, std::string path, std::string detail) {
  if (result.warnings.size() >= kMaxWarnings) return;
  if (detail.size() > 200) {
    detail.resize(200);
    detail += "...";
  }
  result.warnings.push_back({variant, std::move(path), std::move(detail)});
}

std::optional<std::size_t> leading_bytes(std::string_view document, ValidationResult& result) {
  if (document.empty() || document.front() == '<') return 0;
  if (document.substr(0, 4) == "\xEF\xBB\xBF<") return 0;  // a UTF-8 BOM alone is well-formed XML
  const auto window = document.substr(0, kMaxLeadingBytes + 5);
  // The declaration: "<?xml" and whitespace ("<?xml-stylesheet" is another processing instruction).
  std::size_t drop = std::string_view::npos;
  for (auto at = window.find("<?xml"); at != std::string_view::npos; at = window.find("<?xml", at + 1)) {
    const char next = at + 5 < document.size() ? document[at + 5] : '\0';
    if (next == ' ' || next == '\t' || next == '\r' || next == '\n') {
      drop = at;
      break;
    }
  }
  if (drop == std::string_view::npos) {
    // No declaration: a BOM and whitespace before the first element are well-formed XML (the prolog's Misc), so
    // they are not a variant and stay; anything else cannot be told apart from a different document.
    std::size_t i = document.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    while (i < window.size() && (window[i] == ' ' || window[i] == '\t' || window[i] == '\r' || window[i] == '\n')) ++i;
    if (i == window.size() || window[i] == '<') {
      return 0;  // the parser judges it (a long run of whitespace is well-formed too)
    } else {
      result.errors.push_back({"", 1, 1,
                               "the document does not start with markup: more than " +
                                   std::to_string(kMaxLeadingBytes) +
                                   " bytes before the XML declaration, or bytes other than a byte order mark and "
                                   "whitespace before the first element"});
      return std::nullopt;
    }
  }
  if (drop > kMaxLeadingBytes) {
    result.errors.push_back(
        {"", 1, 1, "more than " + std::to_string(kMaxLeadingBytes) + " bytes before the XML declaration"});
    return std::nullopt;
  }
  const auto prefix = document.substr(0, drop);
  const bool bom = prefix.substr(0, 3) == "\xEF\xBB\xBF";
  const bool blank = std::all_of(prefix.begin() + (bom ? 3 : 0), prefix.end(),
                                 [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
  std::string what = bom && blank ? "a byte order mark and whitespace" : blank ? "whitespace" : "stray bytes";
  warn(result, variant::kXmlLeadingBytes, "",
       "dropped " + std::to_string(drop) + " bytes (" + what + ") before the XML declaration");
  return drop;
}

void inspect_edxml(const _xmlDoc* doc, bool status_contract, ValidationResult& result) {
  const xmlNode* root = xmlDocGetRootElement(const_cast<xmlDoc*>(doc));
  if (!root) return;
  if (is_edxml(root, "Status")) {
    if (!status_contract) return fail(result, root, "a bare Status is an edxml-status@v1 reply, not an edXML package");
    if (const xmlNode* rf = child(root, "ResponseFor")) check_response_for(rf, result);
  } else {
    inspect_package(root, status_contract, result);
  }
  check_identifiers(root->children, result);
}

bool refuses_empty_string(const nlohmann::json& s) {
  if (!s.is_object()) return false;
  if (s.contains("const") && s["const"] != "") return true;
  if (s.contains("enum") && s["enum"].is_array() &&
      std::find(s["enum"].begin(), s["enum"].end(), nlohmann::json("")) == s["enum"].end())
    return true;
  if (s.contains("minLength") && s["minLength"].is_number_integer() && s["minLength"].get<long long>() >= 1)
    return true;
  if (s.contains("format")) return true;
  if (s.contains("pattern") && s["pattern"].is_string()) {
    // The contracts' patterns are anchored and bounded (contracts/README.md), and "" is short: cheap to try.
    try {
      return !std::regex_search(std::string(), std::regex(s["pattern"].get<std::string>(), std::regex::ECMAScript));
    } catch (const std::regex_error&) {
      return false;
    }
  }
  return false;
}

namespace {

// Follows local references ("#/definitions/name"), at most a few hops (a cycle is not followed).
const nlohmann::json& resolve(const nlohmann::json& root, const nlohmann::json& schema) {
  const nlohmann::json* s = &schema;
  for (int hops = 0; hops < 8 && s->is_object() && s->contains("$ref") && (*s)["$ref"].is_string(); ++hops) {
    const auto ref = (*s)["$ref"].get<std::string>();
    const std::string prefix = "#/definitions/";
    if (ref.rfind(prefix, 0) != 0) break;
    const auto& defs = root.contains("definitions") ? root["definitions"] : root;
    const auto name = ref.substr(prefix.size());
    if (!defs.is_object() || !defs.contains(name)) break;
    s = &defs[name];
  }
  return *s;
}

std::string escape_pointer(const std::string& key) {
  std::string out;
  for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

std::size_t drop_in(const nlohmann::json& root, const nlohmann::json& schema_in, nlohmann::json& value,
                    const std::string& pointer, ValidationResult& result) {
  const auto& schema = resolve(root, schema_in);
  if (!schema.is_object()) return 0;
  std::size_t dropped = 0;
  if (value.is_array() && schema.contains("items") && schema["items"].is_object()) {
    for (std::size_t i = 0; i < value.size(); ++i)
      dropped += drop_in(root, schema["items"], value[i], pointer + "/" + std::to_string(i), result);
    return dropped;
  }
  if (!value.is_object() || !schema.contains("properties") || !schema["properties"].is_object()) return 0;
  const auto& properties = schema["properties"];
  const auto& required =
      schema.contains("required") && schema["required"].is_array() ? schema["required"] : nlohmann::json::array();
  for (auto it = value.begin(); it != value.end();) {
    const std::string key = it.key();
    if (!properties.contains(key)) {
      ++it;
      continue;
    }
    const auto& property = resolve(root, properties[key]);
    const bool optional = std::find(required.begin(), required.end(), nlohmann::json(key)) == required.end();
    if (optional && it->is_string() && it->get_ref<const std::string&>().empty() && refuses_empty_string(property)) {
      warn(result, variant::kDvcqgEmptyOptionalString, pointer + "/" + escape_pointer(key),
           "optional field '" + key + "' sent as an empty string (treated as absent)");
      it = value.erase(it);
      ++dropped;
      continue;
    }
    dropped += drop_in(root, property, *it, pointer + "/" + escape_pointer(key), result);
    ++it;
  }
  return dropped;
}

}  // namespace

std::size_t drop_empty_optional_strings(const nlohmann::json& root_schema, nlohmann::json& document,
                                        ValidationResult& result) {
  return drop_in(root_schema, root_schema, document, "", result);
}

}  // namespace lgsp::contracts::receive
