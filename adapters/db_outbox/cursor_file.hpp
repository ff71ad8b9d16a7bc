// The outbox cursor: the key of the last row the node acknowledged, kept in a file in the adapter's own
// state folder, replaced atomically (temporary file, fsync, rename, fsync of the folder) so a crash leaves
// the old cursor or the new one, never a torn one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace lgsp::adapters::db {

class CursorFile {
 public:
  // `source` names the table and key column the cursor belongs to ("legacy.outbox.id"): a cursor written
  // for another table is refused rather than applied to this one.
  CursorFile(std::filesystem::path file, std::string source);
  // nullopt when there is no cursor yet. Throws std::runtime_error for a file that is not a cursor of
  // `source`.
  std::optional<std::int64_t> load() const;
  // Throws std::runtime_error when the cursor cannot be made durable.
  void store(std::int64_t key) const;
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  std::string source_;
};

}  // namespace lgsp::adapters::db
