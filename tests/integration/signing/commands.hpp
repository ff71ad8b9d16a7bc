// Running the programs the signing tests drive: our `lgsp`, and the stock xmlsec1 and openssl as references.
#pragma once

#include "process.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace lgsp::test {

// `lgsp <args>` with the hsm-sim environment (SOFTHSM2_CONF, LGSP_PKCS11_MODULE, LGSP_PIN).
RunResult run_lgsp(const std::vector<std::string>& args);
// `env <assignments> lgsp <args>`, e.g. {"LGSP_PIN=000000"} or {"-u", "LGSP_PIN"}.
RunResult lgsp_with_env(const std::vector<std::string>& env_args, const std::vector<std::string>& args);
// `lgsp` in a new session: no controlling terminal, so nothing can ask for a PIN interactively.
RunResult lgsp_without_terminal(const std::vector<std::string>& env_args, const std::vector<std::string>& args);
RunResult xmlsec1(const std::vector<std::string>& args);
RunResult openssl(const std::vector<std::string>& args);

// lgsp sign with the test chain (the issuing CA) so that signatures carry their intermediate.
RunResult lgsp_sign(const std::string& format, const std::string& token, const std::filesystem::path& in,
                    const std::filesystem::path& out, const std::vector<std::string>& extra = {});
// lgsp verify --trust root-ca.pem plus `extra`.
RunResult lgsp_verify(const std::filesystem::path& in, const std::vector<std::string>& extra = {});

// A small edXML-like result document with Vietnamese text; `id` becomes the root's Id attribute.
std::string sample_document(const std::string& id = "kq-1");

}  // namespace lgsp::test
