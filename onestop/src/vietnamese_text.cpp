#include "vietnamese_text.hpp"

#include <array>
#include <cctype>
#include <vector>

namespace lgsp::onestop::detail {
namespace {

// Each Vietnamese vowel with its marks, lower case, then the same letters upper case, then the base letter.
struct Letters {
  const char* lower;
  const char* upper;
  char base;
};
constexpr std::array<Letters, 7> kLetters{{
    {"aàáạảãâầấậẩẫăằắặẳẵ", "AÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴ", 'a'},
    {"eèéẹẻẽêềếệểễ", "EÈÉẸẺẼÊỀẾỆỂỄ", 'e'},
    {"iìíịỉĩ", "IÌÍỊỈĨ", 'i'},
    {"oòóọỏõôồốộổỗơờớợởỡ", "OÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠ", 'o'},
    {"uùúụủũưừứựửữ", "UÙÚỤỦŨƯỪỨỰỬỮ", 'u'},
    {"yỳýỵỷỹ", "YỲÝỴỶỸ", 'y'},
    {"dđ", "DĐ", 'd'},
}};

std::vector<std::string_view> characters(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

struct Entry {
  std::string_view lower, upper;
  char base;
};

const std::vector<Entry>& table() {
  static const std::vector<Entry> t = [] {
    std::vector<Entry> out;
    for (const auto& l : kLetters) {
      auto lows = characters(l.lower), ups = characters(l.upper);
      for (std::size_t i = 0; i < lows.size() && i < ups.size(); ++i) out.push_back({lows[i], ups[i], l.base});
    }
    return out;
  }();
  return t;
}

const Entry* find(std::string_view ch, bool upper) {
  for (const auto& e : table())
    if ((upper ? e.upper : e.lower) == ch) return &e;
  return nullptr;
}

}  // namespace

std::string upper_vi(std::string_view utf8) {
  std::string out;
  for (auto ch : characters(utf8)) {
    if (ch.size() == 1) {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(ch[0])));
    } else if (const Entry* e = find(ch, false)) {
      out += e->upper;
    } else {
      out += ch;
    }
  }
  return out;
}

std::string ascii_fold(std::string_view utf8) {
  std::string out;
  for (auto ch : characters(utf8)) {
    if (ch.size() == 1) {
      out += ch;
    } else if (const Entry* e = find(ch, false)) {
      out += e->base;
    } else if (const Entry* u = find(ch, true)) {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(u->base)));
    } else {
      out += '?';
    }
  }
  return out;
}

}  // namespace lgsp::onestop::detail
