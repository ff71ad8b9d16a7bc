// Small cryptographic helpers the node needs everywhere (OpenSSL underneath).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace lgsp::bus {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::string_view bytes);
std::string hex(const std::uint8_t* data, std::size_t size);
inline std::string hex(const Sha256& d) { return hex(d.data(), d.size()); }
std::string sha256_hex(std::string_view bytes);
// Appends "<length>:<field>\n": what the node hashes for receipts, call seals and log records, so that no
// two different field lists give the same bytes.
void append_field(std::string& bytes, std::string_view field);
// `bytes` random bytes from the OS CSPRNG, hex-encoded.
std::string random_hex(std::size_t bytes);
// Compares without leaking where the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace lgsp::bus
