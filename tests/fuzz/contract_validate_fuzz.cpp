// Validation against the real contracts of contracts/ (XSD and JSON Schema). The input is the contract's id
// on the first line, then the document: "edxml@v1\n<edXML:Envelope ...". An unknown id is not interesting.
// Both profiles: strict (what we send) and receive (what we accept inbound).
#include "fuzz_target.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/safe_xml.hpp"

#include <cstdlib>

namespace {

const lgsp::contracts::Catalogue& catalogue() {
  static const auto loaded = [] {
    lgsp::contracts::init_libxml2();
    return lgsp::contracts::Catalogue::load(lgsp::contracts::default_catalogue_dir());
  }();
  return loaded;
}

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = lgsp::fuzz::as_text(data, size);
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos) return 0;
  const auto* contract = catalogue().find(text.substr(0, newline));
  if (!contract) return 0;
  lgsp::contracts::ParseLimits limits;
  limits.max_depth = 32;
  limits.max_members = 256;
  const auto document = text.substr(newline + 1);
  const auto result = contract->validate(document, limits);
  for (const auto& e : result.errors)
    if (e.message.empty()) std::abort();       // every error says what is wrong
  if (!result.warnings.empty()) std::abort();  // the strict profile never warns
  // The receive profile (inbound traffic) reads the same bytes with its relaxed schema and its own checks.
  const auto received = contract->validate(document, limits, lgsp::contracts::Profile::receive);
  for (const auto& e : received.errors)
    if (e.message.empty()) std::abort();
  if (received.warnings.size() > lgsp::contracts::kMaxWarnings || received.stripped_prefix > document.size())
    std::abort();
  if (result.valid() && !received.valid()) std::abort();  // receive accepts everything strict accepts
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(contract_validate);
