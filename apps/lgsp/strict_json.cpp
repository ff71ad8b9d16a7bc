#include "strict_json.hpp"

#include <set>
#include <vector>

namespace lgsp::cli {
namespace {

// Only watches the keys; nlohmann::json::parse builds the value once the document is known clean.
struct KeyWatch : nlohmann::json::json_sax_t {
  std::vector<std::set<std::string>> open;
  std::string duplicate;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    open.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    if (open.empty() || open.back().insert(k).second) return true;
    duplicate = k;
    return false;
  }
  bool end_object() override {
    if (!open.empty()) open.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
};

}  // namespace

nlohmann::json parse_strict_json(const std::string& text) {
  KeyWatch watch;
  nlohmann::json::sax_parse(text, &watch);
  if (!watch.duplicate.empty())
    throw DuplicateKey("the key '" + watch.duplicate + "' appears twice in one object (refused: ambiguous)");
  return nlohmann::json::parse(text);  // a syntax error throws here, with its position
}

}  // namespace lgsp::cli
