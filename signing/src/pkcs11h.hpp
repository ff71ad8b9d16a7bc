// pkcs11-helper handles owned once, and CK_RV as text.
#pragma once

#include <pkcs11-helper-1.0/pkcs11h-certificate.h>
#include <pkcs11-helper-1.0/pkcs11h-core.h>
#include <pkcs11-helper-1.0/pkcs11h-token.h>

#include <cstdio>
#include <memory>
#include <string>

namespace lgsp::signing::pkcs11h {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};

using TokenIdList = std::unique_ptr<pkcs11h_token_id_list_s, Deleter<pkcs11h_token_freeTokenIdList>>;
using CertificateIdList =
    std::unique_ptr<pkcs11h_certificate_id_list_s, Deleter<pkcs11h_certificate_freeCertificateIdList>>;
using CertificateId = std::unique_ptr<pkcs11h_certificate_id_s, Deleter<pkcs11h_certificate_freeCertificateId>>;
using Certificate = std::unique_ptr<pkcs11h_certificate_s, Deleter<pkcs11h_certificate_freeCertificate>>;

// "CKR_PIN_INCORRECT (0xa0)"-style text for a PKCS#11 return value.
inline std::string message(CK_RV rv) {
  char code[32];
  std::snprintf(code, sizeof code, " (0x%lx)", static_cast<unsigned long>(rv));
  return std::string(pkcs11h_getMessage(rv)) + code;
}

// Holds pkcs11-helper's per-session lock for one operation (required when threads share a token session).
class SessionLock {
 public:
  explicit SessionLock(pkcs11h_certificate_t certificate) : certificate_(certificate) {
    rv_ = pkcs11h_certificate_lockSession(certificate_);
  }
  ~SessionLock() {
    if (rv_ == CKR_OK) pkcs11h_certificate_releaseSession(certificate_);
  }
  SessionLock(const SessionLock&) = delete;
  SessionLock& operator=(const SessionLock&) = delete;
  CK_RV result() const { return rv_; }

 private:
  pkcs11h_certificate_t certificate_;
  CK_RV rv_;
};

}  // namespace lgsp::signing::pkcs11h
