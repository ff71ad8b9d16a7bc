// The document a JSON contract validates against what a receiver reads: thousands of mutated
// documents (a fixed seed, so a failure repeats) go through the validator's parser (RapidJSON, with
// our limits and refusals) and through nlohmann/json. Whatever the validator accepts, nlohmann must
// read, to the same value; whatever nlohmann refuses, the validator must refuse. A difference is a
// document whose validation says nothing about what its receiver sees.
#include "json_document.hpp"
#include "lgsp/contracts/catalogue.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace fs = std::filesystem;
using lgsp::contracts::JsonDocument;
using lgsp::contracts::ParseLimits;
using lgsp::contracts::ValidationError;
using nlohmann::json;

namespace {

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

// The document with bytes outside printable ASCII as \xNN (it may not be UTF-8).
std::string shown(const std::string& doc) {
  std::string out;
  for (unsigned char c : doc) {
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    }
  }
  return out;
}

std::vector<std::string> seeds() {
  std::vector<std::string> out = {
      R"({"a":1,"b":[true,false,null],"c":{"d":"e\u00e9\ud83d\ude00","f":-0.5e-3}})",
      R"([1,-2,3.25,1e2,18446744073709551615,-9223372036854775808,"x\"y\\z\/\b\f\n\r\t"])",
      "\"Nguy\xE1\xBB\x85n V\xC4\x83n An\"",
      "  {\"k\" : [ 1 , { } , [ ] ]  }  ",
  };
  for (const auto& c : fs::directory_iterator(lgsp::contracts::default_catalogue_dir()))
    if (c.is_directory())
      for (const auto& v : fs::directory_iterator(c.path()))
        if (fs::exists(v.path() / "examples"))
          for (const auto& f : fs::directory_iterator(v.path() / "examples"))
            if (f.path().extension() == ".json" && fs::file_size(f.path()) < 8192) {
              std::ifstream in(f.path(), std::ios::binary);
              std::stringstream s;
              s << in.rdbuf();
              out.push_back(s.str());
            }
  return out;
}

// What mutations insert: the places where parsers have been seen to disagree.
const std::vector<std::string> kTokens = {"\"\\u0000\"",
                                          "\"\\udc00\"",
                                          "\"\\ud800\"",
                                          "\"\\ud800\\udc00\"",
                                          "1e308",
                                          "1.8e308",
                                          "-1e400",
                                          "1e-400",
                                          "9223372036854775808",
                                          "18446744073709551616",
                                          "-0",
                                          "0.1e1",
                                          "01",
                                          "1.",
                                          ".5",
                                          "+1",
                                          "-",
                                          "\"a\":1,",
                                          ",",
                                          ":",
                                          "}",
                                          "]",
                                          "{",
                                          "[",
                                          "\"",
                                          "\\",
                                          "\xED\xA0\x80",
                                          "\xC3",
                                          "\xEF\xBB\xBF",
                                          std::string(1, '\0'),
                                          "\t",
                                          "\x7F",
                                          "true",
                                          "nul",
                                          "\"\\x41\"",
                                          "\"\\u00e9\"",
                                          "/**/",
                                          "NaN",
                                          "Infinity",
                                          "\"k\":\"v\",\"k\":\"w\","};

std::string mutate(std::string doc, std::mt19937& rng) {
  const int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = doc.empty() ? 0 : rng() % (doc.size() + 1);
    switch (rng() % 4) {
      case 0:
        doc.insert(at, kTokens[rng() % kTokens.size()]);
        break;
      case 1:
        if (at < doc.size()) doc.erase(at, 1 + rng() % 3);
        break;
      case 2:
        if (at < doc.size()) doc[at] = static_cast<char>(rng() % 256);
        break;
      default:
        if (at < doc.size()) doc.replace(at, 1, kTokens[rng() % kTokens.size()]);
        break;
    }
  }
  return doc;
}

TEST(JsonDocument, accepts_only_what_nlohmann_reads_and_reads_it_the_same) {
  const auto inputs = seeds();
  ASSERT_GE(inputs.size(), 20u);
  std::mt19937 rng(20261202);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 30000; ++i) {
    const std::string& seed = inputs[rng() % inputs.size()];
    const std::string doc = i < static_cast<int>(inputs.size()) ? inputs[i] : mutate(seed, rng);
    JsonDocument document;
    std::vector<ValidationError> errors;
    const bool ours = document.parse(doc, ParseLimits{}, errors);
    json theirs;
    bool they_read = true;
    try {
      theirs = json::parse(doc);
    } catch (const json::exception&) {  // parse_error, or out_of_range for a number overflow
      they_read = false;
    }
    if (ours) {
      ++accepted;
      ASSERT_TRUE(they_read) << "accepted, but nlohmann cannot read it: " << shown(doc);
      ASSERT_EQ(to_nlohmann(document.root()), theirs) << shown(doc);
    } else {
      ++refused;
      ASSERT_FALSE(errors.empty()) << shown(doc);
    }
    if (!they_read) {
      ASSERT_FALSE(ours) << shown(doc);
    }
  }
  // Both outcomes are exercised, or the test says nothing.
  EXPECT_GT(accepted, 3000);
  EXPECT_GT(refused, 3000);
}

}  // namespace
