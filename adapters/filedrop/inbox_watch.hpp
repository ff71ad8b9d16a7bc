// The inbox's inotify watch (RAII over the inotify and eventfd descriptors): the names that were closed
// after writing or moved in, whether events were lost (IN_Q_OVERFLOW: rescan), and a wake-up for stop().
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace lgsp::adapters::filedrop {

class InboxWatch {
 public:
  // `creations`: also report names as they are created (the "changed" read lock starts timing them then).
  InboxWatch(const std::filesystem::path& dir, bool creations);
  ~InboxWatch();
  InboxWatch(const InboxWatch&) = delete;
  InboxWatch& operator=(const InboxWatch&) = delete;

  struct Events {
    std::vector<std::string> names;
    bool overflow = false;  // the kernel's queue overflowed: some names are missing, rescan
    bool gone = false;      // the folder itself was removed or moved away
    bool woken = false;     // wake() was called
  };
  // Waits up to `timeout` for events (returns at once when some are queued).
  Events wait(std::chrono::milliseconds timeout);
  // Makes a wait() in another thread return now.
  void wake();

 private:
  int inotify_ = -1;
  int wake_ = -1;
};

}  // namespace lgsp::adapters::filedrop
