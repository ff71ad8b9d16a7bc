// The official's side of result signing in the one-stop tests: hsm-sim's official tokens opened in the test
// process, as `lgsp agent` opens them on an official's PC.
#pragma once

#include "office_process.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace lgsp::test {

// hsm-sim's official tokens (PIN 123456) opened in this process, as `lgsp agent` opens them on an official's PC:
// the certificate the page sends to results/prepare and the signature over a prepared digest. One per process
// (pkcs11-helper is process-wide); LGSP_PKCS11_MODULE and SOFTHSM2_CONF from hsm-sim's env.
class Officials {
 public:
  explicit Officials(const std::filesystem::path& hsm_dir);
  ~Officials();
  std::string certificate(const std::string& token);                             // base64 DER
  std::string sign(const std::string& token, const std::string& digest_base64);  // base64 signature value
  // results/prepare, the token signs, results/complete: the leader `user_token` issues `pdf` as the result.
  JsonAnswer sign_result(OfficeProcess& office, const std::string& user_token, const std::string& code,
                         const std::string& name, const std::string& pdf, const std::string& official);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The office's [signing] section for hsm-sim: its issuing CA completes the chains; officials' signatures chain to
// its root, revocation from its CRL.
std::string office_signing_config(const std::filesystem::path& hsm_dir);

}  // namespace lgsp::test
