// File input/output for commands: bounded reads, and writes that never leave a partial result.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lgsp::cli {

// An unreadable input or unwritable output; `file` is the path, `why` the reason.
struct FileError : std::runtime_error {
  FileError(std::string f, std::string w) : std::runtime_error(f + " : " + w), file(std::move(f)), why(std::move(w)) {}
  std::string file;
  std::string why;
};

// The whole file, or nullopt when it is larger than `limit` (only limit + 1 bytes are read).
std::optional<std::string> read_limited(const std::filesystem::path& file, std::size_t limit);

// Writes a sibling temporary file and renames it over `file`: readers see all or nothing.
void write_atomically(const std::filesystem::path& file, const std::string& content);

// Creates `dir` (which must not exist, or be empty) with these files, all or nothing.
void write_folder_atomically(const std::filesystem::path& dir,
                             const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace lgsp::cli
