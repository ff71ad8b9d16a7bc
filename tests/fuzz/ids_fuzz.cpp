// Identifiers and the small parsers around them. The first byte chooses the parser, the rest is its text:
//   0 wire ids (LGSP-Message-Id)      1 registry ids (agency, subsystem, service)   2 contract ids "name@vN"
//   3 dossier-code patterns + format  4 HOST:PORT                                    5 RFC 3339 UTC times
//   6 http(s) URLs
// Each must answer (or throw its documented error) and keep what it promises about what it accepts.
#include "fuzz_target.hpp"
#include "lgsp/bus/config.hpp"
#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/bus/wire_ids.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/onestop/dossier_code.hpp"

#include <cstdlib>

namespace {

void wire_id(const std::string& s) {
  if (!lgsp::bus::is_wire_id(s)) return;
  if (s.empty() || s.size() > 128) std::abort();
  for (unsigned char c : s)  // safe in a header and a log line: no space, control, quote or non-ASCII byte
    if (c <= ' ' || c >= 0x7F || c == '"' || c == '\\' || c == '/') std::abort();
}

void registry_ids(const std::string& s) {
  using lgsp::bus::Registry;
  for (bool ok : {Registry::is_agency_code(s), Registry::is_subsystem_id(s), Registry::is_service_id(s)}) {
    if (!ok) continue;
    // Registry ids end up in URL paths and file names: no dot-segment, no control byte.
    if (s.empty() || s == "." || s == ".." || s.find("/../") != std::string::npos || s.rfind("../", 0) == 0)
      std::abort();
    for (unsigned char c : s)
      if (c < ' ' || c == 0x7F || c == '\\') std::abort();
  }
}

void contract_id(const std::string& s) {
  auto parsed = lgsp::contracts::Catalogue::parse_id(s);
  if (!parsed) return;
  if (parsed->first.empty() || parsed->second < 1) std::abort();
  auto again = lgsp::contracts::Catalogue::parse_id(parsed->first + "@v" + std::to_string(parsed->second));
  if (!again || *again != *parsed) std::abort();
}

void dossier_code(const std::string& s) {
  using namespace std::chrono;
  try {
    const lgsp::onestop::DossierCodePattern pattern(s);
    const std::string agency = "000.00.13.H29";
    const auto a = pattern.format(agency, year{2026} / December / 4, 1);
    const auto b = pattern.format(agency, year{2026} / December / 4, 2);
    const auto c = pattern.format(agency, year{2026} / December / 5, 1);
    const auto d = pattern.format("000.00.14.H29", year{2026} / December / 4, 1);
    // The pattern was accepted because it tells agencies, days and sequence numbers apart.
    if (a == b || a == c || a == d) std::abort();
    (void)pattern.format(agency, year{9999} / December / 31, std::numeric_limits<std::int64_t>::max());
  } catch (const lgsp::onestop::DossierCodeError&) {
  }
}

void host_port(const std::string& s) {
  try {
    const auto hp = lgsp::bus::HostPort::parse(s, "server.listen");
    const auto again = lgsp::bus::HostPort::parse(hp.to_string(), "server.listen");
    if (again.host != hp.host || again.port != hp.port) std::abort();
    (void)hp.is_loopback();
  } catch (const lgsp::bus::ConfigError&) {
  }
}

void rfc3339(const std::string& s) { (void)lgsp::bus::parse_utc_rfc3339(s); }

void url(const std::string& s) {
  auto u = lgsp::bus::Url::parse(s);
  if (!u) return;
  if (u->host.empty() || u->target.empty() || u->target.front() != '/') std::abort();
  (void)u->origin();
}

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(lgsp::fuzz::as_text(data + 1, size - 1));
  switch (data[0] % 7) {
    case 0:
      wire_id(text);
      break;
    case 1:
      registry_ids(text);
      break;
    case 2:
      contract_id(text);
      break;
    case 3:
      dossier_code(text);
      break;
    case 4:
      host_port(text);
      break;
    case 5:
      rfc3339(text);
      break;
    default:
      url(text);
      break;
  }
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(ids);
