#include "url_template.hpp"

#include "mapping.hpp"
#include "schema_view.hpp"

#include <stdexcept>

namespace lgsp::adapters::rest {

std::string percent_encode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

UrlTemplate UrlTemplate::parse(const std::string& text) {
  UrlTemplate t;
  const auto scheme = text.find("://");
  if (scheme == std::string::npos) throw std::invalid_argument("'" + text + "' is not an http:// or https:// URL");
  const auto path_start = text.find('/', scheme + 3);
  std::string literal;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') throw std::invalid_argument("'}' without '{' in '" + text + "'");
    if (text[i] != '{') {
      literal += text[i];
      continue;
    }
    if (path_start == std::string::npos || i < path_start)
      throw std::invalid_argument("a placeholder may only be in the path or query of '" + text + "'");
    const auto close = text.find('}', i);
    if (close == std::string::npos) throw std::invalid_argument("'{' without '}' in '" + text + "'");
    const std::string name = text.substr(i + 1, close - i - 1);
    split_path(name);  // throws for an empty or malformed name
    t.parts_.push_back(literal);
    t.parts_.push_back(name);
    t.names_.push_back(name);
    literal.clear();
    i = close;
  }
  t.parts_.push_back(literal);
  return t;
}

std::optional<std::string> UrlTemplate::fill(const nlohmann::json& request, const std::string& path,
                                             std::string& missing) const {
  std::string out;
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    if (i % 2 == 0) {
      out += parts_[i];
      continue;
    }
    if (parts_[i] == "path") {  // already checked segment by segment by the node; each segment encoded again
      std::string encoded;
      std::size_t start = 0;
      while (start <= path.size() && !path.empty()) {
        const auto slash = path.find('/', start);
        encoded += (start ? "/" : "") +
                   percent_encode(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
      }
      out += encoded;
      continue;
    }
    const nlohmann::json* at = &request;
    for (const auto& segment : split_path(parts_[i])) {
      if (!at->is_object() || !at->contains(segment)) {
        at = nullptr;
        break;
      }
      at = &(*at)[segment];
    }
    const auto text = at == nullptr ? std::nullopt : scalar_text(*at);
    if (!text || text->empty()) {
      missing = parts_[i];
      return std::nullopt;
    }
    out += percent_encode(*text);
  }
  return out;
}

}  // namespace lgsp::adapters::rest
