// edXML unpack: any bytes give a package whose attachments all match the manifest, or EdxmlError. A package
// that unpacks packs again, and what that packs unpacks to the same attachments.
#include "fuzz_target.hpp"
#include "lgsp/contracts/edxml.hpp"
#include "lgsp/contracts/safe_xml.hpp"

#include <cstdlib>

namespace {

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  namespace edxml = lgsp::contracts::edxml;
  lgsp::contracts::init_libxml2();
  lgsp::contracts::ParseLimits limits;
  limits.max_depth = 32;
  edxml::Package package;
  try {
    package = edxml::unpack(lgsp::fuzz::as_text(data, size), limits);
  } catch (const edxml::EdxmlError&) {
    return 0;
  }
  std::string again;
  try {
    again = edxml::pack(package);
  } catch (const edxml::EdxmlError&) {
    return 0;  // a header pack() cannot write (it is stricter on shape than unpack)
  }
  edxml::Package round;
  try {
    round = edxml::unpack(again, lgsp::contracts::ParseLimits{});
  } catch (const edxml::EdxmlError&) {
    std::abort();  // pack() wrote a package unpack() refuses
  }
  if (round.attachments.size() != package.attachments.size()) std::abort();
  for (std::size_t i = 0; i < round.attachments.size(); ++i)
    if (round.attachments[i].data != package.attachments[i].data ||
        round.attachments[i].content_id != package.attachments[i].content_id)
      std::abort();
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(edxml_unpack);
