#include "civil_registry.hpp"

#include "lgsp/bus/call_proxy.hpp"
#include "lgsp/bus/config.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/pades.hpp"
#include "lgsp/signing/trust.hpp"
#include "lgsp/signing/verifier.hpp"

#include <algorithm>
#include <regex>

namespace lgsp::onestop {
using nlohmann::json;

namespace {
// A registry's extract is a few hundred KiB; the answer carries it base64 (4/3) inside JSON.
constexpr std::size_t kMaxAnswerBytes = 16 * 1024 * 1024;
constexpr std::size_t kMaxDocumentBytes = 8 * 1024 * 1024;

// A text member of the registry's or the node's answer, cut to one bounded line for history and details.
std::string text_of(const json& j, const char* name, std::size_t max = 500) {
  if (!j.is_object() || !j.contains(name) || !j[name].is_string()) return {};
  std::string s = j[name].get<std::string>().substr(0, max);
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return s;
}

const json* member(const json& j, const char* name) { return j.is_object() && j.contains(name) ? &j[name] : nullptr; }
}  // namespace

std::string extract_title(const std::string& event_type) {
  if (event_type == "birth") return "Trích lục khai sinh";
  if (event_type == "death") return "Trích lục khai tử";
  if (event_type == "marriage") return "Trích lục kết hôn";
  if (event_type == "parent_child_recognition") return "Trích lục nhận cha, mẹ, con";
  return "Trích lục hộ tịch";
}

CivilRegistry::CivilRegistry(const OnestopConfig& config, std::string api_key)
    : config_(config), api_key_(std::move(api_key)) {
  if (!configured()) return;
  try {
    for (const auto& cert : signing::load_pem_certificates(config_.registry.seal_certificates))
      seal_fingerprints_.insert(signing::describe(cert.get()).sha256_fingerprint);
  } catch (const std::exception& e) {
    throw bus::ConfigError("registry.seal_certificates", e.what());
  }
  if (seal_fingerprints_.empty()) throw bus::ConfigError("registry.seal_certificates", "holds no certificate");
  try {
    signing::TrustPolicy policy;
    policy.anchors = signing::load_pem_certificates(config_.bus.trust_roots);
    policy.revocation = signing::RevocationMode::kNone;  // as for deliveries: a node is revoked in the registry
    node_trust_ = std::make_unique<signing::TrustStore>(std::move(policy));
  } catch (const std::exception& e) {
    throw bus::ConfigError("bus.trust_roots", e.what());
  }
  try {
    // Every certificate in the file, as the bus inbox pins them (api.cpp).
    for (const auto& cert : signing::load_pem_certificates(config_.bus.node_certificates))
      node_pins_.insert(bus::certificate_sha256(cert.get()));
  } catch (const std::exception& e) {
    throw bus::ConfigError("bus.node_certificates", e.what());
  }
  client_ = std::make_unique<bus::OutboundClient>(bus::OutboundTls{config_.bus.ca, {}, {}}, 1, kMaxAnswerBytes);
}

CivilRegistry::~CivilRegistry() = default;

bool CivilRegistry::handles(const std::string& procedure_code) const {
  const auto& p = config_.registry.procedures;
  return std::find(p.begin(), p.end(), procedure_code) != p.end();
}

json CivilRegistry::request_for(const DossierRecord& d, const json& in, const std::string& now) const {
  json errors = json::array();
  auto bad = [&](const std::string& path, const std::string& message) {
    errors.push_back({{"path", path}, {"message", message}});
  };
  static const std::set<std::string> known = {"event_type", "lookup", "purpose", "copies", "relation", "requester"};
  for (auto it = in.begin(); it != in.end(); ++it)
    if (!known.count(it.key())) bad("/" + it.key().substr(0, 64), "unknown field");
  const json* event = member(in, "event_type");
  if (!event || !event->is_string()) bad("/event_type", "birth, death, marriage or parent_child_recognition");
  const json* lookup = member(in, "lookup");
  if (!lookup || !lookup->is_object() || lookup->size() != 1 ||
      !(lookup->contains("registration") || lookup->contains("person")))
    bad("/lookup",
        "an object with either registration {registration_office, book_number, book_year, "
        "entry_number} or person {full_name, date_of_birth, ...}");
  const json* copies = member(in, "copies");
  if (copies && !copies->is_number_integer()) bad("/copies", "a whole number from 1 to 20");
  for (const char* name : {"purpose", "relation"})
    if (const json* v = member(in, name); v && (!v->is_string() || v->get_ref<const std::string&>().empty()))
      bad(std::string("/") + name, "a non-empty string");
  const json* requester = member(in, "requester");
  if (requester && !requester->is_object()) bad("/requester", "an object {full_name, id_number, relation, ...}");
  if (!errors.empty()) throw OnestopError(errors::kInvalid, "the extract request is incomplete", errors);

  // The requester is the dossier's applicant unless the official says otherwise (an authorised representative).
  json who = json::object();
  for (const char* k : {"full_name", "id_number", "phone", "email"})
    if (auto v = d.applicant.is_object() ? d.applicant.value(k, std::string()) : std::string(); !v.empty()) who[k] = v;
  who["relation"] = in.value("relation", std::string("self"));
  if (requester)
    for (auto it = requester->begin(); it != requester->end(); ++it) who[it.key()] = *it;

  static const std::regex request_id(R"(^[A-Za-z0-9._-]{1,64}$)");
  json request = {{"request_id", std::regex_match(d.code, request_id) ? d.code : bus::random_hex(16)},
                  {"event_type", *event},
                  {"lookup", *lookup},
                  {"requester", who},
                  {"purpose", in.value("purpose", std::string("Cấp bản sao trích lục hộ tịch theo hồ sơ ") + d.code)},
                  {"copies", copies ? *copies : json(1)},
                  {"requested_at", now}};
  return request;
}

bus::OutboundResponse CivilRegistry::call(const std::string& method, const std::string& service,
                                          const std::string& path, const std::string& body, json& record) const {
  const std::string message_id = bus::random_hex(16);
  bus::OutboundRequest req;
  req.method = method;
  req.url = config_.bus.url + "/v1/call/" + service + (path.empty() ? "" : "/" + path);
  req.headers = {
      {"Authorization", "Bearer " + api_key_}, {"LGSP-Client", config_.bus_client()}, {"LGSP-Message-Id", message_id}};
  if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
  req.body = body;
  req.timeout = std::chrono::seconds(config_.registry.timeout_seconds);
  auto resp = client_->send_sync(std::move(req));
  record["call_id"] = message_id;
  using Failure = bus::OutboundResponse::Failure;
  if (!resp.ok()) {
    record["error"] = resp.error.substr(0, 500);
    if (resp.failure == Failure::timeout)
      throw ExtractFailure(errors::kRegistryTimeout,
                           "no answer through the bus within " + std::to_string(config_.registry.timeout_seconds) +
                               " s (registry.timeout_seconds)",
                           record);
    throw ExtractFailure(errors::kRegistryUnavailable, "the office's node cannot be reached: " + resp.error, record);
  }
  if (auto sealed = resp.header("lgsp-sealed-at")) record["sealed_at"] = sealed->substr(0, 64);
  if (resp.status != 200) {
    // The node's (or, passed on, the registry node's) problem+json: its code says what went wrong where.
    json problem = json::parse(resp.body.substr(0, 64 * 1024), nullptr, false);
    std::string code = text_of(problem, "code", 64), detail = text_of(problem, "detail");
    record["http_status"] = resp.status;
    record["bus_code"] = code;
    record["detail"] = detail;
    if (!text_of(problem, "source", 16).empty()) record["source"] = text_of(problem, "source", 16);
    std::string said = "HTTP " + std::to_string(resp.status) + (code.empty() ? "" : " " + code) +
                       (detail.empty() ? "" : ": " + detail);
    if (resp.status == 504 || code == "LGSP-504-PROVIDER")
      throw ExtractFailure(errors::kRegistryTimeout, "the registry did not answer in time (" + said + ")", record);
    if (code == "LGSP-400-CONTRACT") {
      json errs = problem.is_object() && problem.contains("errors") && problem["errors"].is_array() ? problem["errors"]
                                                                                                    : json::array();
      if (errs.size() > 20) errs.erase(errs.begin() + 20, errs.end());
      throw ExtractFailure(errors::kInvalid, "the lookup data do not satisfy hotich.trichluc-request@v1 (" + said + ")",
                           record, errs);
    }
    throw ExtractFailure(errors::kRegistryUnavailable, "the bus refused or failed the call: " + said, record);
  }
  record["call_id"] = resp.header("lgsp-message-id").value_or(message_id).substr(0, 128);
  // The node's seal binds this answer to this request (a call record in its log): checked like a delivery's, so
  // that what the office issues is what the bus sealed, and kept (call_id) for `lgsp log verify`.
  bus::CallSeal sealed;
  sealed.call_id = resp.header("lgsp-message-id").value_or("");
  sealed.client = resp.header("lgsp-client").value_or("");
  sealed.service = resp.header("lgsp-service").value_or("");
  sealed.at = resp.header("lgsp-sealed-at").value_or("");
  sealed.request_sha256 = bus::sha256_hex(body);
  sealed.response_sha256 = bus::sha256_hex(resp.body);
  sealed.status = resp.status;
  json seal = json::parse(resp.header("lgsp-signature").value_or(""), nullptr, false);
  auto check = bus::verify_seal(sealed.leaf(), seal, node_trust_.get(), &node_pins_);
  if (sealed.call_id != message_id || sealed.client != config_.bus_client() || sealed.service != service ||
      !check.valid)
    throw ExtractFailure(errors::kRegistryUnavailable,
                         "the node's seal over the call does not verify" +
                             (check.valid ? std::string(" for this request") : ": " + check.reason),
                         record);
  return resp;
}

VerifiedExtract CivilRegistry::ask(const json& request, const signing::Verifier* verifier) const {
  if (!configured() || !client_)
    throw OnestopError(errors::kRegistryNotConfigured, "set registry.service and registry.seal_certificates");
  json record = {{"service", config_.registry.service}};
  auto resp = call("POST", config_.registry.service, "", request.dump(), record);
  json answer = json::parse(resp.body, nullptr, false);
  if (!answer.is_object())
    throw ExtractFailure(errors::kExtractMalformed, "the registry's answer is not a JSON object", record);
  if (text_of(answer, "request_id", 64) != request.at("request_id").get<std::string>())
    throw ExtractFailure(errors::kExtractMalformed,
                         "the answer is for request '" + text_of(answer, "request_id", 64) + "', not '" +
                             request.at("request_id").get<std::string>() + "'",
                         record);
  const std::string status = text_of(answer, "status", 16), message = text_of(answer, "message", 2000);
  record["status"] = status;
  if (!message.empty()) record["message"] = message;
  if (status == "not_found")
    throw ExtractFailure(errors::kExtractNotFound, "the registry: " + (message.empty() ? status : message), record);
  if (status == "refused")
    throw ExtractFailure(errors::kExtractRefused, "the registry: " + (message.empty() ? status : message), record);
  if (status != "found")
    throw ExtractFailure(errors::kExtractMalformed, "the answer's status is '" + status + "'", record);
  const std::string call_id = record.value("call_id", ""), sealed_at = record.value("sealed_at", "");
  auto found = check_found(answer, verifier, record);
  found.message = message;
  found.call_id = call_id;
  found.sealed_at = sealed_at;
  return found;
}

VerifiedExtract CivilRegistry::check_found(const json& answer, const signing::Verifier* verifier, json record) const {
  const json* extract = member(answer, "extract");
  const json* document = member(answer, "document");
  if (!extract || !extract->is_object())
    throw ExtractFailure(errors::kExtractMalformed, "a found answer without its extract", record);
  record["extract_number"] = text_of(*extract, "extract_number", 40);
  if (!document || !document->is_object())
    throw ExtractFailure(errors::kExtractMalformed, "the extract comes without its signed document", record);
  const std::string sha = text_of(*document, "sha256", 64), media_type = text_of(*document, "media_type", 64);
  record["document_sha256"] = sha;
  const json* size = member(*document, "size");
  static const std::regex hex64(R"(^[0-9a-f]{64}$)");
  if (!std::regex_match(sha, hex64) || !size || !size->is_number_integer() || size->get<std::int64_t>() < 1)
    throw ExtractFailure(errors::kExtractMalformed, "the answer's document has no valid sha256 and size", record);
  if (media_type != "application/pdf")
    throw ExtractFailure(errors::kExtractMalformed,
                         "the extract is " + media_type + ": only a PAdES-signed PDF can be issued as the result",
                         record);
  if (size->get<std::int64_t>() > std::int64_t(kMaxDocumentBytes))
    throw ExtractFailure(errors::kExtractDocument, "the document is larger than 8 MiB", record);
  // The bytes by their hash from the registry's document service: a second call, sealed by the nodes like the first.
  json fetch = {{"service", config_.registry.document_service}};
  bus::OutboundResponse got;
  try {
    got = call("GET", config_.registry.document_service, sha, "", fetch);
  } catch (ExtractFailure& e) {
    record["document_fetch"] = e.record();
    throw ExtractFailure(e.code(), std::string("fetching the document: ") + e.what(), record, e.errors());
  }
  record["document_call_id"] = fetch.value("call_id", "");
  const std::string& bytes = got.body;
  const std::string actual = bus::sha256_hex(bytes);
  if (actual != sha || size->get<std::int64_t>() != std::int64_t(bytes.size())) {
    record["document_actual_sha256"] = actual;
    throw ExtractFailure(errors::kExtractDocument,
                         "the document's bytes (" + std::to_string(bytes.size()) + " bytes, SHA-256 " + actual +
                             ") are not the document the answer names (" + std::to_string(size->get<std::int64_t>()) +
                             " bytes, SHA-256 " + sha + ")",
                         record);
  }
  if (!verifier)
    throw OnestopError(errors::kSigningNotConfigured,
                       "set signing.trust_roots to the roots the registry's seal certificate chains to");
  std::vector<unsigned char> pdf(bytes.begin(), bytes.end());
  auto report = signing::verify_pdf(pdf, *verifier);
  if (!report.valid || report.signatures.empty()) {
    const auto& last = report.signatures.empty() ? signing::PdfSignatureReport{} : report.signatures.back();
    std::string reason = last.reason.empty() ? report.reason : last.reason;
    record["reason"] = reason.substr(0, 500);
    const signing::ErrorCode* failure = last.failure ? last.failure : report.failure;
    if (failure == &signing::errors::kRevocationUnknown)
      throw ExtractFailure(errors::kRevocationUnknown, "the registry's seal: " + reason, record);
    throw ExtractFailure(errors::kExtractSignature, "the extract's signature does not verify: " + reason, record);
  }
  // The signature over the whole file must be the registry's own seal: chaining to a trusted root says only
  // that some CA issued the certificate (the ward's own seal chains there too).
  const auto& last = report.signatures.back();
  const std::string subject = last.cms.signer ? last.cms.signer->subject : "";
  record["signer"] = subject;
  if (!last.covers_whole_file || !last.cms.signer || !seal_fingerprints_.count(last.cms.signer->sha256_fingerprint))
    throw ExtractFailure(errors::kExtractSigner,
                         "the extract is signed by " + (subject.empty() ? std::string("nobody") : subject) +
                             ", not by a certificate in registry.seal_certificates",
                         record);
  VerifiedExtract out;
  out.extract = *extract;
  out.pdf = std::move(pdf);
  out.signer = subject;
  return out;
}

}  // namespace lgsp::onestop
