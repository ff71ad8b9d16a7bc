// PAdES signatures (ETSI EN 319 142-1, SubFilter ETSI.CAdES.detached) on PDF documents, through PoDoFo for the
// PDF structure and OpenSSL CMS for the signature (the same CAdES signed attributes as sign_cades, without
// signing-time: PAdES puts the claimed time in the signature dictionary's /M).
//
// Every signature is an incremental update: the bytes of the input stay as they are, so earlier signatures stay
// valid. Signing is split in two so that the private key can be somewhere else (a token in the official's
// browser, a remote signing agent):
//   prepare()  -> PreparedPdf: the PDF with its signature field, /ByteRange and a zero /Contents placeholder, the
//                 DER signed attributes and `digest` = SHA-256 of those attributes (what the key signs);
//   complete() -> the signed PDF: the CMS with that signature value (checked against the certificate first),
//                 optionally a signature time-stamp (B-T) and a DSS dictionary with chain + OCSP/CRL (B-LT).
// sign() is prepare + Signer::sign_digest + complete, the same code path.
#pragma once

#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/openssl.hpp"
#include "lgsp/signing/signer.hpp"
#include "lgsp/signing/trust.hpp"
#include "lgsp/signing/verifier.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lgsp::signing {

// Where a visible signature goes: page (1-based) and rectangle in PDF points from the page's lower left corner.
struct VisibleBox {
  int page = 1;
  double x = 0, y = 0, width = 0, height = 0;
};

// What the signature field shows (Decree 30/2020 style: signer, title, agency, time; the signer's image; an
// agency's red seal overlapping about a third of the box on its left) and the dictionary's /Reason, /Location.
struct Appearance {
  std::optional<VisibleBox> box;  // none: an invisible signature
  std::string reason;
  std::string location;
  std::string signer_name;                // empty: the certificate's commonName
  std::string title;                      // chức vụ
  std::string agency;                     // cơ quan; empty: the certificate's organizationName
  std::vector<unsigned char> image;       // PNG or JPEG: the signer's handwritten signature
  std::vector<unsigned char> seal_image;  // PNG or JPEG: the agency's red seal
  std::filesystem::path font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";  // TrueType, embedded
  std::optional<Clock::time_point> signing_time;  // /M and the shown time; default: now
};

// Everything complete() needs, between two requests of a remote signing flow. Holds no secret.
struct PreparedPdf {
  std::vector<unsigned char> pdf;  // the input plus the update with the signature dictionary; /Contents zeros
  std::array<std::uint64_t, 4> byte_range{};
  std::vector<unsigned char> signed_attributes;  // DER SET OF Attribute
  Sha256Digest digest{};                         // SHA-256 of signed_attributes: what the key signs
  std::vector<unsigned char> certificate;        // the signer's, DER

  std::vector<unsigned char> serialise() const;
  // Throws SigningError(kPdfPrepared) on anything that is not a complete serialised PreparedPdf.
  static PreparedPdf deserialise(std::span<const unsigned char> bytes);
};

struct PadesOptions {
  std::optional<std::string> tsa_url;   // B-T: RFC 3161 signature time-stamp from this TSA (http)
  bool ltv = false;                     // B-LT: DSS with the chain, OCSP responses and `crls`
  std::vector<X509CrlPtr> crls;         // put into the DSS (B-LT)
  std::optional<std::string> ocsp_url;  // instead of the certificates' AIA
  std::chrono::seconds timeout{10};     // TSA and OCSP
};

// `pdf` must be a readable, unencrypted PDF. `chain`: the signer's CA certificates (carried in the CMS).
// Throws SigningError (kPdfNotPdf, kPdfDamaged, kPdfEncrypted, kMalformed for a bad box, kInternal).
PreparedPdf pades_prepare(std::span<const unsigned char> pdf, const Appearance& appearance, X509* signer,
                          const std::vector<X509Ptr>& chain);

// `signature`: over prepared.digest with the certificate's key (RSA PKCS#1 v1.5; ECDSA as DER or r||s).
// Checks that everything in `prepared` hangs together and that the signature verifies before writing anything.
std::vector<unsigned char> pades_complete(const PreparedPdf& prepared, std::span<const unsigned char> signature,
                                          const std::vector<X509Ptr>& chain, const PadesOptions& options = {});

std::vector<unsigned char> pades_sign(std::span<const unsigned char> pdf, Signer& signer, const Appearance& appearance,
                                      const PadesOptions& options = {});

// True when the bytes start like a PDF ("%PDF-" within the first 1024 bytes, as readers accept).
bool looks_like_pdf(std::span<const unsigned char> bytes);

}  // namespace lgsp::signing

// ---- Verification ------------------------------------------------------------------------------------------

namespace lgsp::signing {

// One signature of a PDF, as verified.
struct PdfSignatureReport {
  std::string field;       // the signature field's name (/T)
  std::string sub_filter;  // e.g. "ETSI.CAdES.detached", "adbe.pkcs7.detached"
  std::string level;       // "PAdES-B-B", "PAdES-B-T", "PAdES-B-LT", or "PDF CMS (adbe.pkcs7.detached)"
  std::array<std::uint64_t, 4> byte_range{};
  std::uint64_t revision_end = 0;                 // the signed revision: bytes [0, revision_end) except /Contents
  bool covers_whole_file = false;                 // nothing was appended after this signature
  std::optional<Clock::time_point> claimed_time;  // /M
  std::optional<Clock::time_point> timestamp;     // signature time-stamp, verified against the trust anchors
  std::string timestamp_status;                   // "none", "valid", or why it is not
  // What the incremental updates after this signature changed: "" when nothing was appended; otherwise each
  // change, allowed (a later signature, its field and widget, the DSS) or not.
  std::vector<std::string> allowed_changes;
  std::vector<std::string> disallowed_changes;  // non-empty: reported as LGSP-VERIFY-MODIFIED
  RevocationResult dss_revocation;              // from the DSS, when it holds an OCSP response for the signer
  VerificationReport cms;                       // the CMS signature and the signer's certificate
  bool valid = false;
  const ErrorCode* failure = nullptr;
  std::string reason;
};

struct PdfVerificationReport {
  bool valid = false;  // at least one signature, and every signature valid
  std::uint64_t file_bytes = 0;
  const ErrorCode* failure = nullptr;  // the document's own failure (not a PDF, damaged, encrypted, unsigned)
  std::string reason;
  bool has_dss = false;
  std::vector<PdfSignatureReport> signatures;  // in the order they were made
};

// Every signature of `pdf`: integrity of its byte range, the CMS and the signer's certificate (`verifier`), its
// time-stamp, revocation (the verifier's policy, or the DSS when that cannot answer), and what changed after it.
PdfVerificationReport verify_pdf(std::span<const unsigned char> pdf, const Verifier& verifier);

nlohmann::json to_json(const PdfVerificationReport& report);

}  // namespace lgsp::signing
