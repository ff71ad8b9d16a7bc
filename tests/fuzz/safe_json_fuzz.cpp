// Safe JSON parsing: contracts::parse_json and parse_ordered_json (nlohmann, with the limits), and the
// validator's own reader (JsonDocument, RapidJSON). Whatever the validator's reader accepts, nlohmann must read
// to the same value, or a validated document would not be what its receiver reads.
#include "fuzz_target.hpp"
#include "json_document.hpp"
#include "lgsp/contracts/safe_json.hpp"

#include <cstdlib>

namespace {

using nlohmann::json;

json to_nlohmann(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return nullptr;
    case rapidjson::kFalseType:
      return false;
    case rapidjson::kTrueType:
      return true;
    case rapidjson::kStringType:
      return std::string(v.GetString(), v.GetStringLength());
    case rapidjson::kNumberType:
      if (v.IsInt64()) return v.GetInt64();
      if (v.IsUint64()) return v.GetUint64();
      return v.GetDouble();
    case rapidjson::kArrayType: {
      json out = json::array();
      for (const auto& item : v.GetArray()) out.push_back(to_nlohmann(item));
      return out;
    }
    case rapidjson::kObjectType: {
      json out = json::object();
      for (const auto& m : v.GetObject())
        out[std::string(m.name.GetString(), m.name.GetStringLength())] = to_nlohmann(m.value);
      return out;
    }
  }
  return nullptr;
}

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  using namespace lgsp::contracts;
  const std::string_view text = lgsp::fuzz::as_text(data, size);
  ParseLimits limits;
  limits.max_depth = 16;
  limits.max_members = 64;
  limits.max_text_bytes = 1024;

  std::vector<ValidationError> errors;
  auto value = parse_json(text, limits, errors);
  if (!value && errors.empty()) std::abort();  // a refusal always says why
  errors.clear();
  auto ordered = parse_ordered_json(text, limits, errors);
  if (!ordered && errors.empty()) std::abort();
  if (value.has_value() != ordered.has_value()) std::abort();  // the same limits, the same answer

  JsonDocument document;
  errors.clear();
  const bool ours = document.parse(text, ParseLimits{}, errors);
  if (!ours && errors.empty()) std::abort();
  if (ours) {
    json theirs;
    try {
      theirs = json::parse(text);
    } catch (const json::exception&) {
      std::abort();  // the validator accepted what nlohmann cannot read
    }
    if (to_nlohmann(document.root()) != theirs) std::abort();  // ... or reads differently
  }
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(safe_json);
