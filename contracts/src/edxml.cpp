#include "lgsp/contracts/edxml.hpp"

#include "lgsp/contracts/base64.hpp"
#include "lgsp/contracts/safe_xml.hpp"
#include "receive_profile.hpp"

#include <libxml/tree.h>

#include <algorithm>
#include <map>
#include <set>

namespace lgsp::contracts::edxml {
namespace {

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }
const xmlChar* X(const std::string& s) { return X(s.c_str()); }

// MessageHeader is an xs:sequence: the schema fixes this order (the leaf records are xs:all).
const std::vector<std::string> kMessageHeaderOrder = {
    "From",    "To",         "DocumentId", "Code",     "PromulgationInfo", "DocumentType", "Subject",
    "Content", "SignerInfo", "DueDate",    "ToPlaces", "OtherInfo",        "SteeringType", "ResponseFor"};
const std::vector<std::string> kTraceHeaderListOrder = {"TraceHeader", "Bussiness"};

// Elements that may repeat: always arrays in the JSON form, so a reader need not guess.
const std::set<std::string> kRepeated = {"To",       "ResponseFor", "TraceHeader",    "Place",
                                         "Appendix", "Receiver",    "ReplacementInfo"};

std::string scalar_text(const nlohmann::ordered_json& v, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  if (v.is_null()) return "";
  throw EdxmlError("header " + where + ": expected a text value");
}

void append(xmlNode* parent, xmlNs* ns, const std::string& name, const nlohmann::ordered_json& value,
            const std::string& where);

void append_children(xmlNode* element, xmlNs* ns, const nlohmann::ordered_json& object, const std::string& where,
                     const std::vector<std::string>* order) {
  std::vector<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  if (order) {
    auto rank = [&](const std::string& k) {
      auto pos = std::find(order->begin(), order->end(), k);
      return pos == order->end() ? order->size() : static_cast<std::size_t>(pos - order->begin());
    };
    std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  }
  for (const auto& key : keys) {
    const auto& v = object.at(key);
    if (!key.empty() && key[0] == '@') {
      xmlNewProp(element, X(key.substr(1)), X(scalar_text(v, where + "/" + key)));
    } else {
      append(element, ns, key, v, where + "/" + key);
    }
  }
}

void append(xmlNode* parent, xmlNs* ns, const std::string& name, const nlohmann::ordered_json& value,
            const std::string& where) {
  if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i].is_array()) throw EdxmlError("header " + where + ": nested arrays are not allowed");
      append(parent, ns, name, value[i], where + "/" + std::to_string(i));
    }
    return;
  }
  if (value.is_object()) {
    xmlNode* element = xmlNewChild(parent, ns, X(name), nullptr);
    const std::vector<std::string>* order = name == "MessageHeader"     ? &kMessageHeaderOrder
                                            : name == "TraceHeaderList" ? &kTraceHeaderListOrder
                                                                        : nullptr;
    append_children(element, ns, value, where, order);
    return;
  }
  // xmlNewTextChild escapes &, < and > in the text.
  xmlNewTextChild(parent, ns, X(name), X(scalar_text(value, where)));
}

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

bool is_edxml(const xmlNode* n, const char* local) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, X(kNamespace)) &&
         xmlStrEqual(n->name, X(local));
}

const xmlNode* child(const xmlNode* parent, const char* local) {
  for (const xmlNode* c = parent ? parent->children : nullptr; c; c = c->next)
    if (is_edxml(c, local)) return c;
  return nullptr;
}

std::string text_of(const xmlNode* n) {
  if (!n) return "";
  xmlChar* t = xmlNodeGetContent(n);
  std::string out = t ? reinterpret_cast<const char*>(t) : "";
  xmlFree(t);
  return out;
}

nlohmann::ordered_json to_json(const xmlNode* element) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  bool has_element_child = false;
  for (const xmlAttr* a = element->properties; a; a = a->next) {
    xmlChar* v = xmlNodeGetContent(reinterpret_cast<const xmlNode*>(a));
    out["@" + std::string(reinterpret_cast<const char*>(a->name))] = v ? reinterpret_cast<const char*>(v) : "";
    xmlFree(v);
  }
  for (const xmlNode* c = element->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    has_element_child = true;
    std::string name = reinterpret_cast<const char*>(c->name);
    auto value = to_json(c);
    if (kRepeated.count(name)) {
      if (!out.contains(name)) out[name] = nlohmann::ordered_json::array();
      out[name].push_back(std::move(value));
    } else {
      out[name] = std::move(value);
    }
  }
  if (!has_element_child && !element->properties) return text_of(element);
  return out;
}

std::string required_text(const xmlNode* parent, const char* local, const std::string& where) {
  const xmlNode* n = child(parent, local);
  if (!n) throw EdxmlError(where + ": missing " + local);
  return text_of(n);
}

}  // namespace

std::string timestamp(std::chrono::system_clock::time_point at) {
  // Vietnam has used UTC+7 without daylight saving since 1975.
  auto local = std::chrono::floor<std::chrono::seconds>(at) + std::chrono::hours(7);
  auto days = std::chrono::floor<std::chrono::days>(local);
  std::chrono::year_month_day ymd(days);
  std::chrono::hh_mm_ss hms(local - days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d/%02u/%02u %02ld:%02ld:%02ld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()));
  return buf;
}

void add_trace_header(nlohmann::ordered_json& header, const std::string& organ_id,
                      std::chrono::system_clock::time_point at) {
  auto& list = header["TraceHeaderList"];
  if (!list.is_object()) list = nlohmann::ordered_json::object();
  auto& traces = list["TraceHeader"];
  if (traces.is_object()) traces = nlohmann::ordered_json::array({traces});
  if (!traces.is_array()) traces = nlohmann::ordered_json::array();
  traces.push_back({{"OrganId", organ_id}, {"Timestamp", timestamp(at)}});
}

std::string media_type_for(const std::filesystem::path& file) {
  static const std::map<std::string, std::string> types = {
      {".pdf", "application/pdf"},
      {".doc", "application/msword"},
      {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {".xls", "application/vnd.ms-excel"},
      {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {".odt", "application/vnd.oasis.opendocument.text"},
      {".zip", "application/zip"},
      {".xml", "application/xml"},
      {".json", "application/json"},
      {".txt", "text/plain"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".png", "image/png"},
      {".tif", "image/tiff"},
      {".tiff", "image/tiff"},
      {".p7s", "application/pkcs7-signature"},
  };
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  auto it = types.find(ext);
  return it == types.end() ? "application/octet-stream" : it->second;
}

std::string pack(const Package& package) {
  const auto& header = package.header;
  if (!header.is_object() || !header.contains("MessageHeader") || !header["MessageHeader"].is_object())
    throw EdxmlError("header: \"MessageHeader\" must be an object");
  if (!header.contains("TraceHeaderList") || !header["TraceHeaderList"].is_object())
    throw EdxmlError("header: \"TraceHeaderList\" must be an object");
  for (auto it = header.begin(); it != header.end(); ++it)
    if (it.key() != "MessageHeader" && it.key() != "TraceHeaderList")
      throw EdxmlError("header: unknown key \"" + it.key() + "\" (expected MessageHeader, TraceHeaderList)");
  std::set<std::string> ids;
  for (const auto& a : package.attachments)
    if (!ids.insert(a.content_id).second) throw EdxmlError("attachment " + a.content_id + ": duplicate ContentId");

  std::unique_ptr<xmlDoc, DocFree> doc(xmlNewDoc(X("1.0")));
  xmlNode* root = xmlNewNode(nullptr, X("edXML"));
  xmlNs* ns = xmlNewNs(root, X(kNamespace), X(kPrefix));
  xmlSetNs(root, ns);
  xmlDocSetRootElement(doc.get(), root);

  xmlNode* envelope = xmlNewChild(root, ns, X("edXMLEnvelope"), nullptr);
  xmlNode* head = xmlNewChild(envelope, ns, X("edXMLHeader"), nullptr);
  append(head, ns, "MessageHeader", header["MessageHeader"], "/MessageHeader");
  append(head, ns, "TraceHeaderList", header["TraceHeaderList"], "/TraceHeaderList");
  xmlNode* body = xmlNewChild(envelope, ns, X("edXMLBody"), nullptr);
  xmlNode* manifest = xmlNewChild(body, ns, X("edXMLManifest"), nullptr);
  xmlNewProp(manifest, X("version"), X("1.0"));
  for (const auto& a : package.attachments) {
    xmlNode* ref = xmlNewChild(manifest, ns, X("Reference"), nullptr);
    xmlNewTextChild(ref, ns, X("ContentId"), X(a.content_id));
    xmlNewTextChild(ref, ns, X("ContentType"), X(a.content_type));
    if (!a.description.empty()) xmlNewTextChild(ref, ns, X("Description"), X(a.description));
    xmlNewTextChild(ref, ns, X("AttachmentName"), X(a.name));
  }
  if (!package.attachments.empty()) {
    xmlNode* encoded = xmlNewChild(root, ns, X("AttachmentEncoded"), nullptr);
    for (const auto& a : package.attachments) {
      xmlNode* att = xmlNewChild(encoded, ns, X("Attachment"), nullptr);
      xmlNewTextChild(att, ns, X("ContentId"), X(a.content_id));
      xmlNewTextChild(att, ns, X("AttachmentName"), X(a.name));
      if (!a.description.empty()) xmlNewTextChild(att, ns, X("Description"), X(a.description));
      xmlNewTextChild(att, ns, X("ContentType"), X(a.content_type));
      xmlNewTextChild(att, ns, X("ContentTransferEncoded"), X(base64_encode(a.data)));
    }
  }
  xmlChar* out = nullptr;
  int size = 0;
  xmlDocDumpFormatMemoryEnc(doc.get(), &out, &size, "UTF-8", 1);
  if (!out) throw EdxmlError("cannot serialise the package");
  std::string text(reinterpret_cast<const char*>(out), static_cast<std::size_t>(size));
  xmlFree(out);
  return text;
}

Package unpack(std::string_view xml, const ParseLimits& limits, Profile profile) {
  if (profile == Profile::receive) {
    ValidationResult prefix;
    const auto drop = receive::leading_bytes(xml, prefix);
    if (!drop) throw EdxmlError(prefix.errors.front().message);
    xml.remove_prefix(*drop);
  }
  std::vector<ValidationError> errors;
  auto doc = parse_xml(xml, limits, errors);
  if (!doc) throw EdxmlError(errors.front().message);
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!is_edxml(root, "edXML"))
    throw EdxmlError("the root element is not edXML in namespace " + std::string(kNamespace));
  const xmlNode* envelope = child(root, "edXMLEnvelope");
  const xmlNode* head = child(envelope, "edXMLHeader");
  const xmlNode* message_header = child(head, "MessageHeader");
  const xmlNode* trace_list = child(head, "TraceHeaderList");
  // Receive: a status message may come without TraceHeaderList (variant edxml.status-message); the header then
  // has an empty one, so readers see the same shape.
  if (!message_header || (!trace_list && profile == Profile::strict))
    throw EdxmlError("edXMLHeader must hold MessageHeader and TraceHeaderList");

  Package package;
  package.header["MessageHeader"] = to_json(message_header);
  auto traces = trace_list ? to_json(trace_list) : nlohmann::ordered_json::object();
  package.header["TraceHeaderList"] = traces.is_object() ? traces : nlohmann::ordered_json::object();

  struct ManifestEntry {
    std::string name, type, description;
    bool seen = false;
  };
  std::map<std::string, ManifestEntry> manifest;
  const xmlNode* manifest_node = child(child(envelope, "edXMLBody"), "edXMLManifest");
  for (const xmlNode* r = manifest_node ? manifest_node->children : nullptr; r; r = r->next) {
    if (!is_edxml(r, "Reference")) continue;
    auto id = required_text(r, "ContentId", "manifest Reference");
    auto& entry = manifest[id];
    entry.name = required_text(r, "AttachmentName", "manifest Reference " + id);
    entry.type = required_text(r, "ContentType", "manifest Reference " + id);
    entry.description = text_of(child(r, "Description"));
  }
  for (const xmlNode* e = root->children; e; e = e->next) {
    if (!is_edxml(e, "AttachmentEncoded")) continue;
    for (const xmlNode* a = e->children; a; a = a->next) {
      if (!is_edxml(a, "Attachment")) continue;
      Attachment att;
      att.content_id = required_text(a, "ContentId", "Attachment");
      const std::string where = "attachment " + att.content_id;
      att.name = required_text(a, "AttachmentName", where);
      att.content_type = required_text(a, "ContentType", where);
      att.description = text_of(child(a, "Description"));
      auto it = manifest.find(att.content_id);
      if (it == manifest.end()) throw EdxmlError(where + ": not listed in the manifest");
      if (it->second.seen) throw EdxmlError(where + ": appears twice");
      it->second.seen = true;
      if (it->second.name != att.name)
        throw EdxmlError(where + ": AttachmentName '" + att.name + "' differs from the manifest's '" + it->second.name +
                         "'");
      if (it->second.type != att.content_type)
        throw EdxmlError(where + ": ContentType '" + att.content_type + "' differs from the manifest's '" +
                         it->second.type + "'");
      auto data = base64_decode(required_text(a, "ContentTransferEncoded", where));
      if (!data) throw EdxmlError(where + ": ContentTransferEncoded is not valid base64");
      att.data = std::move(*data);
      package.attachments.push_back(std::move(att));
    }
  }
  for (const auto& [id, entry] : manifest)
    if (!entry.seen)
      throw EdxmlError("manifest lists " + id + " (" + entry.name + ") but the package does not carry it");
  return package;
}

}  // namespace lgsp::contracts::edxml
