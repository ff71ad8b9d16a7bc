// XML-DSig verification (signing::Verifier on an enveloped XML signature): any bytes give a report, valid
// or with a failure and its reason; nothing throws.
#include "fuzz_target.hpp"
#include "signature_verifier.hpp"

namespace {

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  const auto& verifier = lgsp::fuzz::fuzz_verifier();
  lgsp::fuzz::check_report(verifier.verify(std::span<const unsigned char>(data, size)));
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(xmldsig_verify);
