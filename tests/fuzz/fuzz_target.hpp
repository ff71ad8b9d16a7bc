// A fuzz target is one function, `fuzz_one(data, size)`, in a .cpp of its own that ends with
// LGSP_FUZZ_TARGET(name). It must not crash, leak, hang or let out an exception its API does not document,
// whatever the bytes. The same .cpp is built twice: with libFuzzer (fuzz_main.cpp, LGSP_FUZZ=ON, one program per
// target) and into the unit tests' `fuzz_replay_tests` (replay_test.cpp), which feeds it every committed corpus
// and regression input, so a crash once found stays fixed in the ordinary build too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lgsp::fuzz {

using FuzzOne = int (*)(const std::uint8_t* data, std::size_t size);

// Called once per target at static initialisation (by LGSP_FUZZ_TARGET); returns true.
bool register_target(const char* name, FuzzOne fn);

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace lgsp::fuzz

#define LGSP_FUZZ_TARGET(name) \
  [[maybe_unused]] static const bool lgsp_fuzz_registered_##name = ::lgsp::fuzz::register_target(#name, &fuzz_one)
