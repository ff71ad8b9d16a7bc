// What the vxp connector reads from the national document-exchange axis: an operation's answer (HTTP status and
// body). The first byte chooses: its value mod 5 the operation (getReceivedEdocList, getEdoc, sendEdoc,
// updateStatus, getAgenciesList), bit 7 an HTTP 500 instead of 200, bit 6 a 401; the rest is the body.
// Whatever the bytes, the reading never throws, and what it hands on is what the connector relies on: ids that
// are ids, a package that is not empty and within max_document_bytes, agencies with a code, a one-line reason.
#include "axis_client.hpp"
#include "fuzz_target.hpp"

#include <cstdlib>

namespace {

using lgsp::adapters::vxp::AxisClient;
using lgsp::adapters::vxp::AxisOutcome;

constexpr std::size_t kMaxDocument = 4096;

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const char* operations[] = {"getReceivedEdocList", "getEdoc", "sendEdoc", "updateStatus", "getAgenciesList"};
  const std::string_view operation = operations[data[0] % 5];
  const unsigned status = data[0] & 0x80 ? 500 : data[0] & 0x40 ? 401 : 200;
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  AxisClient::Reading reading;
  const AxisOutcome outcome = AxisClient::read_answer(operation, status, body, kMaxDocument, reading);
  for (char c : outcome.describe())
    if (static_cast<unsigned char>(c) < 0x20) std::abort();  // reasons go into logs and dead letters as one line
  if (status != 200 && outcome.ok()) std::abort();
  if (!outcome.ok()) return 0;
  for (const auto& e : reading.received)
    if (!AxisClient::is_doc_id(e.doc_id)) std::abort();
  if (operation == "getEdoc" && (reading.edxml.empty() || reading.edxml.size() > kMaxDocument)) std::abort();
  if (operation == "sendEdoc" && !AxisClient::is_doc_id(reading.doc_id)) std::abort();
  for (const auto& a : reading.agencies)
    if (a.code.empty()) std::abort();
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(vxp_answer);
