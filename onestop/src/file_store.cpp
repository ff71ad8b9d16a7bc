#include "lgsp/onestop/file_store.hpp"

#include "lgsp/bus/digest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace lgsp::onestop {
namespace fs = std::filesystem;

namespace {
bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

constexpr const char* kDocx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}
}  // namespace

std::optional<std::string> detect_document_type(std::string_view b) {
  if (starts_with(b, "%PDF-")) return "application/pdf";
  if (starts_with(b, "\xFF\xD8\xFF")) return "image/jpeg";
  if (starts_with(b, std::string_view("II*\0", 4)) || starts_with(b, std::string_view("MM\0*", 4))) return "image/tiff";
  // Word 97-2003: an OLE2 compound file. (Excel files are OLE2 too; the declared type decides between them,
  // and only Word's is accepted.)
  if (starts_with(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) return "application/msword";
  // .docx: a ZIP whose members include word/document.xml (the name sits in a local file header in clear).
  if (starts_with(b, "PK\x03\x04") && b.find("word/") != std::string_view::npos &&
      b.find("[Content_Types].xml") != std::string_view::npos)
    return kDocx;
  return std::nullopt;
}

FileStore::FileStore(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }

fs::path FileStore::path_of(const std::string& sha256) const { return dir_ / sha256.substr(0, 2) / sha256; }

StoredFile FileStore::put_document(std::string_view bytes, const std::string& declared_type) {
  if (bytes.empty()) throw FileRefused("the document is empty");
  auto detected = detect_document_type(bytes);
  if (!detected)
    throw FileRefused(
        "only PDF, Word (.doc, .docx), TIFF and JPEG documents are accepted; this content is none of them");
  std::string declared = declared_type.substr(0, declared_type.find(';'));
  while (!declared.empty() && declared.back() == ' ') declared.pop_back();
  if (!declared.empty() && declared != "application/octet-stream" && declared != *detected)
    throw FileRefused("the document is declared as '" + declared + "' but its content is " + *detected);
  return put(bytes, *detected);
}

StoredFile FileStore::put(std::string_view bytes, const std::string& media_type) {
  StoredFile f{bus::sha256_hex(bytes), media_type, static_cast<std::int64_t>(bytes.size())};
  fs::path target = path_of(f.sha256);
  std::error_code ec;
  if (fs::exists(target, ec) && fs::file_size(target, ec) == bytes.size()) return f;
  fs::create_directories(target.parent_path());
  // Written to a temporary name, flushed to disk, then renamed: a crash never leaves a half file under a
  // content name that later reads would trust.
  fs::path tmp = target;
  tmp += ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(reinterpret_cast<std::uintptr_t>(&f));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("file store: cannot create " + tmp.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      fs::remove(tmp, ec);
      throw std::runtime_error("file store: cannot write " + tmp.string() + ": " + std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    fs::remove(tmp, ec);
    throw std::runtime_error("file store: cannot flush " + tmp.string() + ": " + std::strerror(errno));
  }
  fs::rename(tmp, target);
  // The rename is durable only once the folder is: flush it (and the new folder's parent), so that a file
  // acknowledged to the applicant survives a power cut with the database row that names it.
  for (const fs::path& d : {target.parent_path(), target.parent_path().parent_path()}) {
    int dfd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || ::fsync(dfd) != 0) {
      int e = errno;
      if (dfd >= 0) ::close(dfd);
      throw std::runtime_error("file store: cannot flush folder " + d.string() + ": " + std::strerror(e));
    }
    ::close(dfd);
  }
  return f;
}

std::optional<std::string> FileStore::get(const std::string& sha256) const {
  if (!is_hex64(sha256)) return std::nullopt;
  std::ifstream in(path_of(sha256), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace lgsp::onestop
