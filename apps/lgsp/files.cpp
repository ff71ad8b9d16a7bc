#include "files.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace lgsp::cli {
namespace fs = std::filesystem;

std::optional<std::string> read_limited(const fs::path& file, std::size_t limit) {
  std::error_code ec;
  if (fs::is_directory(file, ec)) throw FileError(file.string(), "is a directory");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw FileError(file.string(), std::string("cannot read: ") + std::strerror(errno));
  // Read in chunks: the limit may be large (GiB for payloads) and must not be allocated up front.
  std::string data;
  char chunk[64 * 1024];
  while (data.size() <= limit && in.read(chunk, sizeof chunk).gcount() > 0)
    data.append(chunk, static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw FileError(file.string(), "read error");
  if (data.size() > limit) return std::nullopt;
  return data;
}

namespace {
void write_file(const fs::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.flush();
  if (!out) throw FileError(file.string(), std::string("cannot write: ") + std::strerror(errno));
}
}  // namespace

void write_atomically(const fs::path& file, const std::string& content) {
  fs::path tmp = file;
  tmp += ".partial-" + std::to_string(::getpid());
  try {
    write_file(tmp, content);
    fs::rename(tmp, file);
  } catch (const fs::filesystem_error& e) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw FileError(file.string(), e.code().message());
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

void write_folder_atomically(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    throw FileError(dir.string(), "already exists and is not an empty folder");
  fs::path tmp = dir;
  tmp += ".partial-" + std::to_string(::getpid());
  try {
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    for (const auto& [name, content] : files) write_file(tmp / name, content);
    if (fs::exists(dir)) fs::remove(dir);  // empty, checked above
    fs::rename(tmp, dir);
  } catch (const fs::filesystem_error& e) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    throw FileError(dir.string(), e.code().message());
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    throw;
  }
}

}  // namespace lgsp::cli
