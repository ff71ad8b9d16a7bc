// Vietnamese letters in UTF-8: upper case for agency names on forms, and without their marks for SMS text.
#pragma once

#include <string>
#include <string_view>

namespace lgsp::onestop::detail {

// "UBND phường Bến Thành" -> "UBND PHƯỜNG BẾN THÀNH".
std::string upper_vi(std::string_view utf8);
// "UBND phường Bến Thành" -> "UBND phuong Ben Thanh"; any other non-ASCII character becomes '?'.
std::string ascii_fold(std::string_view utf8);

}  // namespace lgsp::onestop::detail
