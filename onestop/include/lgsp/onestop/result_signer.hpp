// The agency seal on the office's PDFs: forms 01-05 and sealed results get a PAdES signature made with the
// server-held seal token (PIN from $LGSP_PIN), as an incremental update after any earlier signature (the
// official's). Officials never sign here: they sign on their own token through `lgsp agent` (results/prepare,
// results/complete in api.cpp). pkcs11-helper is process-wide, so one ResultSigner per process.
#pragma once

#include "lgsp/onestop/config.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lgsp::signing {
class TokenModule;
struct Appearance;
}  // namespace lgsp::signing

namespace lgsp::onestop {

struct SealedPdf {
  std::vector<unsigned char> pdf;  // the input with the seal's signature appended
  std::string sealer;              // the seal certificate's subject
};

class ResultSigner {
 public:
  explicit ResultSigner(SigningConfig config);
  ~ResultSigner();
  ResultSigner(const ResultSigner&) = delete;
  ResultSigner& operator=(const ResultSigner&) = delete;

  // Signs `pdf` (PAdES-B-B, an incremental update) with the agency seal. Throws signing::SigningError.
  SealedPdf seal_pdf(const std::vector<unsigned char>& pdf, const signing::Appearance& appearance);

 private:
  std::unique_ptr<signing::TokenModule> load_module() const;
  SigningConfig config_;
  std::mutex mutex_;  // one token operation at a time: pkcs11-helper's state is global
};

}  // namespace lgsp::onestop
