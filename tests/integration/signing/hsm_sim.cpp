#include "hsm_sim.hpp"

#include "process.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

namespace fs = std::filesystem;

namespace lgsp::test {
namespace {

HsmSim g_sim;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Reads `export NAME=value` lines of DIR/env (values are plain paths and digits here).
std::string env_value(const fs::path& env_file, const std::string& name) {
  std::ifstream in(env_file);
  std::string line, prefix = "export " + name + "=";
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  throw std::runtime_error(env_file.string() + " has no " + name);
}

void run_or_throw(const std::vector<std::string>& argv) {
  auto r = run(argv);
  if (r.exit_code != 0) throw std::runtime_error(argv[1] + " failed: " + r.out + r.err);
}

}  // namespace

const HsmSim& hsm_sim() { return g_sim; }

void HsmSimEnvironment::SetUp() {
  const fs::path sim = LGSP_HSM_SIM_SOURCE_DIR;
  if (const char* shared = std::getenv("LGSP_TEST_HSM_DIR"); shared && *shared) {
    g_sim.dir = shared;
  } else {
    owned_ = true;
    g_sim.dir = fs::temp_directory_path() / ("lgsp-hsm-sim-" + std::to_string(::getpid()));
    fs::remove_all(g_sim.dir);
    run_or_throw({"/bin/bash", (sim / "setup.sh").string(), g_sim.dir.string()});
    run_or_throw({"/bin/bash", (sim / "ocsp.sh").string(), g_sim.dir.string(), "start"});
  }
  const fs::path env = g_sim.dir / "env";
  g_sim.pki = g_sim.dir / "pki";
  g_sim.module = env_value(env, "LGSP_PKCS11_MODULE");
  g_sim.pin = env_value(env, "LGSP_PIN");
  g_sim.ocsp_url = trim(read_file(g_sim.dir / "ocsp.url"));
  // SoftHSM reads its configuration when the module is loaded: set before any test loads it.
  setenv("SOFTHSM2_CONF", env_value(env, "SOFTHSM2_CONF").c_str(), 1);
  setenv("LGSP_PKCS11_MODULE", g_sim.module.c_str(), 1);
  setenv("LGSP_PIN", g_sim.pin.c_str(), 1);
}

void HsmSimEnvironment::TearDown() {
  if (!owned_) return;
  run({"/bin/bash", (fs::path(LGSP_HSM_SIM_SOURCE_DIR) / "ocsp.sh").string(), g_sim.dir.string(), "stop"});
  fs::remove_all(g_sim.dir);
}

TempDir::TempDir() {
  std::random_device random;
  path_ =
      fs::temp_directory_path() / ("lgsp-signing-test-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

void write_file(const fs::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

unsigned short closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace lgsp::test
