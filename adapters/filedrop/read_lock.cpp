#include "read_lock.hpp"

#include "drop_files.hpp"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>

namespace lgsp::adapters::filedrop {

ReadLockTracker::ReadLockTracker(ReadLockRules rules) : rules_(std::move(rules)) {}

bool ReadLockTracker::ignored(const std::string& name) const {
  if (name.empty() || name == "." || name == ".." || is_temporary_name(name)) return true;
  if (rules_.mode == ReadLock::done_file && !marked_file(name).empty()) return true;
  return std::any_of(rules_.ignore.begin(), rules_.ignore.end(),
                     [&](const std::string& glob) { return ::fnmatch(glob.c_str(), name.c_str(), 0) == 0; });
}

std::string ReadLockTracker::marked_file(const std::string& name) const {
  const auto& suffix = rules_.done_suffix;
  if (rules_.mode != ReadLock::done_file || name.size() <= suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return {};
  return name.substr(0, name.size() - suffix.size());
}

std::chrono::milliseconds ReadLockTracker::poll_interval() const {
  if (rules_.mode != ReadLock::changed) return std::chrono::milliseconds(1000);
  return std::clamp(rules_.stable / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
}

ReadLockTracker::Verdict ReadLockTracker::check(const std::filesystem::path& dir, const std::string& name,
                                                Clock::time_point now) {
  if (ignored(name)) return Verdict::skip;
  struct stat st {};
  if (::lstat((dir / name).c_str(), &st) != 0 || S_ISDIR(st.st_mode)) {
    forget(name);
    return Verdict::skip;
  }
  switch (rules_.mode) {
    case ReadLock::rename:
      return Verdict::ready;
    case ReadLock::done_file: {
      struct stat marker {};
      return ::lstat((dir / marker_for(name)).c_str(), &marker) == 0 ? Verdict::ready : Verdict::wait;
    }
    case ReadLock::changed: {
      const auto size = static_cast<std::uint64_t>(st.st_size);
      const std::int64_t mtime_ns = std::int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
      auto it = seen_.find(name);
      if (it == seen_.end() || it->second.size != size || it->second.mtime_ns != mtime_ns) {
        seen_[name] = Seen{size, mtime_ns, now};
        return Verdict::wait;
      }
      return now - it->second.since >= rules_.stable ? Verdict::ready : Verdict::wait;
    }
  }
  return Verdict::wait;
}

}  // namespace lgsp::adapters::filedrop
