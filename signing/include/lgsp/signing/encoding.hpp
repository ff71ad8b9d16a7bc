// Hex for key ids, serials and fingerprints.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::signing {

std::string to_hex(std::span<const unsigned char> bytes, bool upper = false);
// Accepts upper or lower case, optional "0x" prefix and ':' separators. Throws SigningError(kConfiguration).
std::vector<unsigned char> from_hex(std::string_view hex);

}  // namespace lgsp::signing
