// Input files read whole; output files replaced atomically, so a failed command never leaves a partial file.
#include "signing_cli.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lgsp::cli {

std::optional<std::filesystem::path> module_path(const std::optional<std::string>& flag) {
  if (flag && !flag->empty()) return std::filesystem::path(*flag);
  if (const char* env = std::getenv("LGSP_PKCS11_MODULE"); env && *env) return std::filesystem::path(env);
  return std::nullopt;
}

std::string read_input_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw std::runtime_error("cannot read " + file.string() + ": is a directory");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string() + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + file.string());
  return s.str();
}

void write_file_atomically(const std::filesystem::path& file, std::string_view bytes) {
  auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  std::string tmp = (dir / ("." + file.filename().string() + ".tmp-XXXXXX")).string();
  int fd = mkstemp(tmp.data());
  if (fd < 0) throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
  auto fail = [&](const char* step) {
    int err = errno;
    close(fd);
    unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + file.string() + " (" + step + "): " + std::strerror(err));
  };
  // mkstemp creates 0600; a signed document is not secret: the usual 0666 minus umask.
  mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0) fail("chmod");
  for (std::size_t off = 0; off < bytes.size();) {
    ssize_t n = write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write");
    off += static_cast<std::size_t>(n);
  }
  if (fsync(fd) != 0) fail("fsync");
  if (close(fd) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(err));
  }
  if (rename(tmp.c_str(), file.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(err));
  }
}

}  // namespace lgsp::cli
