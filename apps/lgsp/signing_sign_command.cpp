// `lgsp sign`: read the file, open the token key (PIN once), sign, write the result atomically.
#include "lgsp/signing/cades.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/token.hpp"
#include "lgsp/signing/xml_signature.hpp"
#include "signing_cli.hpp"

#include <iostream>

namespace lgsp::cli {
namespace {

int exit_code_for(const signing::ErrorCode& code) {
  namespace e = signing::errors;
  if (&code == &e::kTokenAbsent) return kExitTokenAbsent;
  if (&code == &e::kPinIncorrect || &code == &e::kPinLocked || &code == &e::kPinUnavailable) return kExitPin;
  if (&code == &e::kKeyUnknown || &code == &e::kKeyAmbiguous) return kExitKeyUnknown;
  if (&code == &e::kModule || &code == &e::kConfiguration) return kExitUsage;
  return kExitFailed;
}

}  // namespace

int run_sign(const SignOptions& o) {
  auto module = module_path(o.module);
  if (!module) return fail("sign", "no PKCS#11 module: give --module or set LGSP_PKCS11_MODULE", kExitUsage);
  std::error_code ec;
  if (std::filesystem::equivalent(o.in, o.out, ec)) return fail("sign", "--out must differ from --in", kExitUsage);
  std::string input;
  try {
    input = read_input_file(o.in);
  } catch (const std::exception& e) {
    return fail("sign", e.what(), kExitUsage);
  }
  if (input.empty()) return fail("sign " + o.in, "the file is empty: nothing to sign", kExitFailed);

  try {
    std::vector<signing::X509Ptr> chain;
    for (const auto& file : o.chain)
      for (auto& c : signing::load_pem_certificates(file)) chain.push_back(std::move(c));
    signing::TokenModule tokens(*module);
    auto signer = tokens.open_signer({o.token, o.key_id}, ask_pin, chain);
    std::string output;
    if (o.format == "xmldsig") {
      output = signing::sign_xml(input, *signer);
    } else {
      auto der = signing::sign_cades(
          std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(input.data()), input.size()), *signer);
      output.assign(der.begin(), der.end());
    }
    write_file_atomically(o.out, output);
    std::cout << "signed " << o.in << " -> " << o.out << " (" << o.format << ", " << signer->description() << ", "
              << signing::name_to_utf8(X509_get_subject_name(signer->certificate())) << ")\n";
    return kExitOk;
  } catch (const signing::SigningError& e) {
    return fail("sign " + o.in, std::string(e.what()) + " [" + std::string(e.code().code) + "]",
                exit_code_for(e.code()));
  } catch (const std::exception& e) {
    return fail("sign " + o.in, e.what(), kExitFailed);
  }
}

}  // namespace lgsp::cli
