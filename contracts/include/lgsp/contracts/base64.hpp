// Base64 through OpenSSL: edXML attachments, and the bus for seals, tokens and certificates.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lgsp::contracts {

std::string base64_encode(std::string_view bytes);
// Ignores whitespace (producers wrap lines); nullopt when not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace lgsp::contracts
