#include "lgsp/bus/provider_path.hpp"

#include <algorithm>
#include <cstdint>

namespace lgsp::bus {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// RFC 3986 sub-delims and pchar extras that may stay unencoded in a segment. ';' is not among them:
// servers such as Tomcat cut a segment at ';' ("..;x" is ".." there).
bool kept_as_is(unsigned char c) {
  return unreserved(c) || c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' ||
         c == '+' || c == ',' || c == '=' || c == ':' || c == '@';
}

bool control(unsigned char c) { return c < 0x20 || c == 0x7f; }

std::string printable(unsigned char c) {
  static const char* digits = "0123456789ABCDEF";
  if (c > 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  return std::string("byte 0x") + digits[c >> 4] + digits[c & 15];
}

// Strict UTF-8: no overlong forms (%C0%AE is '.' to some decoders), no surrogates, nothing past
// U+10FFFF. Fills `code_points`.
bool valid_utf8(const std::string& s, std::vector<std::uint32_t>& code_points) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if (c < 0x80) {
      code_points.push_back(c);
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    code_points.push_back(cp);
    i += n + 1;
  }
  return true;
}

// Characters that Unicode normalisation (NFKC) or some servers turn into '.', '/' or '\\'.
bool confusable(std::uint32_t cp) {
  switch (cp) {
    case 0x2024:  // ONE DOT LEADER
    case 0x2025:  // TWO DOT LEADER
    case 0x2044:  // FRACTION SLASH
    case 0x2215:  // DIVISION SLASH
    case 0x2216:  // SET MINUS
    case 0x29F5:  // REVERSE SOLIDUS OPERATOR
    case 0x29F8:  // BIG SOLIDUS
    case 0x29F9:  // BIG REVERSE SOLIDUS
    case 0xFE52:  // SMALL FULL STOP
    case 0xFE68:  // SMALL REVERSE SOLIDUS
    case 0xFF0E:  // FULLWIDTH FULL STOP
    case 0xFF0F:  // FULLWIDTH SOLIDUS
    case 0xFF3C:  // FULLWIDTH REVERSE SOLIDUS
      return true;
    default:
      return false;
  }
}

// Why a decoded segment may not be forwarded, or "" when it may.
std::string check_segment(const std::string& s) {
  // Only dots (and spaces, which Windows servers trim with trailing dots): ".", "..", "...", ".. ".
  if (s.find_first_not_of(". ") == std::string::npos)
    return "a dot-segment ('" + s + "') would leave the service's path";
  for (unsigned char c : s) {
    if (c == '/') return "an encoded slash (%2F) inside a segment is not allowed";
    if (c == '\\') return "a backslash (%5C) inside a segment is not allowed";
    if (c == 0) return "a NUL byte (%00) is not allowed";
    if (control(c)) return "a control character (" + printable(c) + ") is not allowed";
    if (c == '%') return "a '%' after decoding (double encoding such as %252e) is not allowed";
    if (c == ';') return "a path parameter (';', %3B) is not allowed";
  }
  std::vector<std::uint32_t> code_points;
  if (!valid_utf8(s, code_points)) return "a segment is not valid UTF-8 (overlong forms such as %C0%AE are refused)";
  for (auto cp : code_points)
    if (confusable(cp)) return "a segment holds a character some servers read as '.', '/' or '\\'";
  return {};
}

// Why the raw (undecoded) byte `c` may not appear in a path or query, or "" when it may.
std::string check_raw(unsigned char c) {
  if (c == '#') return "a fragment ('#') is never forwarded; leave it out";
  if (c == '\\') return "a backslash is not allowed in the path";
  if (c == ';') return "a path parameter (';') is not allowed";
  if (c == 0) return "a NUL byte is not allowed";
  if (control(c) || c == ' ') return "a control character or space (" + printable(c) + ") is not allowed";
  if (c >= 0x80) return "a raw non-ASCII byte is not allowed (percent-encode it as UTF-8)";
  if (!kept_as_is(c) && c != '%' && c != '/')
    return "the character " + printable(c) + " is not allowed unencoded (percent-encode it)";
  return {};
}

// Decodes `%XX` once; false (with `why`) on a '%' not followed by two hex digits.
bool decode_once(std::string_view in, std::string& out, std::string& why) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    const int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
    const int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      why = "a '%' not followed by two hex digits";
      return false;
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

}  // namespace

std::string ProviderPath::encoded() const {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (const auto& s : segments) {
    out += '/';
    for (unsigned char c : s) {
      if (kept_as_is(c)) {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += digits[c >> 4];
        out += digits[c & 15];
      }
    }
  }
  if (trailing_slash && !segments.empty()) out += '/';
  return out;
}

std::variant<ProviderPath, PathRefusal> parse_provider_path(std::string_view raw) {
  ProviderPath path;
  if (raw.empty() || raw == "/") return path;
  if (raw.front() != '/') return PathRefusal{"the provider path must start with '/'"};
  for (unsigned char c : raw)
    if (auto why = check_raw(c); !why.empty()) return PathRefusal{why};
  std::string_view rest = raw.substr(1);
  std::string decoded;
  std::string why;
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    const bool last = slash == std::string_view::npos;
    if (segment.empty()) {
      // Only a final one, from a trailing slash: "//" is read as "/" or as a scheme-relative URL by some servers.
      if (!last) return PathRefusal{"an empty segment ('//') is not allowed"};
      path.trailing_slash = true;
      break;
    }
    if (!decode_once(segment, decoded, why)) return PathRefusal{why};
    if (auto bad = check_segment(decoded); !bad.empty()) return PathRefusal{bad};
    path.segments.push_back(decoded);
    if (last) break;
    rest = rest.substr(slash + 1);
  }
  return path;
}

std::variant<std::string, PathRefusal> check_call_query(std::string_view raw) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c == '#') return PathRefusal{"a fragment ('#') is never forwarded; leave it out"};
    if (c == 0 || control(c) || c == ' ') return PathRefusal{"a control character or space in the query"};
    if (c >= 0x80) return PathRefusal{"a raw non-ASCII byte in the query (percent-encode it as UTF-8)"};
    if (c == '%' && (i + 2 >= raw.size() || hex_value(raw[i + 1]) < 0 || hex_value(raw[i + 2]) < 0))
      return PathRefusal{"a '%' not followed by two hex digits in the query"};
  }
  return std::string(raw);
}

std::string provider_url(const std::string& endpoint, const ProviderPath& path, const std::string& query) {
  // scheme://authority[/path][?query][#fragment]; the endpoint's fragment is never sent.
  const auto scheme_end = endpoint.find("://");
  const std::size_t authority_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto authority_end = std::min(endpoint.find_first_of("/?#", authority_start), endpoint.size());
  const auto path_end = std::min(endpoint.find_first_of("?#", authority_end), endpoint.size());
  std::string endpoint_query;
  if (path_end < endpoint.size() && endpoint[path_end] == '?') {
    const auto query_end = std::min(endpoint.find('#', path_end), endpoint.size());
    endpoint_query = endpoint.substr(path_end + 1, query_end - path_end - 1);
  }
  std::string url = endpoint.substr(0, authority_end);
  std::string base_path = endpoint.substr(authority_end, path_end - authority_end);
  if (path.segments.empty()) {
    url += base_path.empty() ? "/" : base_path;
  } else {
    while (!base_path.empty() && base_path.back() == '/') base_path.pop_back();
    url += base_path + path.encoded();
  }
  if (!endpoint_query.empty() || !query.empty())
    url += "?" + endpoint_query + (!endpoint_query.empty() && !query.empty() ? "&" : "") + query;
  return url;
}

}  // namespace lgsp::bus
