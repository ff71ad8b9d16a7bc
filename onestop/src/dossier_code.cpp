#include "lgsp/onestop/dossier_code.hpp"

#include "lgsp/onestop/repositories.hpp"

#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

namespace lgsp::onestop {

const char* const kDossierSequenceTableSql =
    "CREATE TABLE dossier_sequences(agency TEXT NOT NULL, day TEXT NOT NULL, last INTEGER NOT NULL, "
    "PRIMARY KEY(agency, day))";

namespace {

constexpr int kDefaultSeqDigits = 4;
constexpr int kMaxSeqDigits = 18;  // an int64 has 19 digits; more padding than that is a typo

// One piece of a pattern: literal text, or a placeholder with (for {seq:N}) its width.
struct Piece {
  enum Kind { kLiteral, kAgency, kYyyy, kYy, kMm, kDd, kYymmdd, kSeq } kind;
  std::string literal;
  int width = 0;
};

[[noreturn]] void fail(const std::string& pattern, const std::string& why) {
  throw DossierCodeError("dossier code pattern \"" + pattern + "\": " + why);
}

std::optional<int> parse_width(std::string_view digits) {
  if (digits.empty() || digits.size() > 2) return std::nullopt;
  int n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::vector<Piece> parse(const std::string& pattern) {
  std::vector<Piece> pieces;
  int seq = 0;
  bool agency = false, yymmdd = false, yy = false, mm = false, dd = false;
  std::size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '}') fail(pattern, "'}' without '{' at " + std::to_string(i));
    if (c != '{') {
      if (pieces.empty() || pieces.back().kind != Piece::kLiteral) pieces.push_back({Piece::kLiteral, {}, 0});
      pieces.back().literal += c;
      ++i;
      continue;
    }
    auto close = pattern.find('}', i);
    if (close == std::string::npos) fail(pattern, "'{' at " + std::to_string(i) + " is never closed");
    std::string_view name(pattern.data() + i + 1, close - i - 1);
    if (name.find('{') != std::string_view::npos) fail(pattern, "'{' inside a placeholder at " + std::to_string(i));
    Piece p{Piece::kLiteral, {}, 0};
    if (name == "agency") {
      p.kind = Piece::kAgency;
      agency = true;
    } else if (name == "yyyy" || name == "yy") {
      p.kind = name == "yyyy" ? Piece::kYyyy : Piece::kYy;
      yy = true;
    } else if (name == "mm") {
      p.kind = Piece::kMm;
      mm = true;
    } else if (name == "dd") {
      p.kind = Piece::kDd;
      dd = true;
    } else if (name == "yymmdd") {
      p.kind = Piece::kYymmdd;
      yymmdd = true;
    } else if (name == "seq") {
      p.kind = Piece::kSeq;
      p.width = kDefaultSeqDigits;
      ++seq;
    } else if (name.substr(0, 4) == "seq:") {
      auto width = parse_width(name.substr(4));
      if (!width || *width < 1 || *width > kMaxSeqDigits)
        fail(pattern, "{" + std::string(name) + "}: the width must be a number 1.." + std::to_string(kMaxSeqDigits));
      p.kind = Piece::kSeq;
      p.width = *width;
      ++seq;
    } else {
      fail(pattern, "unknown placeholder {" + std::string(name) + "}");
    }
    pieces.push_back(std::move(p));
    i = close + 1;
  }
  if (seq != 1) fail(pattern, "must contain {seq} or {seq:N} exactly once (found " + std::to_string(seq) + ")");
  if (!agency) fail(pattern, "must contain {agency}: the counter is per agency");
  if (!yymmdd && !(yy && mm && dd)) fail(pattern, "must contain the day ({yymmdd}, or {dd}, {mm} and {yy}/{yyyy})");
  return pieces;
}

std::string two(unsigned v) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "%02u", v % 100);
  return buf;
}

}  // namespace

DossierCodePattern::DossierCodePattern(std::string pattern) : pattern_(std::move(pattern)) { parse(pattern_); }

std::string DossierCodePattern::format(const std::string& agency, Date day, std::int64_t seq) const {
  if (agency.empty()) throw DossierCodeError("dossier code: the agency code is empty");
  if (seq < 1) throw DossierCodeError("dossier code: sequence " + std::to_string(seq) + " is not positive");
  if (!day.ok()) throw DossierCodeError("dossier code: invalid day");
  int y = int(day.year());
  if (y < 0 || y > 9999) throw DossierCodeError("dossier code: year " + std::to_string(y) + " out of range");
  std::string out;
  // Parsed again rather than kept: patterns are short and this keeps the class a plain value.
  for (const auto& p : parse(pattern_)) {
    switch (p.kind) {
      case Piece::kLiteral:
        out += p.literal;
        break;
      case Piece::kAgency:
        out += agency;
        break;
      case Piece::kYyyy: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%04d", y);
        out += buf;
        break;
      }
      case Piece::kYy:
        out += two(unsigned(y));
        break;
      case Piece::kMm:
        out += two(unsigned(day.month()));
        break;
      case Piece::kDd:
        out += two(unsigned(day.day()));
        break;
      case Piece::kYymmdd:
        out += two(unsigned(y)) + two(unsigned(day.month())) + two(unsigned(day.day()));
        break;
      case Piece::kSeq: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%0*lld", p.width, static_cast<long long>(seq));
        out += buf;
        break;
      }
    }
  }
  return out;
}

std::string allocate_dossier_code(bus::Transaction& tx, const DossierCodePattern& pattern, const std::string& agency,
                                  TimePoint at) {
  return office_repositories(tx)->dossiers().allocate_code(pattern, agency, at);
}

}  // namespace lgsp::onestop
