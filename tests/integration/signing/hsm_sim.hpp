// The simulated tokens and PKI (hsm-sim) for the signing tests: built once per test run, shared by all tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace lgsp::test {

struct HsmSim {
  std::filesystem::path dir;
  std::filesystem::path pki;  // root-ca.pem, issuing-ca.pem, crl.pem, <label>.pem, peer-signer.key, ...
  std::string module;         // libsofthsm2.so
  std::string pin;
  std::string ocsp_url;
  std::filesystem::path pem(const std::string& name) const { return pki / (name + ".pem"); }
};

// Valid once HsmSimEnvironment::SetUp ran.
const HsmSim& hsm_sim();

// Uses the hsm-sim built by the CTest fixture (LGSP_TEST_HSM_DIR), or, when the test binary runs on its own,
// builds one in a temporary folder, starts its OCSP responder, and removes both at the end. Exports
// SOFTHSM2_CONF, LGSP_PKCS11_MODULE and LGSP_PIN for this process and the commands it starts.
class HsmSimEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

 private:
  bool owned_ = false;
};

// A fresh, empty folder for one test, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& file, const std::string& content);
// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
unsigned short closed_port();

}  // namespace lgsp::test
