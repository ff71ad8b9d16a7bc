// Child processes for tests: run a command to completion, or start one and signal it.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace lgsp::test {

struct RunResult {
  int exit_code = -1;  // -1 if killed by a signal
  std::string out;
  std::string err;
};

// Runs argv (argv[0] is a path) to completion with optional stdin text and extra environment.
RunResult run(const std::vector<std::string>& argv, const std::string& input = "",
              const std::vector<std::string>& extra_env = {});

class Process {
 public:
  // Starts argv with stdout and stderr appended to `log_file`.
  Process(const std::vector<std::string>& argv, const std::filesystem::path& log_file,
          const std::vector<std::string>& extra_env = {});
  ~Process();  // kills the child if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void signal(int sig);
  // The exit code, or -1 on timeout / killed by a signal.
  int wait(std::chrono::milliseconds timeout);
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  bool reaped_ = false;
};

std::string read_file(const std::filesystem::path& file);

// What hsm-sim's DIR/env exports (SOFTHSM2_CONF, LGSP_PKCS11_MODULE, LGSP_PIN, ...) as NAME=value,
// for a child process's environment.
std::vector<std::string> hsm_sim_env(const std::filesystem::path& dir);
// The same, set in this process (for nodes run in process).
void export_hsm_sim_env(const std::filesystem::path& dir);

}  // namespace lgsp::test
