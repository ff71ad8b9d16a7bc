// Where a PIN comes from: the LGSP_PIN environment variable (automation, tests) or the user's terminal. Never
// argv (visible in ps and shell history), never a log line.
#include "signing_cli.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>

namespace lgsp::cli {
namespace {

class Tty {
 public:
  Tty() : fd_(open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) {}
  ~Tty() {
    if (fd_ >= 0) close(fd_);
  }
  Tty(const Tty&) = delete;
  Tty& operator=(const Tty&) = delete;
  int fd() const { return fd_; }
  void say(const std::string& text) const {
    if (write(fd_, text.data(), text.size()) < 0) return;
  }

 private:
  int fd_;
};

// Echo off for as long as it lives, and back on even if reading fails.
class NoEcho {
 public:
  explicit NoEcho(int fd) : fd_(fd) {
    ok_ = tcgetattr(fd_, &saved_) == 0;
    if (!ok_) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ok_ = tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~NoEcho() {
    if (ok_) tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;
  bool ok() const { return ok_; }

 private:
  int fd_;
  termios saved_{};
  bool ok_ = false;
};

}  // namespace

std::optional<std::string> ask_pin(const std::string& token_label) {
  if (const char* env = std::getenv("LGSP_PIN"); env && *env) return std::string(env);
  Tty tty;
  if (tty.fd() < 0) return std::nullopt;
  NoEcho quiet(tty.fd());
  if (!quiet.ok()) return std::nullopt;
  tty.say("PIN for token '" + token_label + "': ");
  std::string pin;
  char c;
  while (read(tty.fd(), &c, 1) == 1 && c != '\n' && c != '\r') pin += c;
  if (pin.empty()) return std::nullopt;
  return pin;
}

}  // namespace lgsp::cli
