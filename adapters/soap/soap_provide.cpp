// Provide mode: the node's synchronous call or sealed delivery in, a legacy SOAP service called, its answer
// unwrapped (or its fault mapped to a problem+json error) out.
#include "lgsp/adapters/errors.hpp"
#include "lgsp/contracts/base64.hpp"
#include "lgsp/contracts/safe_xml.hpp"
#include "soap_errors.hpp"
#include "soap_modes.hpp"
#include "soap_xml.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace lgsp::adapters::soap {
namespace {

std::int64_t steady_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool xml_media_type(std::string type) {
  type = type.substr(0, type.find(';'));
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type == "application/xml" || type == "text/xml" ||
         (type.rfind("application/", 0) == 0 && type.size() > 4 && type.substr(type.size() - 4) == "+xml");
}

bus::HttpResponse problem_with(const bus::ErrorCode& error, const std::string& detail, const nlohmann::json& extra) {
  bus::HttpResponse r = bus::problem(error, bounded(detail));
  auto body = nlohmann::json::parse(r.body);
  for (const auto& [key, value] : extra.items()) body[key] = value;
  r.body = body.dump();
  return r;
}

}  // namespace

std::string remote_host(const std::string& remote) {
  if (!remote.empty() && remote.front() == '[') {
    const auto close = remote.find(']');
    return close == std::string::npos ? remote : remote.substr(1, close - 1);
  }
  const auto colon = remote.rfind(':');
  if (colon == std::string::npos || remote.find(':') != colon) return remote;  // no port, or a bare IPv6 address
  return remote.substr(0, colon);
}

ProvideService::ProvideService(ProvideConfig config, AdapterContext& context)
    : config_(std::move(config)), context_(context), client_(config_.tls, 1) {}

Health ProvideService::health() const {
  Health h;
  h.backlog = -1;
  const auto ok = last_ok_.load(), failed = last_failure_.load();
  if (failed > ok && steady_seconds() - failed < 300) {
    std::lock_guard lock(failure_mutex_);
    h.ok = false;
    h.detail = "the legacy SOAP service failed last: " + last_failure_reason_;
  } else {
    h.detail = "calling " + config_.endpoint + " (SOAP " + std::string(version_name(config_.version)) + ")";
  }
  return h;
}

bus::HttpResponse ProvideService::handle(const bus::HttpRequest& request) {
  if (request.method != "POST") return bus::problem(bus::errors::kMethodNotAllowed, "POST only");
  context_.metrics.count("requests");
  std::string content_type = request.header("content-type").value_or("");
  const std::string* body = &request.body;
  Delivery delivery;
  if (request.header("lgsp-signature")) {
    // A delivery the node pushed: only its seal makes it the node's.
    auto verified = context_.deliveries.verify(request);
    if (auto* refused = std::get_if<DeliveryRefusal>(&verified)) {
      context_.metrics.count("delivery_refused");
      return bus::problem(lgsp::adapters::errors::kDeliverySeal, bounded(refused->reason));
    }
    delivery = std::get<Delivery>(std::move(verified));
    content_type = delivery.content_type.empty() ? content_type : delivery.content_type;
    body = &delivery.body;
  } else if (std::find(config_.call_from.begin(), config_.call_from.end(), remote_host(request.remote)) ==
             config_.call_from.end()) {
    // A synchronous call carries no seal: only the node's address may make one (the node did the ACL).
    context_.metrics.count("caller_refused");
    return bus::problem(errors::kCaller, "unsigned calls are taken from " + std::to_string(config_.call_from.size()) +
                                             " configured address(es) only, not from " + remote_host(request.remote));
  }
  if (!xml_media_type(content_type))
    return bus::problem(errors::kPayload, "the payload's content type is " + bounded(content_type, 100) +
                                              "; this service's contract is XML (application/xml)");
  return forward(*body);
}

bus::HttpResponse ProvideService::forward(const std::string& payload) {
  std::vector<contracts::ValidationError> problems;
  auto doc = contracts::parse_xml(payload, config_.limits, problems);
  if (!doc) return bus::problem(errors::kPayload, contracts::to_text(problems));
  const QName element = qname(xmlDocGetRootElement(doc.get()));
  const ProvideOperation* op = nullptr;
  for (const auto& candidate : config_.operations)
    if (candidate.element.local == element.local &&
        (candidate.element.ns.empty() || candidate.element.ns == element.ns))
      op = &candidate;
  if (!op) return bus::problem(errors::kPayload, "no operation is configured for the element " + element.text());

  bus::OutboundRequest out;
  out.method = "POST";
  out.url = config_.endpoint;
  out.timeout = config_.timeout;
  try {
    out.body = build_envelope(config_.version, payload, config_.limits, config_.token);
  } catch (const std::invalid_argument& e) {
    return bus::problem(errors::kPayload, e.what());
  }
  out.headers.emplace_back("Content-Type", soap_content_type(config_.version, op->soap_action));
  if (config_.version == SoapVersion::v11) out.headers.emplace_back("SOAPAction", "\"" + op->soap_action + "\"");
  out.headers.emplace_back("Accept", config_.version == SoapVersion::v11 ? "text/xml" : "application/soap+xml");
  if (config_.basic_user)
    out.headers.emplace_back("Authorization", "Basic " + contracts::base64_encode(*config_.basic_user + ":" +
                                                                                  config_.basic_password.value_or("")));

  auto failed = [&](const std::string& why) {
    last_failure_ = steady_seconds();
    std::lock_guard lock(failure_mutex_);
    last_failure_reason_ = bounded(why, 300);
  };
  const bus::OutboundResponse response = client_.send_sync(std::move(out));
  if (response.failure == bus::OutboundResponse::Failure::timeout) {
    context_.metrics.count("legacy_timeout");
    failed(response.error);
    return bus::problem(errors::kLegacyTimeout, bounded(config_.endpoint + ": " + response.error));
  }
  if (!response.ok()) {
    context_.metrics.count("legacy_unavailable");
    failed(response.error);
    return bus::problem(errors::kLegacyDown, bounded(config_.endpoint + ": " + response.error));
  }
  auto parsed = parse_envelope(response.body, config_.limits);
  if (auto* r = std::get_if<Refusal>(&parsed)) {
    context_.metrics.count("legacy_bad_answer");
    failed("HTTP " + std::to_string(response.status) + ", not a SOAP envelope");
    return problem_with(errors::kBadAnswer,
                        "HTTP " + std::to_string(response.status) + ", not a SOAP envelope: " + r->detail,
                        {{"legacy_status", response.status}});
  }
  const Envelope& envelope = std::get<Envelope>(parsed);
  last_ok_ = steady_seconds();  // it answered as a SOAP service does, even with a fault
  if (envelope.fault) {
    context_.metrics.count("legacy_faults");
    return problem_with(errors::kFault, envelope.fault->code + ": " + envelope.fault->reason,
                        {{"faultcode", envelope.fault->code},
                         {"faultstring", envelope.fault->reason},
                         {"faultdetail", envelope.fault->detail},
                         {"legacy_status", response.status}});
  }
  if (response.status < 200 || response.status >= 300) {
    context_.metrics.count("legacy_bad_answer");
    return problem_with(errors::kBadAnswer, "HTTP " + std::to_string(response.status) + " without a Fault",
                        {{"legacy_status", response.status}});
  }
  context_.metrics.count("delivered");
  bus::HttpResponse answer;
  answer.status = 200;
  answer.content_type = "application/xml";
  answer.body = envelope.payload;
  return answer;
}

}  // namespace lgsp::adapters::soap
