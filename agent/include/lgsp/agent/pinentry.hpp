// Asks a PIN through a pinentry program (GnuPG's Assuan protocol, as pinentry-gnome3, pinentry-qt and
// pinentry-curses speak it). The program runs for one question and exits; the PIN it gives is handed over in a
// buffer that wipes itself.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace lgsp::agent {

// A secret that is wiped (OPENSSL_cleanse) when it goes away. Not copyable.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string value) : value_(std::move(value)) {}
  ~SecretString();
  SecretString(SecretString&& other) noexcept;
  SecretString& operator=(SecretString&& other) noexcept;
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  const std::string& view() const { return value_; }
  void wipe();

 private:
  std::string value_;
};

struct PinQuestion {
  std::string title;        // window title
  std::string description;  // what is asked for and why (several lines)
  std::string prompt;       // "PIN:"
  std::string error;        // shown above the prompt when not empty (e.g. a low tries count)
  std::chrono::seconds timeout{120};
};

// Failures of the program or of its protocol (not a cancel).
class PinentryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs `program`, asks `question`, returns the PIN, or nothing when the user cancelled (or let the dialog time
// out). Throws PinentryError when the program cannot run or breaks the protocol.
std::optional<SecretString> ask_pin(const std::filesystem::path& program, const PinQuestion& question);

// Assuan's %-escaping of a parameter ('%', CR, LF and other control characters as %XX), and its reverse.
std::string assuan_escape(const std::string& text);
std::string assuan_unescape(const std::string& text);

}  // namespace lgsp::agent
