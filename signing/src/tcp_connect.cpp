#include "tcp_connect.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace lgsp::signing {
namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};

// One attempt on one address; returns the socket or -1 with errno set.
int try_connect(const addrinfo* a, std::chrono::steady_clock::time_point deadline) {
  int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
  if (fd < 0) return -1;
  if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) return fd;
  if (errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  pollfd p{fd, POLLOUT, 0};
  int ready = poll(&p, 1, static_cast<int>(std::max<long>(0, left.count())));
  int err = ETIMEDOUT;
  if (ready > 0) {
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  }
  if (err == 0) return fd;
  close(fd);
  errno = err;
  return -1;
}

}  // namespace

int tcp_connect(const std::string& host, const std::string& port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    throw std::runtime_error("cannot resolve " + host + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, AddrInfoDeleter> addresses(found);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int last_error = ETIMEDOUT;
  for (const addrinfo* a = addresses.get(); a; a = a->ai_next) {
    int fd = try_connect(a, deadline);
    if (fd >= 0) return fd;
    last_error = errno;
  }
  throw std::runtime_error(std::strerror(last_error));
}

}  // namespace lgsp::signing
