// Reading an adapters.toml table key by key: typed getters that name the key's path in every error, paths
// relative to the config file, secrets only from a file or the environment, and unknown keys refused (a
// misspelt key must not silently fall back to a default).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lgsp::adapters {

// What is wrong and where: what() is "<path>: <why>", e.g. "adapter 'hotich-export'.read_lock: must be ...".
class AdapterConfigError : public std::runtime_error {
 public:
  AdapterConfigError(const std::string& where, const std::string& why) : std::runtime_error(where + ": " + why) {}
};

// One TOML table. Every getter marks its key as read; finish() throws for any key no getter read, in this
// table and every sub-table handed out by table()/tables(). Cheap to copy (shares the parsed document).
class ConfigTable {
 public:
  // Parses a whole file (throws AdapterConfigError naming the file and line on a syntax error).
  static ConfigTable parse_file(const std::filesystem::path& file);
  static ConfigTable parse_text(const std::string& text, const std::filesystem::path& base_dir,
                                const std::string& name = "config");

  // Where this table is, for messages: "adapter 'hotich-export'.mapping.fields".
  const std::string& where() const;
  std::string where(const std::string& key) const;
  bool has(const std::string& key) const;
  std::vector<std::string> keys() const;  // in file order (does not mark them read)

  std::string required_string(const std::string& key);
  std::string string(const std::string& key, const std::string& fallback);
  std::optional<std::string> optional_string(const std::string& key);
  std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max);
  std::optional<std::int64_t> optional_integer(const std::string& key, std::int64_t min, std::int64_t max);
  bool boolean(const std::string& key, bool fallback);
  std::chrono::milliseconds milliseconds(const std::string& key, std::chrono::milliseconds fallback,
                                         std::chrono::milliseconds min, std::chrono::milliseconds max);
  std::vector<std::string> strings(const std::string& key);  // an array of strings; empty when absent
  // One of `allowed`; the error lists them.
  std::string choice(const std::string& key, const std::vector<std::string>& allowed, const std::string& fallback);
  // A path; relative paths are taken from the config file's folder.
  std::optional<std::filesystem::path> optional_path(const std::string& key);
  std::filesystem::path required_path(const std::string& key);
  // A table of string values (e.g. a value table {"1" = "new", "2" = "accepted"}).
  std::map<std::string, std::string> string_map(const std::string& key);

  // A secret, never written in the file itself: `<key>_file` (its content, trailing newline removed) or
  // `<key>_env` (an environment variable's value). `<key>` itself is refused ("put secrets in a file or the
  // environment"). nullopt when neither is given.
  std::optional<std::string> optional_secret(const std::string& key);
  std::string required_secret(const std::string& key);

  ConfigTable table(const std::string& key);  // throws when absent or not a table
  std::optional<ConfigTable> optional_table(const std::string& key);
  std::vector<ConfigTable> tables(const std::string& key);  // an array of tables; empty when absent

  // Throws AdapterConfigError naming the first key that was never read (here or in handed-out sub-tables).
  void finish() const;

  const std::filesystem::path& base_dir() const;
  // Renames this table for messages (the runner names each [[adapter]] table "adapter 'NAME'").
  void set_where(const std::string& where);

  struct Impl;
  ConfigTable(std::shared_ptr<Impl> impl);

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace lgsp::adapters
