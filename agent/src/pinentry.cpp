#include "lgsp/agent/pinentry.hpp"

#include <openssl/crypto.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

extern char** environ;

namespace lgsp::agent {
namespace {

// Assuan lines are at most 1000 bytes; a pinentry answers far less.
constexpr std::size_t kMaxLine = 1000;
// GnuPG error codes (low 16 bits of an ERR): the user cancelled, or the dialog timed out.
constexpr unsigned kGpgErrCanceled = 99;
constexpr unsigned kGpgErrTimeout = 62;

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// The running program: killed and reaped however the exchange ends.
class Child {
 public:
  Child(const std::filesystem::path& program, Fd& to_child, Fd& from_child) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) throw PinentryError(std::string("pipe: ") + std::strerror(errno));
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(in[0]);
      ::close(in[1]);
      throw PinentryError(std::string("pipe: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::string path = program.string();
    char* argv[] = {path.data(), nullptr};
    int rc = ::posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_child.fd = in[1];
    from_child.fd = out[0];
    if (rc != 0) {
      pid_ = -1;
      throw PinentryError("cannot run " + path + ": " + std::strerror(rc));
    }
  }
  ~Child() {
    if (pid_ <= 0) return;
    // A well-behaved pinentry exits after BYE; give it a moment, then stop it.
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      ::usleep(10'000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

 private:
  pid_t pid_ = -1;
};

class Connection {
 public:
  Connection(int to, int from, std::chrono::seconds timeout) : to_(to), from_(from), timeout_(timeout) {}
  ~Connection() { OPENSSL_cleanse(buffer_.data(), buffer_.size()); }

  void send(const std::string& line) {
    std::string data = line + "\n";
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(to_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw PinentryError("the pinentry program closed its input");
      done += static_cast<std::size_t>(n);
    }
  }

  // One line without its newline. The caller wipes lines that may hold the PIN.
  std::string read_line() {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
      auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        OPENSSL_cleanse(buffer_.data(), nl + 1);
        buffer_.erase(0, nl + 1);
        return line;
      }
      if (buffer_.size() > kMaxLine) throw PinentryError("the pinentry program sent a line over 1000 bytes");
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw PinentryError("the pinentry program did not answer in time");
      pollfd p{from_, POLLIN, 0};
      int rc = ::poll(&p, 1, static_cast<int>(left.count()));
      if (rc < 0 && errno == EINTR) continue;
      if (rc <= 0) continue;
      char chunk[512];
      ssize_t n = ::read(from_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw PinentryError("the pinentry program ended unexpectedly");
      buffer_.append(chunk, static_cast<std::size_t>(n));
      OPENSSL_cleanse(chunk, sizeof chunk);
    }
  }

  struct Answer {
    bool ok = false;
    unsigned error = 0;  // the ERR code's low 16 bits
    std::string error_text;
    SecretString data;  // D lines, unescaped
  };

  // Sends a command and reads up to its OK or ERR.
  Answer command(const std::string& line) {
    send(line);
    Answer answer;
    std::string data;
    for (;;) {
      std::string reply = read_line();
      if (reply.rfind("D ", 0) == 0) {
        data += assuan_unescape(reply.substr(2));
        OPENSSL_cleanse(reply.data(), reply.size());
        if (data.size() > kMaxLine) throw PinentryError("the pinentry program sent too much data");
        continue;
      }
      if (reply == "OK" || reply.rfind("OK ", 0) == 0) {
        answer.ok = true;
        answer.data = SecretString(std::move(data));
        return answer;
      }
      if (reply.rfind("ERR", 0) == 0) {
        OPENSSL_cleanse(data.data(), data.size());
        unsigned long code = std::strtoul(reply.c_str() + 3, nullptr, 10);
        answer.error = static_cast<unsigned>(code & 0xffff);
        answer.error_text = reply.substr(0, 120);
        return answer;
      }
      if (reply.rfind("INQUIRE", 0) == 0) send("CAN");
      // '#' comments and 'S' status lines carry nothing we need.
    }
  }

 private:
  int to_;
  int from_;
  std::chrono::seconds timeout_;
  std::string buffer_;
};

// Keeps an escaped parameter inside one Assuan line, cutting neither a %XX escape nor a UTF-8 sequence.
std::string fit(std::string escaped, std::size_t room) {
  if (escaped.size() <= room) return escaped;
  std::size_t cut = room;
  while (cut > 0 && (static_cast<unsigned char>(escaped[cut]) & 0xc0) == 0x80) --cut;
  if (cut >= 1 && escaped[cut - 1] == '%') cut -= 1;
  if (cut >= 2 && escaped[cut - 2] == '%') cut -= 2;
  escaped.resize(cut);
  return escaped;
}

}  // namespace

SecretString::~SecretString() { wipe(); }
SecretString::SecretString(SecretString&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}
void SecretString::wipe() {
  if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
  value_.clear();
}

std::string assuan_escape(const std::string& text) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c == '%' || c < 0x20 || c == 0x7f) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string assuan_unescape(const std::string& text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() + 0 && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<SecretString> ask_pin(const std::filesystem::path& program, const PinQuestion& question) {
  Fd to_child;
  Fd from_child;
  Child child(program, to_child, from_child);
  Connection assuan(to_child.fd, from_child.fd, question.timeout + std::chrono::seconds(15));
  std::string greeting = assuan.read_line();
  if (greeting.rfind("OK", 0) != 0) throw PinentryError("the program is not a pinentry (no Assuan greeting)");

  auto set = [&](const std::string& verb, const std::string& value) {
    if (value.empty()) return;
    auto answer = assuan.command(verb + " " + fit(assuan_escape(value), kMaxLine - verb.size() - 2));
    if (!answer.ok) throw PinentryError(verb + " refused: " + answer.error_text);
  };
  // Older pinentries do not know SETTIMEOUT: then the agent's own read timeout applies.
  assuan.command("SETTIMEOUT " + std::to_string(question.timeout.count()));
  set("SETTITLE", question.title);
  set("SETDESC", question.description);
  set("SETPROMPT", question.prompt);
  set("SETERROR", question.error);
  auto answer = assuan.command("GETPIN");
  try {
    assuan.send("BYE");
  } catch (const PinentryError&) {
    // It may already be gone; the PIN (or the cancel) is what matters.
  }
  if (!answer.ok) {
    if (answer.error == kGpgErrCanceled || answer.error == kGpgErrTimeout) return std::nullopt;
    throw PinentryError("GETPIN failed: " + answer.error_text);
  }
  if (answer.data.view().empty()) return std::nullopt;
  return std::optional<SecretString>(std::move(answer.data));
}

}  // namespace lgsp::agent
