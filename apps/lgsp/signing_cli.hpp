// What the `lgsp token`, `lgsp sign` and `lgsp verify` commands share: their options, their extra exit codes,
// and file and PIN handling.
#pragma once

#include "cli.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::cli {

// `lgsp sign` tells token problems apart, so that a script can react (insert the token, ask the user again,
// fix --key-id) without parsing messages. 1 stays "failed", 2 "usage".
inline constexpr int kExitTokenAbsent = 3;
inline constexpr int kExitPin = 4;  // wrong, locked or missing PIN
inline constexpr int kExitKeyUnknown = 5;

struct SignOptions {
  std::string format;  // xmldsig | cades
  std::string token;
  std::optional<std::string> key_id;
  std::string in;
  std::string out;
  std::optional<std::string> module;
  std::vector<std::string> chain;          // PEM files with the signer's CA certificates
  std::optional<std::string> config_file;  // node config whose signing.ca_chain completes the chain
  // pades only
  std::optional<std::string> visible;  // PAGE,X,Y,W,H (points)
  std::optional<std::string> image;    // signer's image, PNG/JPEG
  std::optional<std::string> seal_image;
  std::string reason;
  std::string location;
  std::string title;
  std::string agency;
  std::optional<std::string> tsa;  // RFC 3161 TSA URL: PAdES-B-T
  bool ltv = false;                // PAdES-B-LT (DSS)
  std::vector<std::string> crl;    // CRLs for the DSS
};

struct VerifyOptions {
  std::string in;
  std::optional<std::string> content;
  std::vector<std::string> trust;
  std::optional<std::string> revocation;  // ocsp | crl | none
  std::vector<std::string> crl;
  std::optional<std::string> ocsp_url;
  bool allow_legacy_sha1 = false;
  std::string require;  // "cades": refuse plain CMS signatures without CAdES-BES attributes
  bool json = false;
};

int run_token_list(const std::optional<std::string>& module);
int run_sign(const SignOptions& options);
int run_verify(const VerifyOptions& options);

// --module, else $LGSP_PKCS11_MODULE; nullopt if neither.
std::optional<std::filesystem::path> module_path(const std::optional<std::string>& flag);

// The whole file; throws std::runtime_error("cannot read FILE: reason").
std::string read_input_file(const std::filesystem::path& file);
// Writes to a temporary file next to `file` and renames it into place: `file` is either the complete new
// content or untouched. Throws std::runtime_error.
void write_file_atomically(const std::filesystem::path& file, std::string_view bytes);

// The PIN for `token_label`: $LGSP_PIN if set, else asked on /dev/tty without echo; nullopt if neither works.
// Never taken from the command line, never printed or logged.
std::optional<std::string> ask_pin(const std::string& token_label);

}  // namespace lgsp::cli
