// SOAP envelopes as the soap adapter reads them from legacy clients and services (adapters/soap): any bytes give
// an envelope or a refusal that says why; an envelope's payload is a document of its own that reads back, and
// wrapping it again gives the same payload element.
#include "fuzz_target.hpp"
#include "lgsp/contracts/safe_xml.hpp"
#include "soap_envelope.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace {

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  using namespace lgsp::adapters::soap;
  lgsp::contracts::init_libxml2();
  lgsp::contracts::ParseLimits limits;
  limits.max_depth = 16;
  limits.max_attributes = 8;
  limits.max_text_bytes = 1024;
  const auto text = lgsp::fuzz::as_text(data, size);
  // The first line doubles as a Content-Type, so the transport check meets arbitrary header values too.
  const auto line = text.substr(0, std::min<std::size_t>(text.find('\n'), 256));
  auto transport = read_transport(std::string(line), std::string(line));
  if (auto* r = std::get_if<Refusal>(&transport); r && (!r->error || r->detail.empty())) std::abort();

  auto parsed = parse_envelope(text, limits);
  if (auto* r = std::get_if<Refusal>(&parsed)) {
    if (!r->error || r->detail.empty() || r->detail.size() > 1100) std::abort();
    return 0;
  }
  const auto& envelope = std::get<Envelope>(parsed);
  if (envelope.fault) return 0;
  // The payload now declares the namespaces its ancestors (Envelope, Body) declared: more attributes.
  auto relaxed = limits;
  relaxed.max_attributes = 3 * limits.max_attributes;
  std::vector<lgsp::contracts::ValidationError> errors;
  if (!lgsp::contracts::parse_xml(envelope.payload, relaxed, errors)) std::abort();
  // Wrapping may meet a limit the envelope did not (its namespaces are now declared on the payload): that is a
  // refusal, never a crash.
  try {
    auto again = parse_envelope(build_envelope(envelope.version, envelope.payload, limits), limits);
    if (auto* e = std::get_if<Envelope>(&again); e && !(e->payload_name == envelope.payload_name)) std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(soap_envelope);
