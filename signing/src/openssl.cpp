#include "lgsp/signing/openssl.hpp"

#include <openssl/err.h>

namespace lgsp::signing {

X509Ptr share(X509* cert) {
  if (cert) X509_up_ref(cert);
  return X509Ptr(cert);
}

X509StackPtr to_stack(const std::vector<X509Ptr>& certs) {
  X509StackPtr stack(sk_X509_new_null());
  for (const auto& c : certs) {
    X509_up_ref(c.get());
    sk_X509_push(stack.get(), c.get());
  }
  return stack;
}

std::string openssl_errors() {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    const char* lib = ERR_lib_error_string(e);
    const char* reason = ERR_reason_error_string(e);
    std::string text = std::string(lib ? lib : "OpenSSL") + ": ";
    text += reason ? reason : "error " + std::to_string(ERR_GET_REASON(e));
    if (data && *data && (flags & ERR_TXT_STRING)) text += std::string(" (") + data + ")";
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out;
}

std::string with_openssl_errors(const std::string& what) {
  auto errors = openssl_errors();
  return errors.empty() ? what : what + ": " + errors;
}

}  // namespace lgsp::signing
