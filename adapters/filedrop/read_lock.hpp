// When a file in the inbox is complete and may be taken, as Apache Camel's readLock decides it:
// "done-file" (a marker FILE<suffix> is written beside it once it is complete), "rename" (it was written
// elsewhere or under an ignored temporary name and renamed in) or "changed" (its size and modification time
// stayed the same for stable_ms). Ignore globs ("*.tmp", ".*") leave temporary names alone in every mode.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace lgsp::adapters::filedrop {

enum class ReadLock { done_file, rename, changed };

struct ReadLockRules {
  ReadLock mode = ReadLock::changed;
  std::string done_suffix = ".done";
  std::chrono::milliseconds stable{1000};
  std::vector<std::string> ignore;  // fnmatch globs on the file name
};

class ReadLockTracker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Verdict {
    ready,  // take it now
    wait,   // maybe later: check again (changed: not stable yet; done-file: no marker yet)
    skip,   // not a candidate (ignored name, a marker, a folder, gone)
  };

  explicit ReadLockTracker(ReadLockRules rules);

  // Names that are never taken: ignore globs, done markers, the adapter's own temporaries.
  bool ignored(const std::string& name) const;
  // The data file a done marker stands for, or empty when `name` is not a marker.
  std::string marked_file(const std::string& name) const;
  std::string marker_for(const std::string& name) const { return name + rules_.done_suffix; }

  Verdict check(const std::filesystem::path& dir, const std::string& name, Clock::time_point now);
  // Drops what the tracker remembers of `name` (taken, or gone).
  void forget(const std::string& name) { seen_.erase(name); }
  // How often a waiting "changed" file should be looked at again.
  std::chrono::milliseconds poll_interval() const;
  const ReadLockRules& rules() const { return rules_; }

 private:
  struct Seen {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    Clock::time_point since;
  };
  ReadLockRules rules_;
  std::map<std::string, Seen> seen_;
};

}  // namespace lgsp::adapters::filedrop
