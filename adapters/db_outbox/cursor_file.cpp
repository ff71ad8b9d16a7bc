#include "cursor_file.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lgsp::adapters::db {
namespace {
constexpr const char* kMagic = "lgsp-outbox-cursor-v1";

void write_all(int fd, const std::string& bytes, const std::filesystem::path& file) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

void fsync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw std::runtime_error("cannot fsync " + path.string() + ": " + std::strerror(err));
}
}  // namespace

CursorFile::CursorFile(std::filesystem::path file, std::string source)
    : file_(std::move(file)), source_(std::move(source)) {}

std::optional<std::int64_t> CursorFile::load() const {
  std::ifstream in(file_);
  if (!in) {
    if (!std::filesystem::exists(file_)) return std::nullopt;
    throw std::runtime_error("cannot read the cursor " + file_.string());
  }
  std::string magic, source, key;
  std::getline(in, magic);
  std::getline(in, source);
  std::getline(in, key);
  if (magic != kMagic) throw std::runtime_error(file_.string() + " is not an outbox cursor");
  if (source != source_)
    throw std::runtime_error(file_.string() + " is the cursor of " + source.substr(0, 200) + ", not of " + source_ +
                             " (move it away to read this table from its start)");
  try {
    std::size_t used = 0;
    const long long v = std::stoll(key, &used);
    if (used != key.size()) throw std::invalid_argument(key);
    return v;
  } catch (const std::exception&) {
    throw std::runtime_error(file_.string() + ": the cursor is not an integer");
  }
}

void CursorFile::store(std::int64_t key) const {
  const std::filesystem::path temp = file_.string() + ".tmp";
  const std::string text = std::string(kMagic) + "\n" + source_ + "\n" + std::to_string(key) + "\n";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + temp.string() + ": " + std::strerror(errno));
  try {
    write_all(fd, text, temp);
    if (::fsync(fd) != 0) throw std::runtime_error("cannot fsync " + temp.string() + ": " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (::rename(temp.c_str(), file_.c_str()) != 0)
    throw std::runtime_error("cannot rename " + temp.string() + ": " + std::strerror(errno));
  fsync_path(file_.parent_path().empty() ? "." : file_.parent_path(), O_RDONLY | O_DIRECTORY);
}

}  // namespace lgsp::adapters::db
