// Expose mode: a legacy SOAP client's request in, the bus service called (or sent to), a SOAP answer out.
#include "lgsp/bus/digest.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/safe_xml.hpp"
#include "soap_errors.hpp"
#include "soap_modes.hpp"
#include "soap_xml.hpp"
#include "wsdl.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace lgsp::adapters::soap {
namespace {

bus::HttpResponse soap_answer(unsigned status, SoapVersion version, std::string body) {
  bus::HttpResponse r;
  r.status = status;
  r.content_type = soap_content_type(version);
  r.body = std::move(body);
  return r;
}

// The version a refused request is answered in: what its content type says, SOAP 1.1 otherwise.
SoapVersion version_of_header(const bus::HttpRequest& request) {
  auto type = request.header("content-type").value_or("");
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  return type.find("application/soap+xml") != std::string::npos ? SoapVersion::v12 : SoapVersion::v11;
}

// A node's problem+json answer as a fault: its code and both titles, sender's fault for 4xx.
FaultSpec fault_from_problem(unsigned status, const std::string& body, const std::string& code_hint) {
  FaultSpec f;
  f.status = status;
  f.role = status >= 500 ? FaultRole::receiver : FaultRole::sender;
  auto j = nlohmann::json::parse(body.size() <= 64 * 1024 ? body : std::string("null"), nullptr, false);
  auto text = [&](const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  f.code = text("code");
  if (f.code.empty()) f.code = code_hint.empty() ? "LGSP-" + std::to_string(status) : code_hint;
  f.title_en = text("title");
  f.title_vi = text("title_vi");
  if (f.title_en.empty()) f.title_en = "The bus refused the request (HTTP " + std::to_string(status) + ")";
  if (f.title_vi.empty()) f.title_vi = "Trục liên thông từ chối yêu cầu (HTTP " + std::to_string(status) + ")";
  f.detail = text("detail");
  // Contract errors name the offending element: the legacy client's developer needs them.
  if (j.is_object() && j.contains("errors") && j["errors"].is_array())
    for (const auto& e : j["errors"])
      if (e.is_object() && e.contains("message") && e["message"].is_string() && f.detail.size() < 900)
        f.detail += (f.detail.empty() ? "" : "; ") + e["message"].get<std::string>();
  f.code = bounded(f.code, 128);
  f.title_en = bounded(f.title_en, 256);
  f.title_vi = bounded(f.title_vi, 256);
  f.detail = bounded(f.detail);
  return f;
}

// WS-Addressing MessageID as an LGSP-Message-Id: 1 to 128 of A-Z a-z 0-9 - _ . : @ ("urn:uuid:" dropped).
std::string message_id_from(const std::string& addressing) {
  std::string id = addressing;
  if (id.rfind("urn:uuid:", 0) == 0) id = id.substr(9);
  if (id.empty() || id.size() > 128) return {};
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("-_.:@").find(c) == std::string_view::npos)
      return {};
  return id;
}

// The receipt of a one-way operation as the lgsp:Receipt element the WSDL declares.
std::string receipt_payload(bool repeated, const std::string& receipt_json) {
  auto j =
      nlohmann::json::parse(receipt_json.size() <= 1024 * 1024 ? receipt_json : std::string("null"), nullptr, false);
  XmlDoc doc(xmlNewDoc(xml_chars("1.0")));
  xmlNode* root = new_element(nullptr, doc.get(), "Receipt");
  xmlNs* ns = xmlNewNs(root, xml_chars(std::string(kLgspSoapNamespace)), xml_chars("lgsp"));
  xmlSetNs(root, ns);
  xmlNewTextChild(root, ns, xml_chars("status"), xml_chars(repeated ? "repeated" : "accepted"));
  for (const char* key : {"message_id", "service", "client", "accepted_at", "payload_sha256", "signature"}) {
    if (!j.is_object() || !j.contains(key) || j[key].is_null()) continue;
    const std::string value = j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
    xmlNewTextChild(root, ns, xml_chars(key), xml_chars(value));
  }
  return element_document(root);
}

}  // namespace

ExposeService::ExposeService(ExposeConfig config, AdapterContext& context, const std::string& where)
    : config_(std::move(config)), context_(context) {
  WsdlSpec spec;
  spec.service_name = config_.service_name;
  spec.target_namespace = config_.target_namespace;
  spec.location = context_.public_base_url + context_.route_prefix;
  std::set<std::filesystem::path> schemas;
  std::set<std::string> elements, actions;
  for (auto& op : config_.operations) {
    const std::string at = where + ".operation '" + op.name + "'";
    try {
      op.request = context_.catalogue.find(op.request_contract);
      if (!op.request) throw std::runtime_error("no contract " + op.request_contract + " in the node's catalogue");
      const XsdInfo request = read_xsd(*op.request);
      op.input = request.pick(op.request_element);
      schemas.insert(request.file);
      if (op.one_way) {
        op.output = receipt_element();
      } else {
        const auto* response = context_.catalogue.find(op.response_contract);
        if (!response) throw std::runtime_error("no contract " + op.response_contract + " in the node's catalogue");
        const XsdInfo info = read_xsd(*response);
        op.output = info.pick(op.response_element);
        schemas.insert(info.file);
      }
    } catch (const std::exception& e) {
      throw AdapterConfigError(at, e.what());
    }
    // document/literal: the Body's element says which operation a request is for.
    if (!elements.insert(op.input.text()).second)
      throw AdapterConfigError(at, "another operation takes the same element " + op.input.text());
    if (!actions.insert(op.soap_action).second)
      throw AdapterConfigError(at, "another operation has the same soap_action " + op.soap_action);
    spec.operations.push_back({op.name, op.soap_action, op.input, op.output});
  }
  spec.schemas.assign(schemas.begin(), schemas.end());
  try {
    wsdl_ = generate_wsdl(spec);
  } catch (const std::exception& e) {
    throw AdapterConfigError(where, std::string("cannot generate the WSDL: ") + e.what());
  }
  if (config_.users_file) {
    try {
      tokens_ = std::make_unique<UsernameTokenVerifier>(UserStore::load(*config_.users_file), config_.token_policy);
    } catch (const std::exception& e) {
      throw AdapterConfigError(where + ".security.users_file", e.what());
    }
  }
}

std::string ExposeService::describe() const {
  return "exposing " + std::to_string(config_.operations.size()) + " operation(s) at " + context_.route_prefix +
         (tokens_ ? " (UsernameToken required)" : "");
}

bus::HttpResponse ExposeService::fault(SoapVersion version, const FaultSpec& spec) const {
  context_.metrics.count("faults");
  return soap_answer(fault_http_status(version, spec.role), version, build_fault(version, spec));
}

bus::HttpResponse ExposeService::fault(SoapVersion version, const bus::ErrorCode& error, FaultRole role,
                                       const std::string& detail) const {
  return fault(version, fault_spec(error, role, detail));
}

std::optional<bus::HttpResponse> ExposeService::check_header(const bus::HttpRequest& header) const {
  if (header.method != "POST") return std::nullopt;
  auto length = header.header("content-length");
  if (!length) return std::nullopt;
  std::uint64_t announced = 0;
  try {
    announced = std::stoull(*length);
  } catch (const std::exception&) {
    return std::nullopt;  // the server refuses a malformed Content-Length itself
  }
  if (announced <= config_.max_body_bytes) return std::nullopt;
  return fault(version_of_header(header), errors::kSize, FaultRole::sender,
               "the request announces " + std::to_string(announced) + " bytes; the limit is " +
                   std::to_string(config_.max_body_bytes));
}

bus::HttpResponse ExposeService::handle(const bus::HttpRequest& request) {
  const std::string& prefix = context_.route_prefix;
  if (request.path != prefix && request.path != prefix + "/")
    return bus::problem(bus::errors::kUnknownRoute, "this SOAP service is at " + prefix);
  if (request.method == "GET") {
    if (request.query != "wsdl" && request.query != "WSDL")
      return bus::problem(bus::errors::kUnknownRoute, "GET " + prefix + "?wsdl for the WSDL; POST SOAP requests");
    context_.metrics.count("wsdl");
    return bus::HttpResponse::text(200, wsdl_, "text/xml; charset=utf-8");
  }
  context_.metrics.count("requests");
  const SoapVersion guessed = version_of_header(request);
  if (request.body.size() > config_.max_body_bytes)
    return fault(guessed, errors::kSize, FaultRole::sender,
                 "the request is " + std::to_string(request.body.size()) + " bytes; the limit is " +
                     std::to_string(config_.max_body_bytes));
  auto transport = read_transport(request.header("content-type"), request.header("soapaction"));
  if (auto* r = std::get_if<Refusal>(&transport)) return fault(guessed, *r->error, r->role, r->detail);
  const Transport t = std::get<Transport>(transport);

  auto parsed = parse_envelope(request.body, config_.limits);
  if (auto* r = std::get_if<Refusal>(&parsed)) return fault(t.version, *r->error, r->role, r->detail);
  const Envelope& envelope = std::get<Envelope>(parsed);
  if (envelope.version != t.version)
    return fault(t.version, errors::kVersion, FaultRole::version_mismatch,
                 "a SOAP " + std::string(version_name(envelope.version)) + " envelope sent as SOAP " +
                     std::string(version_name(t.version)) + " (" + request.header("content-type").value_or("") + ")");
  if (envelope.fault) return fault(t.version, errors::kEnvelope, FaultRole::sender, "a request cannot be a Fault");

  if (tokens_) {
    if (!envelope.username_token) {
      context_.metrics.count("auth_refused");
      return fault(t.version, errors::kAuth, FaultRole::sender, "a wsse:Security UsernameToken header is required");
    }
    if (auto why = tokens_->verify(*envelope.username_token, std::chrono::system_clock::now())) {
      context_.metrics.count("auth_refused");
      return fault(t.version, errors::kAuth, FaultRole::sender, *why);
    }
  }

  const ExposeOperation* op = nullptr;
  for (const auto& candidate : config_.operations)
    if (candidate.input == envelope.payload_name) op = &candidate;
  if (!op)
    return fault(t.version, errors::kOperation, FaultRole::sender,
                 "no operation takes " + envelope.payload_name.text());
  if (!t.action.empty() && t.action != op->soap_action)
    return fault(t.version, errors::kOperation, FaultRole::sender,
                 "the action " + t.action + " is not the action of " + op->name + " (" + op->soap_action + ")");

  // Checked here so a legacy client's developer gets the element at fault in the fault; the node checks again.
  auto valid = op->request->validate(envelope.payload, config_.limits);
  if (!valid.valid()) {
    context_.metrics.count("refused");
    return fault(t.version, bus::errors::kContract, FaultRole::sender,
                 op->request->id() + ": " + contracts::to_text(valid.errors));
  }
  return op->one_way ? send(envelope, *op) : call(envelope, *op);
}

bus::HttpResponse ExposeService::call(const Envelope& envelope, const ExposeOperation& op) {
  CallRequest call;
  call.method = "POST";
  call.service = op.service;
  call.path = op.path;
  call.content_type = "application/xml";
  call.body = envelope.payload;
  call.message_id = message_id_from(envelope.addressing_message_id);
  call.headers.emplace_back("Accept", "application/xml");
  call.timeout = config_.timeout;
  const CallOutcome outcome = context_.node.call(call);
  if (!outcome.answered) {
    context_.metrics.count("node_unavailable");
    return fault(envelope.version, errors::kNodeUnavailable, FaultRole::receiver, outcome.error);
  }
  if (outcome.status < 200 || outcome.status >= 300) {
    context_.metrics.count(outcome.status >= 500 ? "failed" : "refused");
    return fault(envelope.version, fault_from_problem(outcome.status, outcome.body, outcome.code));
  }
  bus::HttpResponse answer;
  try {
    answer = soap_answer(200, envelope.version, build_envelope(envelope.version, outcome.body, config_.limits));
  } catch (const std::invalid_argument& e) {
    context_.metrics.count("failed");
    return fault(envelope.version, errors::kInternal, FaultRole::receiver,
                 std::string("the service's answer is not XML: ") + e.what());
  }
  // The node's seal over request and answer travels in the HTTP header, for a client that keeps proofs.
  for (const auto& [name, value] : outcome.headers)
    if (name.rfind("lgsp-", 0) == 0 && answer.headers.size() < 16)
      answer.headers.emplace_back(name, bounded(value, 8192));
  context_.metrics.count("called");
  return answer;
}

bus::HttpResponse ExposeService::send(const Envelope& envelope, const ExposeOperation& op) {
  OutgoingMessage message;
  message.service = op.service;
  message.message_id = message_id_from(envelope.addressing_message_id);
  // Without a WS-Addressing MessageID each request is a new message (a client that retries should send one).
  if (message.message_id.empty()) message.message_id = "soap-" + bus::random_hex(16);
  message.content_type = "application/xml";
  message.body = envelope.payload;
  const SendOutcome outcome = context_.node.send(message);
  switch (outcome.kind) {
    case SendOutcome::Kind::accepted:
    case SendOutcome::Kind::repeated:
      context_.metrics.count("sent");
      return soap_answer(
          200, envelope.version,
          build_envelope(envelope.version, receipt_payload(outcome.kind == SendOutcome::Kind::repeated, outcome.body),
                         config_.limits));
    case SendOutcome::Kind::refused:
      context_.metrics.count("refused");
      return fault(envelope.version, fault_from_problem(outcome.status, outcome.body, outcome.code));
    case SendOutcome::Kind::unavailable:
      break;
  }
  context_.metrics.count("node_unavailable");
  if (outcome.status == 0)
    return fault(envelope.version, errors::kNodeUnavailable, FaultRole::receiver, outcome.detail);
  return fault(envelope.version, fault_from_problem(outcome.status, outcome.body, outcome.code));
}

}  // namespace lgsp::adapters::soap
