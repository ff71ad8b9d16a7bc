#include "xmlsec_library.hpp"

#include "lgsp/signing/errors.hpp"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmlsec.h>

#include <mutex>
#include <utility>

namespace lgsp::signing::xmlsec {
namespace {

thread_local std::string t_errors;
thread_local int t_capturing = 0;

void add_error(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty() || t_errors.find(text) != std::string::npos) return;
  if (!t_errors.empty()) t_errors += "; ";
  t_errors += text;
}

// xmlsec reports each failure up the whole call stack; the innermost message says why, the rest say where.
void xmlsec_error(const char*, int, const char* func, const char* object, const char* subject, int reason,
                  const char* msg) {
  if (!t_capturing) return;
  const char* reason_text = nullptr;
  for (xmlSecSize i = 0; (reason_text = xmlSecErrorsGetMsg(i)) != nullptr; ++i)
    if (xmlSecErrorsGetCode(i) == reason) break;
  if (reason == XMLSEC_ERRORS_R_XMLSEC_FAILED) return;  // "xmlsec library function failed": only a trace
  std::string text = reason_text ? reason_text : "xmlsec error";
  if (msg && *msg) text += std::string(" (") + msg + ")";
  if (subject && *subject) text += std::string(" in ") + subject;
  (void)func;
  (void)object;
  add_error(text);
}

void libxml_error(void*, xmlErrorPtr error) {
  if (!error || !error->message) return;
  std::string text = error->message;
  if (error->line > 0) text = "line " + std::to_string(error->line) + ": " + text;
  add_error(text);
}

}  // namespace

void ensure_initialised() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    xmlInitParser();
    if (xmlSecInit() < 0) {
      failure = "xmlSecInit failed";
      return;
    }
    if (xmlSecCheckVersion() != 1) {
      failure = "the loaded xmlsec library is not the version LGSP was built with";
      return;
    }
    if (xmlSecCryptoAppInit(nullptr) < 0 || xmlSecCryptoInit() < 0) failure = "xmlsec-openssl initialisation failed";
    // Last: the crypto initialisation installs its own default callback.
    xmlSecErrorsSetCallback(xmlsec_error);
  });
  if (!failure.empty()) throw SigningError(errors::kInternal, failure);
}

ErrorCapture::ErrorCapture() {
  ensure_initialised();
  // libxml2 keeps its error handler per thread; restore the caller's one when done.
  saved_handler_ = xmlStructuredError;
  saved_context_ = xmlStructuredErrorContext;
  xmlSetStructuredErrorFunc(nullptr, libxml_error);
  ++t_capturing;
  t_errors.clear();
}

ErrorCapture::~ErrorCapture() {
  --t_capturing;
  t_errors.clear();
  xmlSetStructuredErrorFunc(saved_context_, saved_handler_);
}

std::string ErrorCapture::take() { return std::exchange(t_errors, {}); }

std::string with_errors(ErrorCapture& capture, const std::string& what) {
  auto errors = capture.take();
  return errors.empty() ? what : what + ": " + errors;
}

}  // namespace lgsp::signing::xmlsec
