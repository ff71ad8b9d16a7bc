#include "inbox_watch.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace lgsp::adapters::filedrop {

InboxWatch::InboxWatch(const std::filesystem::path& dir, bool creations) {
  inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_ < 0) throw std::runtime_error(std::string("inotify_init1: ") + std::strerror(errno));
  std::uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
  if (creations) mask |= IN_CREATE;  // not IN_MODIFY: the read lock polls sizes, a busy writer must not spin us
  if (::inotify_add_watch(inotify_, dir.c_str(), mask) < 0) {
    const int err = errno;
    ::close(inotify_);
    throw std::runtime_error("cannot watch " + dir.string() + ": " + std::strerror(err));
  }
  wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_ < 0) {
    const int err = errno;
    ::close(inotify_);
    throw std::runtime_error(std::string("eventfd: ") + std::strerror(err));
  }
}

InboxWatch::~InboxWatch() {
  ::close(inotify_);
  ::close(wake_);
}

void InboxWatch::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
}

InboxWatch::Events InboxWatch::wait(std::chrono::milliseconds timeout) {
  Events events;
  pollfd fds[2] = {{inotify_, POLLIN, 0}, {wake_, POLLIN, 0}};
  const int ready = ::poll(fds, 2, static_cast<int>(std::max<std::int64_t>(0, timeout.count())));
  if (ready <= 0) return events;
  if (fds[1].revents & POLLIN) {
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(wake_, &count, sizeof count);
    events.woken = true;
  }
  if (!(fds[0].revents & POLLIN)) return events;
  alignas(inotify_event) char buffer[64 * 1024];
  // Read what is queued now (bounded: at most a few buffers per call, the rest waits for the next call).
  for (int round = 0; round < 16; ++round) {
    const ssize_t n = ::read(inotify_, buffer, sizeof buffer);
    if (n <= 0) break;
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->mask & IN_Q_OVERFLOW) events.overflow = true;
      if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) events.gone = true;
      if (event->len > 0 && !(event->mask & IN_ISDIR)) events.names.emplace_back(event->name);
    }
  }
  return events;
}

}  // namespace lgsp::adapters::filedrop
