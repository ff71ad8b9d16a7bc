// Message and conversation ids as the wire carries them (LGSP-Message-Id, LGSP-Conversation-Id):
// what a header can safely carry, a log line can safely show and a receiver can use as a key.
#pragma once

#include <algorithm>
#include <cctype>
#include <string_view>

namespace lgsp::bus {

// 1 to 128 characters of A-Z a-z 0-9 - _ . : @
inline bool is_wire_id(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '@';
  });
}

inline constexpr std::string_view kWireIdRule = "1 to 128 characters of A-Z a-z 0-9 - _ . : @";

}  // namespace lgsp::bus
