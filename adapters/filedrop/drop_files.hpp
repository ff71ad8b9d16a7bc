// The file operations the file-drop adapter's crash safety rests on: a streamed, hashed read that refuses
// what is not a regular file, a move that never replaces, an atomic write (temporary name, fsync, rename,
// fsync of the folder) and the folder fsync itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::adapters::filedrop {

// A file operation that failed: errno kept, so that ENOSPC (disk full) can be told from the rest.
class FileError : public std::runtime_error {
 public:
  FileError(const std::string& what, int error_number);
  int error_number() const { return error_number_; }
  // ENOSPC, EDQUOT or EFBIG: no room, worth trying again later.
  bool no_space() const;
  bool not_found() const;

 private:
  int error_number_;
};

struct HashedFile {
  std::string sha256;  // lower-case hex of the bytes read
  std::string body;    // the whole content
  std::uint64_t size = 0;
};

struct ReadRefusal : std::runtime_error {
  enum class Kind { too_large, not_regular };
  ReadRefusal(Kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
  Kind kind;
};

// Reads `file` in chunks, hashing as it goes. Never follows a symbolic link and never blocks on a pipe:
// throws ReadRefusal for what is not a regular file or is larger than `max_bytes` (also when it grows past it
// while read), FileError for the rest (gone: not_found()).
HashedFile read_hashed(const std::filesystem::path& file, std::uint64_t max_bytes);

// fsync of a folder, so that the renames and creations in it survive a power cut.
void fsync_dir(const std::filesystem::path& dir);

// The name under which `name` goes into `dir`: `name` itself when neither it nor any `companions` of it
// (name + suffix) exist there, else "stem.N.ext" with the smallest free N >= 2.
std::string free_name(const std::filesystem::path& dir, const std::string& name,
                      const std::vector<std::string>& companion_suffixes);

// Renames `from` to `to`, failing (FileError EEXIST) rather than replacing a file already there.
void rename_noreplace(const std::filesystem::path& from, const std::filesystem::path& to);

// Writes `content` as dir/name: a temporary ".name.tmp-lgsp-XXXXXX" in the same folder, write, fsync, rename,
// fsync of the folder. Replaces an existing dir/name only when `replace`; else FileError EEXIST.
void write_atomic(const std::filesystem::path& dir, const std::string& name, std::string_view content, bool replace);

// Removes the temporary files write_atomic leaves when killed half-way. Returns how many.
std::size_t remove_stale_temporaries(const std::filesystem::path& dir);

// True when `name` is one of write_atomic's temporaries.
bool is_temporary_name(std::string_view name);

}  // namespace lgsp::adapters::filedrop
