// Safe XML parsing (contracts::parse_xml): any bytes give a document or errors, within the limits.
#include "fuzz_target.hpp"
#include "lgsp/contracts/safe_xml.hpp"

#include <libxml/tree.h>

#include <cstdlib>

namespace {

unsigned depth_of(xmlNode* node) {
  unsigned deepest = 0;
  for (; node; node = node->next)
    if (node->type == XML_ELEMENT_NODE) {
      const unsigned d = 1 + depth_of(node->children);
      if (d > deepest) deepest = d;
    }
  return deepest;
}

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  using namespace lgsp::contracts;
  init_libxml2();
  // Small limits, so that inputs the fuzzer can reach also cross them.
  ParseLimits limits;
  limits.max_depth = 16;
  limits.max_attributes = 8;
  limits.max_text_bytes = 1024;
  std::vector<ValidationError> errors;
  auto doc = parse_xml(lgsp::fuzz::as_text(data, size), limits, errors);
  if (!doc && errors.empty()) std::abort();  // a refusal always says why
  if (doc && depth_of(xmlDocGetRootElement(doc.get())) > limits.max_depth) std::abort();
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(safe_xml);
