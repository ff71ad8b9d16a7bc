#include "drop_files.hpp"

#include <openssl/evp.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace lgsp::adapters::filedrop {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTempMark = ".tmp-lgsp-";

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

[[noreturn]] void fail(const std::string& what, const fs::path& path, int err) {
  throw FileError(what + " " + path.string() + ": " + std::strerror(err), err);
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string to_hex(const unsigned char* data, unsigned size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

void write_all(int fd, std::string_view content, const fs::path& path) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path, errno);
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

FileError::FileError(const std::string& what, int error_number)
    : std::runtime_error(what), error_number_(error_number) {}

bool FileError::no_space() const {
  return error_number_ == ENOSPC || error_number_ == EDQUOT || error_number_ == EFBIG;
}

bool FileError::not_found() const { return error_number_ == ENOENT; }

HashedFile read_hashed(const fs::path& file, std::uint64_t max_bytes) {
  // O_NOFOLLOW: a link dropped in the inbox must not send /etc/shadow; O_NONBLOCK: a FIFO must not hang us.
  Fd fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.fd < 0) {
    if (errno == ELOOP) throw ReadRefusal(ReadRefusal::Kind::not_regular, "a symbolic link");
    fail("cannot open", file, errno);
  }
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) fail("cannot stat", file, errno);
  if (!S_ISREG(st.st_mode)) throw ReadRefusal(ReadRefusal::Kind::not_regular, "not a regular file");
  const auto too_large = [&](std::uint64_t size) {
    return ReadRefusal(
        ReadRefusal::Kind::too_large,
        "the file has " + std::to_string(size) + " bytes, more than max_file_bytes = " + std::to_string(max_bytes));
  };
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) throw too_large(static_cast<std::uint64_t>(st.st_size));
  ::posix_fadvise(fd.fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 is not available from OpenSSL");
  HashedFile out;
  out.body.reserve(static_cast<std::size_t>(st.st_size));
  constexpr std::size_t kChunk = 1 << 20;
  std::string chunk(kChunk, '\0');
  for (;;) {
    const ssize_t n = ::read(fd.fd, chunk.data(), kChunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot read", file, errno);
    }
    if (n == 0) break;
    out.size += static_cast<std::uint64_t>(n);
    if (out.size > max_bytes) throw too_large(out.size);
    if (EVP_DigestUpdate(ctx.get(), chunk.data(), static_cast<std::size_t>(n)) != 1)
      throw std::runtime_error("SHA-256 update failed");
    out.body.append(chunk.data(), static_cast<std::size_t>(n));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned md_len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &md_len) != 1) throw std::runtime_error("SHA-256 final failed");
  out.sha256 = to_hex(md, md_len);
  return out;
}

void fsync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.fd < 0) fail("cannot open folder", dir, errno);
  if (::fsync(fd.fd) != 0) fail("cannot fsync folder", dir, errno);
}

std::string free_name(const fs::path& dir, const std::string& name, const std::vector<std::string>& companions) {
  const auto taken = [&](const std::string& candidate) {
    std::error_code ec;
    if (fs::symlink_status(dir / candidate, ec).type() != fs::file_type::not_found) return true;
    for (const auto& suffix : companions)
      if (fs::symlink_status(dir / (candidate + suffix), ec).type() != fs::file_type::not_found) return true;
    return false;
  };
  if (!taken(name)) return name;
  // "report.csv" -> "report.2.csv"; a name without an extension (or a leading-dot name) gets ".N" at the end.
  const auto dot = name.rfind('.');
  const bool has_ext = dot != std::string::npos && dot > 0;
  const std::string stem = has_ext ? name.substr(0, dot) : name;
  const std::string ext = has_ext ? name.substr(dot) : "";
  for (unsigned n = 2; n < 1000000; ++n) {
    std::string candidate = stem + "." + std::to_string(n) + ext;
    if (!taken(candidate)) return candidate;
  }
  throw FileError("no free name for " + name + " in " + dir.string(), EEXIST);
}

void rename_noreplace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return;
  const int err = errno;
  if (err != EINVAL && err != ENOSYS) fail("cannot move " + from.string() + " to", to, err);
  // A file system without RENAME_NOREPLACE (some network shares): the adapter is the only writer of its
  // done/, failed/ and outbound folders, so checking first is enough there, and rename() stays atomic.
  std::error_code ec;
  if (fs::symlink_status(to, ec).type() != fs::file_type::not_found) fail("will not replace", to, EEXIST);
  if (::rename(from.c_str(), to.c_str()) != 0) fail("cannot move " + from.string() + " to", to, errno);
}

void write_atomic(const fs::path& dir, const std::string& name, std::string_view content, bool replace) {
  std::string temp_name = "." + name.substr(0, 200) + std::string(kTempMark) + "XXXXXX";
  std::string temp = (dir / temp_name).string();
  Fd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (fd.fd < 0) fail("cannot create a temporary file in", dir, errno);
  try {
    ::fchmod(fd.fd, 0644);
    write_all(fd.fd, content, temp);
    if (::fsync(fd.fd) != 0) fail("cannot fsync", temp, errno);
    if (::close(fd.fd) != 0) {
      fd.fd = -1;
      fail("cannot close", temp, errno);
    }
    fd.fd = -1;
    if (replace) {
      if (::rename(temp.c_str(), (dir / name).c_str()) != 0) fail("cannot rename to", dir / name, errno);
    } else {
      rename_noreplace(temp, dir / name);
    }
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  fsync_dir(dir);
}

bool is_temporary_name(std::string_view name) {
  const auto at = name.rfind(kTempMark);
  return !name.empty() && name.front() == '.' && at != std::string_view::npos &&
         name.size() == at + kTempMark.size() + 6;
}

std::size_t remove_stale_temporaries(const fs::path& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (is_temporary_name(name) && it->is_regular_file(ec) && fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace lgsp::adapters::filedrop
