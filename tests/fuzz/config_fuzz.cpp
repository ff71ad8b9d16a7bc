// The configuration loaders from TOML text: the node's (bus::Config) when the first byte is even, the
// one-stop office's (onestop::OnestopConfig) when odd; the rest is the file. Any text gives a configuration
// or bus::ConfigError, never another exception. The loaders read a file (there is no load-from-text API), so
// the text goes through one temporary file per process.
#include "fuzz_target.hpp"
#include "lgsp/bus/config.hpp"
#include "lgsp/onestop/config.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;

// A folder of this process's own, removed at exit.
struct ScratchDir {
  fs::path dir = fs::temp_directory_path() / ("lgsp-fuzz-config-" + std::to_string(::getpid()));
  ScratchDir() { fs::create_directories(dir); }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

const fs::path& scratch_file() {
  static const ScratchDir scratch;
  static const fs::path file = scratch.dir / "config.toml";
  return file;
}

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  {
    std::ofstream out(scratch_file(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
    if (!out) std::abort();
  }
  const std::map<std::string, std::string> no_environment;
  try {
    if (data[0] % 2 == 0) {
      const auto config = lgsp::bus::Config::load(scratch_file(), no_environment);
      config.validate();
    } else {
      const auto config = lgsp::onestop::OnestopConfig::load(scratch_file(), no_environment);
      config.validate();
    }
  } catch (const lgsp::bus::ConfigError&) {
  }
  return 0;
}

}  // namespace

LGSP_FUZZ_TARGET(config);
