#include "lgsp/signing/encoding.hpp"

#include "lgsp/signing/errors.hpp"

namespace lgsp::signing {

std::string to_hex(std::span<const unsigned char> bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

std::vector<unsigned char> from_hex(std::string_view hex) {
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  std::string digits;
  for (char c : hex)
    if (c != ':') digits += c;
  auto value = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (digits.empty() || digits.size() % 2 != 0)
    throw SigningError(errors::kConfiguration, "'" + std::string(hex) + "' is not an even number of hex digits");
  std::vector<unsigned char> out;
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    int hi = value(digits[i]), lo = value(digits[i + 1]);
    if (hi < 0 || lo < 0) throw SigningError(errors::kConfiguration, "'" + std::string(hex) + "' is not hex");
    out.push_back(static_cast<unsigned char>(hi << 4 | lo));
  }
  return out;
}

}  // namespace lgsp::signing
