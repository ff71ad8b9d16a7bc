#include "json_document.hpp"

#include "json_limits.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <locale.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace lgsp::contracts {
namespace {

// Passes the reader's events on to the document, stopping the parse (with `failure` set) at the
// first limit exceeded, before a deep or wide document is built.
class LimitedHandler {
 public:
  LimitedHandler(rapidjson::Document& document, const ParseLimits& limits) : d_(document), limits_(limits) {}

  bool Null() { return item() && d_.Null(); }
  bool Bool(bool b) { return item() && d_.Bool(b); }
  // The reader's handler interface needs these, but with kParseNumbersAsStringsFlag every number
  // comes to RawNumber: they are never called.
  bool Int(int) { return fail("unexpected number event"); }
  bool Uint(unsigned) { return fail("unexpected number event"); }
  bool Int64(std::int64_t) { return fail("unexpected number event"); }
  bool Uint64(std::uint64_t) { return fail("unexpected number event"); }
  bool Double(double) { return fail("unexpected number event"); }
  // Numbers come as text (kParseNumbersAsStringsFlag) and are read here: RapidJSON 1.1's own
  // full-precision reading goes out of bounds on long numbers with large negative exponents, and
  // its default reading turns numbers beyond the double range into infinity (or, with full
  // precision, NaN), which every range check passes.
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    if (!item()) return false;
    const char* end = s + n;
    if (std::find_if(s, end, [](char c) { return c == '.' || c == 'e' || c == 'E'; }) == end) {
      if (*s == '-') {
        std::int64_t v = 0;
        if (auto r = std::from_chars(s, end, v); r.ec == std::errc() && r.ptr == end) return d_.Int64(v);
      } else {
        // Above INT64_MAX a double: valijson's adapter reads integers as int64, so a larger one would
        // be checked as a negative number (and pass any maximum).
        std::uint64_t v = 0;
        if (auto r = std::from_chars(s, end, v);
            r.ec == std::errc() && r.ptr == end && v <= static_cast<std::uint64_t>(INT64_MAX))
          return d_.Uint64(v);
      }
    }
    // A fraction, an exponent, or an integer beyond 64 bits: a double, as nlohmann reads it.
    double v = 0;
    if (auto r = std::from_chars(s, end, v); r.ec == std::errc::result_out_of_range) {
      // Too large (refused, like nlohmann's "number overflow") or too small (0, as strtod gives).
      static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
      if (!c_locale) return fail("cannot read numbers: no C locale");
      const std::string number(s, n);
      v = strtod_l(number.c_str(), nullptr, c_locale);
    } else if (r.ec != std::errc() || r.ptr != end) {
      return fail("cannot read the number " + std::string(s, std::min<std::size_t>(n, 40)));
    }
    if (!std::isfinite(v))
      return fail("the number " + std::string(s, std::min<std::size_t>(n, 40)) + (n > 40 ? "..." : "") +
                  " is beyond the range of a double");
    return d_.Double(v);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    return item() && text(n, "a string") && utf8(s, n, "a string") && d_.String(s, n, copy);
  }
  bool StartObject() { return open(false) && d_.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    if (++open_.back().count > limits_.max_members) return fail(json_limits::too_many_members(limits_));
    // "a\u0000b" and "a" are two names here and one to a receiver that reads names as C strings.
    if (std::memchr(s, '\0', n)) return fail("a key holds a NUL character (\\u0000)");
    return text(n, "a key") && utf8(s, n, "a key") && d_.Key(s, n, copy);
  }
  bool EndObject(rapidjson::SizeType n) {
    open_.pop_back();
    return d_.EndObject(n);
  }
  bool StartArray() { return open(true) && d_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    open_.pop_back();
    return d_.EndArray(n);
  }

  std::string failure;

 private:
  struct Open {
    bool array;
    unsigned count;
  };
  bool fail(std::string why) {
    failure = std::move(why);
    return false;
  }
  // A value (or the start of an object or array) inside an array counts as one of its items.
  bool item() {
    if (!open_.empty() && open_.back().array && ++open_.back().count > limits_.max_members)
      return fail(json_limits::too_many_items(limits_));
    return true;
  }
  bool open(bool array) {
    if (!item()) return false;
    if (open_.size() >= limits_.max_depth) return fail(json_limits::too_deep(limits_));
    open_.push_back({array, 0});
    return true;
  }
  bool text(rapidjson::SizeType n, const char* what) {
    return n <= limits_.max_text_bytes || fail(json_limits::too_long(what, limits_));
  }
  // The input's UTF-8 is checked by the reader, but an escape for a lone low surrogate
  // ("\udc00") comes out as the bytes of one (ED B0..BF ..), which is not UTF-8; nlohmann refuses it.
  bool utf8(const char* s, rapidjson::SizeType n, const char* what) {
    const char* end = s + n;
    for (const char* p = s; (p = static_cast<const char*>(std::memchr(p, '\xED', static_cast<std::size_t>(end - p))));
         ++p)
      if (p + 1 < end && (static_cast<unsigned char>(p[1]) & 0xE0) == 0xA0)
        return fail(std::string(what) + " holds a lone UTF-16 surrogate (\\uD800-\\uDFFF)");
    return true;
  }

  rapidjson::Document& d_;
  const ParseLimits& limits_;
  std::vector<Open> open_;
};

std::string_view name_of(const rapidjson::Value& member_name) {
  return {member_name.GetString(), member_name.GetStringLength()};
}

void append_pointer_token(std::string& pointer, std::string_view token) {
  pointer += '/';
  for (char c : token) {
    if (c == '~')
      pointer += "~0";
    else if (c == '/')
      pointer += "~1";
    else
      pointer += c;
  }
}

// The first object (depth first) naming a member twice: its JSON Pointer in `pointer`, the name in
// `name`. The depth is bounded by the parse limits.
bool find_duplicate(const rapidjson::Value& v, std::string& pointer, std::string& name) {
  if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      const auto size = pointer.size();
      pointer += '/' + std::to_string(i);
      if (find_duplicate(v[i], pointer, name)) return true;
      pointer.resize(size);
    }
    return false;
  }
  if (!v.IsObject()) return false;
  if (v.MemberCount() <= 16) {  // the usual object: comparing pairs costs less than sorting
    for (auto a = v.MemberBegin(); a != v.MemberEnd(); ++a)
      for (auto b = a + 1; b != v.MemberEnd(); ++b)
        if (name_of(a->name) == name_of(b->name)) {
          name = std::string(name_of(a->name));
          return true;
        }
  } else {
    std::vector<std::string_view> names;
    names.reserve(v.MemberCount());
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) names.push_back(name_of(m->name));
    std::sort(names.begin(), names.end());
    if (auto twice = std::adjacent_find(names.begin(), names.end()); twice != names.end()) {
      name = std::string(*twice);
      return true;
    }
  }
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    const auto size = pointer.size();
    append_pointer_token(pointer, name_of(m->name));
    if (find_duplicate(m->value, pointer, name)) return true;
    pointer.resize(size);
  }
  return false;
}

}  // namespace

JsonDocument::JsonDocument()
    : values_(first_block_.data(), first_block_.size()), document_(&values_, 1024, &stack_allocator_) {}

bool JsonDocument::parse(std::string_view bytes, const ParseLimits& limits, std::vector<ValidationError>& errors) {
  if (auto refused = json_limits::size_error(bytes, limits)) {
    errors.push_back({"", 0, 0, std::move(*refused)});
    return false;
  }
  // A UTF-8 byte order mark is skipped, as parse_json() does.
  std::size_t start = bytes.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  rapidjson::MemoryStream stream(bytes.data() + start, bytes.size() - start);
  LimitedHandler handler(document_, limits);
  rapidjson::Reader reader;
  rapidjson::ParseResult result;
  auto generate = [&](rapidjson::Document&) {
    constexpr unsigned kFlags =
        rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag;
    result = reader.Parse<kFlags>(stream, handler);
    return !result.IsError();
  };
  document_.Populate(generate);
  if (!handler.failure.empty()) {
    errors.push_back({"", 0, 0, std::move(handler.failure)});
    return false;
  }
  // The reader stops at a NUL byte as at the end: one after the value is refused like any other.
  const std::size_t end = start + (result.IsError() ? result.Offset() : stream.Tell());
  if (result.IsError() || end != bytes.size()) {
    auto [line, column] = json_limits::line_column(bytes, end);
    std::string what = result.IsError() ? rapidjson::GetParseError_En(result.Code()) : "bytes after the value.";
    errors.push_back({"", line, column,
                      "not valid JSON: parse error at line " + std::to_string(line) + ", column " +
                          std::to_string(column) + ": " + what});
    return false;
  }
  std::string pointer, name;
  if (find_duplicate(document_, pointer, name)) {
    errors.push_back({pointer, 0, 0, "the member '" + name + "' appears more than once"});
    return false;
  }
  return true;
}

}  // namespace lgsp::contracts
