// The libFuzzer entry point of a fuzz program: calls the one target linked into it.
#include "fuzz_target.hpp"

#include <cstdio>
#include <cstdlib>

namespace lgsp::fuzz {
namespace {
FuzzOne target = nullptr;
}

bool register_target(const char* name, FuzzOne fn) {
  if (target) {
    std::fprintf(stderr, "fuzz: a second target (%s) in one fuzz program\n", name);
    std::abort();
  }
  target = fn;
  return true;
}

}  // namespace lgsp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return lgsp::fuzz::target(data, size);
}
