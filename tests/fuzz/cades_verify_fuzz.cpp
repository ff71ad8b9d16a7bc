// CAdES detached verification (signing::Verifier on a CMS signature and its content). The input is the
// content's length (2 bytes, big-endian), the content, then the signature (DER).
#include "fuzz_target.hpp"
#include "signature_verifier.hpp"

#include <algorithm>

namespace {

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t content_size = std::min<std::size_t>((std::size_t{data[0]} << 8) | data[1], size - 2);
  const std::span<const unsigned char> content(data + 2, content_size);
  const std::span<const unsigned char> signature(data + 2 + content_size, size - 2 - content_size);
  const auto& verifier = lgsp::fuzz::fuzz_verifier();
  try {
    lgsp::fuzz::check_report(verifier.verify(signature, content));
  } catch (const lgsp::signing::SigningError& e) {
    // The one documented throw: content given with an XML signature (a usage mistake, not bad input).
    if (&e.code() != &lgsp::signing::errors::kConfiguration) std::abort();
  }
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(cades_verify);
