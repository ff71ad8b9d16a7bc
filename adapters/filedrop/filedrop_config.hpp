// The [[adapter]] keys of kind "filedrop", read and checked once into typed values.
#pragma once

#include "csv_mapping.hpp"
#include "lgsp/adapters/adapter_config.hpp"
#include "read_lock.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace lgsp::adapters::filedrop {

enum class Format { xml, json, csv };

struct FiledropConfig {
  std::string name;
  std::filesystem::path inbox;
  std::filesystem::path done_dir;    // default <inbox>/done
  std::filesystem::path failed_dir;  // default <inbox>/failed
  std::optional<std::filesystem::path> outbound_dir;
  std::string service;
  Format format = Format::json;
  std::string content_type;  // default from the format
  ReadLockRules read_lock;
  std::uint64_t max_file_bytes = 100ull << 20;
  std::size_t parallel = 4;  // files sent at once
  std::chrono::milliseconds rescan{30000};
  std::chrono::milliseconds retry_initial{1000};
  std::chrono::milliseconds retry_max{60000};
  CsvMapping csv;  // with format = csv
};

// Reads every filedrop key of `table`; throws AdapterConfigError naming the key.
FiledropConfig read_filedrop_config(ConfigTable& table);

}  // namespace lgsp::adapters::filedrop
