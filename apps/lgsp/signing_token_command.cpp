// `lgsp token list`.
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/token.hpp"
#include "signing_cli.hpp"

#include <iostream>

namespace lgsp::cli {

int run_token_list(const std::optional<std::string>& module_flag) {
  auto module = module_path(module_flag);
  if (!module) return fail("token list", "no PKCS#11 module: give --module or set LGSP_PKCS11_MODULE", kExitUsage);
  try {
    signing::TokenModule tokens(*module);
    auto list = tokens.tokens();
    if (list.empty()) std::cerr << "lgsp: token list : no token present (module " << module->string() << ")\n";
    for (const auto& t : list) {
      std::cout << t.label << '\t' << t.manufacturer << '\t' << t.serial;
      if (t.certificates.empty()) std::cout << "\tno certificates";
      for (const auto& c : t.certificates) {
        auto info = signing::describe(c.certificate.get());
        std::cout << "\tkey=" << c.key_id << " subject=" << info.subject << " serial=" << info.serial
                  << " not-after=" << signing::format_time(info.not_after);
      }
      std::cout << '\n';
    }
    return kExitOk;
  } catch (const signing::SigningError& e) {
    return fail("token list", e.what(), &e.code() == &signing::errors::kModule ? kExitUsage : kExitFailed);
  }
}

}  // namespace lgsp::cli
