#include "lgsp/contracts/safe_json.hpp"

#include "json_limits.hpp"

#include <vector>

namespace lgsp::contracts {

std::pair<int, int> json_limits::line_column(std::string_view bytes, std::size_t offset) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < bytes.size(); ++i) {
    if (bytes[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(bytes[i]) & 0xC0) != 0x80) {
      ++column;  // count characters, not UTF-8 continuation bytes
    }
  }
  return {line, column};
}

namespace {

struct LimitExceeded {
  std::string message;
};

template <typename Json>
std::optional<Json> parse(std::string_view bytes, const ParseLimits& limits, std::vector<ValidationError>& errors) {
  if (auto refused = json_limits::size_error(bytes, limits)) {
    errors.push_back({"", 0, 0, std::move(*refused)});
    return std::nullopt;
  }
  // The callback sees every event as the parser goes, so limits stop it early, before a deep or
  // wide document is built. nlohmann's parser is iterative: depth alone cannot overflow the stack.
  struct Open {
    bool array;
    unsigned count;
  };
  std::vector<Open> open;
  auto count_item = [&] {  // a value, object or array inside an array
    if (!open.empty() && open.back().array && ++open.back().count > limits.max_members)
      throw LimitExceeded{json_limits::too_many_items(limits)};
  };
  auto check_string = [&](const Json& parsed, const char* what) {
    if (parsed.is_string() && parsed.template get_ref<const std::string&>().size() > limits.max_text_bytes)
      throw LimitExceeded{json_limits::too_long(what, limits)};
  };
  auto check = [&](int depth, nlohmann::json::parse_event_t event, Json& parsed) -> bool {
    using E = nlohmann::json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        if (static_cast<unsigned>(depth) >= limits.max_depth) throw LimitExceeded{json_limits::too_deep(limits)};
        count_item();
        open.push_back({event == E::array_start, 0});
        break;
      case E::object_end:
      case E::array_end:
        if (!open.empty()) open.pop_back();
        // The finished container is reported again as a value; it was counted at its start.
        break;
      case E::key:
        if (!open.empty() && ++open.back().count > limits.max_members)
          throw LimitExceeded{json_limits::too_many_members(limits)};
        check_string(parsed, "a key");
        break;
      case E::value:
        if (!parsed.is_object() && !parsed.is_array()) count_item();
        check_string(parsed, "a string");
        break;
    }
    return true;
  };
  try {
    return Json::parse(bytes.begin(), bytes.end(), check);
  } catch (const LimitExceeded& e) {
    errors.push_back({"", 0, 0, e.message});
  } catch (const nlohmann::json::parse_error& e) {
    auto [line, column] = json_limits::line_column(bytes, e.byte > 0 ? e.byte - 1 : 0);
    std::string what = e.what();
    auto colon = what.find("parse error");
    errors.push_back({"", line, column, "not valid JSON: " + (colon == std::string::npos ? what : what.substr(colon))});
  } catch (const nlohmann::json::out_of_range& e) {
    // A number beyond a double ("1e400"): the parser throws out_of_range 406, not parse_error, and without this
    // it escaped every caller (found by fuzzing, tests/fuzz/regressions/safe_json/).
    std::string what = e.what();
    auto at = what.find("number overflow");
    errors.push_back({"", 0, 0, "not valid JSON: " + (at == std::string::npos ? what : what.substr(at))});
  }
  return std::nullopt;
}

}  // namespace

std::optional<nlohmann::json> parse_json(std::string_view bytes, const ParseLimits& limits,
                                         std::vector<ValidationError>& errors) {
  return parse<nlohmann::json>(bytes, limits, errors);
}

std::optional<nlohmann::ordered_json> parse_ordered_json(std::string_view bytes, const ParseLimits& limits,
                                                         std::vector<ValidationError>& errors) {
  return parse<nlohmann::ordered_json>(bytes, limits, errors);
}

}  // namespace lgsp::contracts
