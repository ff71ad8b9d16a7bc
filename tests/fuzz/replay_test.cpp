// Replays every committed input of every fuzz target (tests/fuzz/corpus/<target>/ and
// tests/fuzz/regressions/<target>/) through the target, built without libFuzzer: a crash found by fuzzing
// and committed as a regression input fails the ordinary unit tests until it is fixed.
#include "fuzz_target.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace lgsp::fuzz {
namespace {

namespace fs = std::filesystem;

std::map<std::string, FuzzOne>& targets() {
  static std::map<std::string, FuzzOne> all;
  return all;
}

std::vector<fs::path> inputs_of(const std::string& target, const char* kind) {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(LGSP_FUZZ_SOURCE_DIR) / kind / target;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

void replay(const std::string& target, FuzzOne fn) {
  const auto corpus = inputs_of(target, "corpus");
  // A target without seeds would pass here and start the fuzzer from nothing: every target ships a corpus.
  EXPECT_FALSE(corpus.empty()) << "no seed inputs in tests/fuzz/corpus/" << target;
  auto files = corpus;
  const auto regressions = inputs_of(target, "regressions");
  files.insert(files.end(), regressions.begin(), regressions.end());
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    std::ifstream in(file, std::ios::binary);
    ASSERT_TRUE(in) << "cannot read " << file;
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // An exception the target does not catch is a failure here as it is a crash under libFuzzer.
    EXPECT_NO_THROW(fn(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }
  // The empty input is every parser's first edge case.
  EXPECT_NO_THROW(fn(nullptr, 0));
}

class ReplayTest : public ::testing::Test {
 public:
  ReplayTest(std::string target, FuzzOne fn) : target_(std::move(target)), fn_(fn) {}
  void TestBody() override { replay(target_, fn_); }

 private:
  std::string target_;
  FuzzOne fn_;
};

}  // namespace

bool register_target(const char* name, FuzzOne fn) {
  targets().emplace(name, fn);
  return true;
}

}  // namespace lgsp::fuzz

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (const auto& [name, fn] : lgsp::fuzz::targets()) {
    ::testing::RegisterTest(
        "fuzz_replay", (name + "_replays_corpus_and_regressions").c_str(), nullptr, nullptr, __FILE__, __LINE__,
        [name = name, fn = fn]() -> ::testing::Test* { return new lgsp::fuzz::ReplayTest(name, fn); });
  }
  return RUN_ALL_TESTS();
}
