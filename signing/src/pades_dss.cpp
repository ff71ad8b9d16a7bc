// PAdES-B-LT: the validation data a verifier needs later, in a /DSS dictionary added by one more incremental
// update (ETSI EN 319 142-1 5.4.2): the certificates, the signer's OCSP response (asked now, from its AIA or
// options.ocsp_url), and the CRLs given. An existing DSS (an earlier B-LT signature) is kept and extended.
#include "lgsp/signing/certificate.hpp"
#include "pades_internal.hpp"
#include "revocation.hpp"

#include <sstream>

namespace lgsp::signing::pades_detail {

using namespace PoDoFo;

namespace {

template <class T, int (*Encode)(const T*, unsigned char**)>
std::vector<unsigned char> der_of(const T* item) {
  int len = Encode(item, nullptr);
  if (len <= 0) throw SigningError(errors::kInternal, with_openssl_errors("encoding DSS data"));
  std::vector<unsigned char> der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  Encode(item, &p);
  return der;
}

// A new stream object holding `der`; its reference.
PdfReference add_stream(PdfMemDocument& doc, const std::vector<unsigned char>& der) {
  PdfObject* object = doc.GetObjects().CreateObject();
  object->GetStream()->Set(reinterpret_cast<const char*>(der.data()), static_cast<pdf_long>(der.size()));
  return object->Reference();
}

// The entries of `key` in an existing DSS dictionary (references stay references).
PdfArray existing(PdfMemDocument& doc, const PdfDictionary* dss, const char* key) {
  if (!dss || !dss->HasKey(key)) return {};
  const PdfObject* value = dss->GetKey(key);
  if (value->IsReference()) value = doc.GetObjects().GetObject(value->GetReference());
  return value && value->IsArray() ? value->GetArray() : PdfArray();
}

X509* issuer_of(X509* cert, const std::vector<X509Ptr>& chain) {
  for (const auto& c : chain)
    if (X509_check_issued(c.get(), cert) == X509_V_OK) return c.get();
  return nullptr;
}

}  // namespace

std::vector<unsigned char> add_dss(std::vector<unsigned char> pdf, X509* signer, const std::vector<X509Ptr>& chain,
                                   const PadesOptions& options) {
  // The signer's OCSP response: the revocation data that matters most and cannot come from a file.
  X509* issuer = issuer_of(signer, chain);
  if (!issuer) throw SigningError(errors::kChainMissing, "B-LT needs the signer's issuer certificate in the chain");
  X509StorePtr store(X509_STORE_new());
  for (const auto& c : chain) X509_STORE_add_cert(store.get(), c.get());
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  TrustPolicy policy;
  policy.ocsp_url = options.ocsp_url;
  policy.ocsp_timeout = options.timeout;
  auto ocsp = check_ocsp(signer, issuer, chain, store.get(), policy);
  if (ocsp.status == RevocationStatus::kRevoked)
    throw SigningError(errors::kRevoked, "the signer's certificate is revoked (" + ocsp.source + ")");
  if (ocsp.status != RevocationStatus::kGood && options.crls.empty())
    throw SigningError(errors::kRevocationUnknown,
                       "B-LT: no OCSP response for the signer (" + ocsp.detail + ") and no CRL given");

  PdfMemDocument doc;
  load_pdf(doc, pdf, true);
  try {
    PdfObject* catalog = doc.GetCatalog();
    const PdfDictionary* old_dss = nullptr;
    if (catalog->GetDictionary().HasKey("DSS")) {
      const PdfObject* value = catalog->GetDictionary().GetKey("DSS");
      if (value->IsReference()) value = doc.GetObjects().GetObject(value->GetReference());
      if (value && value->IsDictionary()) old_dss = &value->GetDictionary();
    }
    PdfArray certs = existing(doc, old_dss, "Certs");
    PdfArray ocsps = existing(doc, old_dss, "OCSPs");
    PdfArray crls = existing(doc, old_dss, "CRLs");
    certs.push_back(add_stream(doc, der_of<X509, i2d_X509>(signer)));
    for (const auto& c : chain) certs.push_back(add_stream(doc, der_of<X509, i2d_X509>(c.get())));
    if (!ocsp.ocsp_response.empty()) ocsps.push_back(add_stream(doc, ocsp.ocsp_response));
    for (const auto& crl : options.crls) crls.push_back(add_stream(doc, der_of<X509_CRL, i2d_X509_CRL>(crl.get())));

    PdfObject* dss = doc.GetObjects().CreateObject(PdfDictionary());
    dss->GetDictionary().AddKey("Certs", certs);
    if (!ocsps.empty()) dss->GetDictionary().AddKey("OCSPs", ocsps);
    if (!crls.empty()) dss->GetDictionary().AddKey("CRLs", crls);
    catalog->GetDictionary().AddKey("DSS", dss->Reference());

    std::stringstream stream(std::ios::in | std::ios::out | std::ios::binary);
    PdfOutputDevice device(&stream);
    doc.WriteUpdate(&device, true);
    device.Flush();
    std::string written = stream.str();
    return {written.begin(), written.end()};
  } catch (const PdfError& e) {
    throw SigningError(errors::kInternal, "writing the DSS dictionary: " + to_string(e));
  }
}

}  // namespace lgsp::signing::pades_detail
