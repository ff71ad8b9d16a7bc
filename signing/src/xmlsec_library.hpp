// libxml2 + xmlsec1 (OpenSSL backend): one-time initialisation, their handles owned once, and their error
// messages collected per thread instead of printed on stderr.
#pragma once

#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <xmlsec/buffer.h>
#include <xmlsec/crypto.h>
#include <xmlsec/keys.h>
#include <xmlsec/nodeset.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>

#include <memory>
#include <string>

namespace lgsp::signing::xmlsec {

// Initialises libxml2, xmlsec and its OpenSSL backend once per process. Thread-safe.
void ensure_initialised();

// While alive, libxml2 and xmlsec errors raised on this thread are collected (and not printed).
class ErrorCapture {
 public:
  ErrorCapture();
  ~ErrorCapture();
  ErrorCapture(const ErrorCapture&) = delete;
  ErrorCapture& operator=(const ErrorCapture&) = delete;
  // The errors collected so far, "; "-separated, and forgets them.
  std::string take();

 private:
  xmlStructuredErrorFunc saved_handler_;
  void* saved_context_;
};

// `what` + ": " + the collected errors (or just `what`).
std::string with_errors(ErrorCapture& capture, const std::string& what);

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
inline void free_xml_chars(xmlChar* p) { xmlFree(p); }

using DocPtr = std::unique_ptr<xmlDoc, Deleter<xmlFreeDoc>>;
using XmlCharPtr = std::unique_ptr<xmlChar, Deleter<free_xml_chars>>;
using DSigCtxPtr = std::unique_ptr<xmlSecDSigCtx, Deleter<xmlSecDSigCtxDestroy>>;
using DSigReferenceCtxPtr = std::unique_ptr<xmlSecDSigReferenceCtx, Deleter<xmlSecDSigReferenceCtxDestroy>>;
using TransformCtxPtr = std::unique_ptr<xmlSecTransformCtx, Deleter<xmlSecTransformCtxDestroy>>;
using NodeSetPtr = std::unique_ptr<xmlSecNodeSet, Deleter<xmlSecNodeSetDestroy>>;
using KeyPtr = std::unique_ptr<xmlSecKey, Deleter<xmlSecKeyDestroy>>;

}  // namespace lgsp::signing::xmlsec
