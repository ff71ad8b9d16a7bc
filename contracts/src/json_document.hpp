// The JSON document a contract validates, parsed with RapidJSON (internal). Validation is on the
// path of every message and proxied call; RapidJSON builds the document in a few pooled blocks
// where nlohmann/json allocates every value, member name and map node on its own, which made the
// parse a third of a validation. The limits and their messages are those of parse_json().
#pragma once

#include "lgsp/contracts/validation.hpp"

#include <stdexcept>

// RapidJSON's own checks (a value read as the wrong type) throw, as valijson wants when it is built
// with exceptions. valijson's version of this builds a std::string of the file name on every check,
// which made validation three times slower; this one costs a branch. Defined before any RapidJSON
// header, as every file of this library that includes one includes this header first.
namespace lgsp::contracts {
[[noreturn]] inline void rapidjson_check_failed(const char* what) {
  throw std::logic_error(std::string("RapidJSON check failed: ") + what);
}
}  // namespace lgsp::contracts
#define RAPIDJSON_ASSERT(x) (static_cast<bool>(x) ? void(0) : ::lgsp::contracts::rapidjson_check_failed(#x))
#include <rapidjson/document.h>
#include <valijson/exceptions.hpp>
#include <valijson/internal/adapter.hpp>
#include <valijson/internal/basic_adapter.hpp>
#include <valijson/internal/frozen_value.hpp>
// The adapter would define its own RAPIDJSON_ASSERT, or warn that one is defined, when it sees
// VALIJSON_USE_EXCEPTIONS; nothing else in it depends on that (what it includes is included above).
#pragma push_macro("VALIJSON_USE_EXCEPTIONS")
#undef VALIJSON_USE_EXCEPTIONS
#include <valijson/adapters/rapidjson_adapter.hpp>
#pragma pop_macro("VALIJSON_USE_EXCEPTIONS")

#include <array>
#include <string_view>
#include <vector>

namespace lgsp::contracts {

class JsonDocument {
 public:
  JsonDocument();
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  // Parses `bytes` within `limits`. False with the reason in `errors` for an empty or oversized
  // document, a syntax error (with line and column), anything beyond a limit, bytes after the
  // value, and an object that names a member twice: parsers disagree on which of the two counts
  // (nlohmann keeps the last, others the first), so a receiver could read what was never validated.
  bool parse(std::string_view bytes, const ParseLimits& limits, std::vector<ValidationError>& errors);

  const rapidjson::Value& root() const { return document_; }

 private:
  std::array<char, 16 * 1024> first_block_;  // documents of a few KiB need no heap block
  rapidjson::MemoryPoolAllocator<> values_;
  rapidjson::CrtAllocator stack_allocator_;
  rapidjson::Document document_;
};

}  // namespace lgsp::contracts
