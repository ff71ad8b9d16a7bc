// PAdES prepare / complete / sign. PoDoFo writes the incremental update with the signature dictionary and tells
// where /ByteRange and /Contents ended up (PdfSignOutputDevice); we only ever patch bytes at those offsets.
#include "cades_builder.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/encoding.hpp"
#include "pades_internal.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include <unistd.h>

namespace lgsp::signing {

using namespace PoDoFo;

namespace {

// Reserved for the DER CMS: the signature, the signer's and CA certificates, and a time-stamp token with the
// TSA's certificate. Written as hex, so the file grows by twice this.
constexpr std::size_t kReservedBytes = 24 * 1024;

Sha256Digest byte_range_digest(std::span<const unsigned char> pdf, const std::array<std::uint64_t, 4>& br) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  Sha256Digest out{};
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), pdf.data() + br[0], br[1]) != 1 ||
      EVP_DigestUpdate(ctx.get(), pdf.data() + br[2], br[3]) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1)
    throw SigningError(errors::kInternal, with_openssl_errors("hashing the signed byte ranges"));
  return out;
}

// The placeholder: ByteRange [0 a b c] with a '<' at a, '>' at b-1, hex zeros between, and c reaching the end.
void check_placeholder(const PreparedPdf& p) {
  const auto& br = p.byte_range;
  const auto size = p.pdf.size();
  bool ok = br[0] == 0 && br[1] + 2 <= br[2] && br[2] <= size && br[3] == size - br[2] && br[1] < size &&
            p.pdf[br[1]] == '<' && p.pdf[br[2] - 1] == '>';
  for (auto i = br[1] + 1; ok && i + 1 < br[2]; ++i) ok = p.pdf[i] == '0';
  if (!ok) throw SigningError(errors::kPdfPrepared, "the prepared PDF has no intact /Contents placeholder");
}

X509Ptr certificate_from_der(const std::vector<unsigned char>& der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size())
    throw SigningError(errors::kPdfPrepared, "the prepared PDF's signer certificate cannot be read");
  return cert;
}

std::vector<unsigned char> certificate_der(X509* cert) {
  int len = i2d_X509(cert, nullptr);
  if (len <= 0) throw SigningError(errors::kInternal, with_openssl_errors("encoding the signer certificate"));
  std::vector<unsigned char> der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_X509(cert, &p);
  return der;
}

// The signature value as CMS stores it: RSA as is; ECDSA as DER (r||s from a token converted).
std::vector<unsigned char> cms_signature_value(X509* cert, std::span<const unsigned char> signature) {
  std::vector<unsigned char> value(signature.begin(), signature.end());
  if (EVP_PKEY_get_base_id(X509_get0_pubkey(cert)) == EVP_PKEY_EC && !value.empty() && value[0] != 0x30)
    value = ecdsa_raw_to_der(value);
  return value;
}

void verify_signature_value(X509* cert, const std::vector<unsigned char>& signed_attributes,
                            const std::vector<unsigned char>& value) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, X509_get0_pubkey(cert)) != 1 ||
      EVP_DigestVerify(ctx.get(), value.data(), value.size(), signed_attributes.data(), signed_attributes.size()) !=
          1) {
    openssl_errors();
    throw SigningError(errors::kBadSignature,
                       "the signature value does not verify with the signer certificate's key over the prepared "
                       "digest (wrong key, or a signature over something else)");
  }
}

// id-aa-signatureTimeStampToken over the signature value (RFC 5126 6.1.1, ETSI EN 319 122-1 5.3).
void add_signature_timestamp(CMS_SignerInfo* si, const PadesOptions& options) {
  ASN1_OCTET_STRING* value = CMS_SignerInfo_get0_signature(si);
  auto imprint = sha256(std::span<const unsigned char>(ASN1_STRING_get0_data(value),
                                                       static_cast<std::size_t>(ASN1_STRING_length(value))));
  auto token = pades_detail::request_timestamp(*options.tsa_url, imprint, options.timeout);
  if (CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, token.data(),
                                    static_cast<int>(token.size())) != 1)
    throw SigningError(errors::kInternal, with_openssl_errors("adding the signature time-stamp"));
}

// A private temporary file, removed when done.
struct ScratchFile {
  std::string path;
  ScratchFile() {
    std::string templ = (std::filesystem::temp_directory_path() / "lgsp-pades-XXXXXX").string();
    int fd = mkstemp(templ.data());
    if (fd < 0) throw SigningError(errors::kInternal, "cannot create a temporary file in " + templ);
    ::close(fd);
    path = templ;
  }
  ~ScratchFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  std::vector<unsigned char> read() const {
    std::ifstream in(path, std::ios::binary);
    std::vector<unsigned char> out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw SigningError(errors::kInternal, "cannot read back " + path);
    return out;
  }
};

std::string unique_field_name(PdfMemDocument& doc) {
  std::set<std::string> taken;
  if (PdfAcroForm* form = doc.GetAcroForm(false); form && form->GetObject()->GetDictionary().HasKey("Fields")) {
    for (int i = 0; i < doc.GetPageCount(); ++i) {
      PdfPage* page = doc.GetPage(i);
      for (int f = 0; f < page->GetNumFields(); ++f) taken.insert(page->GetField(f).GetFieldName().GetStringUtf8());
    }
  }
  for (int n = 1;; ++n) {
    std::string name = "Signature" + std::to_string(n);
    if (!taken.count(name)) return name;
  }
}

}  // namespace

bool looks_like_pdf(std::span<const unsigned char> bytes) {
  auto head = bytes.first(std::min<std::size_t>(bytes.size(), 1024));
  static constexpr std::string_view kMagic = "%PDF-";
  return std::search(head.begin(), head.end(), kMagic.begin(), kMagic.end()) != head.end();
}

namespace pades_detail {

std::string to_string(const PdfError& e) {
  const char* name = PdfError::ErrorName(e.GetError());
  std::string out = name ? name : "PoDoFo error";
  if (!e.GetCallstack().empty() && !e.GetCallstack().back().GetInformation().empty())
    out += ": " + e.GetCallstack().back().GetInformation().substr(0, 200);
  return out;
}

void load_pdf(PdfMemDocument& doc, std::span<const unsigned char> pdf, bool for_update) {
  // PoDoFo prints every error it raises to stderr; ours are reported with codes instead.
  PdfError::EnableDebug(false);
  PdfError::EnableLogging(false);
  if (!looks_like_pdf(pdf)) throw SigningError(errors::kPdfNotPdf, "the input does not start with a PDF header");
  try {
    doc.LoadFromBuffer(reinterpret_cast<const char*>(pdf.data()), static_cast<long>(pdf.size()), for_update);
  } catch (const PdfError& e) {
    if (e.GetError() == ePdfError_InvalidPassword || e.GetError() == ePdfError_UnsupportedFilter ||
        e.GetError() == ePdfError_InvalidEncryptionDict)
      throw SigningError(errors::kPdfEncrypted, "the PDF is encrypted (" + to_string(e) + ")");
    throw SigningError(errors::kPdfDamaged, "the PDF cannot be read: " + to_string(e));
  }
  if (doc.GetEncrypted())
    throw SigningError(errors::kPdfEncrypted,
                       "the PDF is encrypted: a signature must cover the document as readers see it; decrypt it first");
  if (doc.GetPageCount() < 1) throw SigningError(errors::kPdfDamaged, "the PDF has no pages");
}

}  // namespace pades_detail

PreparedPdf pades_prepare(std::span<const unsigned char> pdf, const Appearance& appearance, X509* signer,
                          const std::vector<X509Ptr>& chain) {
  if (!signer) throw SigningError(errors::kConfiguration, "no signer certificate");
  PdfMemDocument doc;
  pades_detail::load_pdf(doc, pdf, true);
  const auto when = appearance.signing_time.value_or(Clock::now());
  PreparedPdf out;
  try {
    // A file: PdfSignOutputDevice reads back what it wrote, which PoDoFo's stream and buffer devices do not do
    // reliably.
    ScratchFile scratch;
    PdfOutputDevice real(scratch.path.c_str(), true);
    PdfSignOutputDevice device(&real);
    device.SetSignatureSize(kReservedBytes);

    PdfAcroForm* form = doc.GetAcroForm(true, ePdfAcroFormDefaultAppearance_None);
    // SignaturesExist | AppendOnly (PDF 32000-1 12.7.2): readers must save later changes incrementally.
    form->GetObject()->GetDictionary().AddKey("SigFlags", PdfObject(static_cast<pdf_int64>(3)));
    PdfRect rect(0, 0, 0, 0);
    int page_index = 0;
    if (appearance.box) {
      const auto& b = *appearance.box;
      if (b.page < 1 || b.page > doc.GetPageCount() || b.width <= 0 || b.height <= 0 || b.width > 14400 ||
          b.height > 14400)
        throw SigningError(errors::kMalformed, "--visible: page " + std::to_string(b.page) + " of " +
                                                   std::to_string(doc.GetPageCount()) +
                                                   " or the box size is out of range");
      page_index = b.page - 1;
      rect = PdfRect(b.x, b.y, b.width, b.height);
    }
    std::string name = unique_field_name(doc);
    PdfSignatureField field(doc.GetPage(page_index), rect, &doc);
    field.SetFieldName(PdfString(name));
    if (!appearance.reason.empty())
      field.SetSignatureReason(PdfString(reinterpret_cast<const pdf_utf8*>(appearance.reason.c_str())));
    if (!appearance.location.empty())
      field.SetSignatureLocation(PdfString(reinterpret_cast<const pdf_utf8*>(appearance.location.c_str())));
    field.SetSignatureDate(PdfDate(Clock::to_time_t(when)));
    field.SetSignature(*device.GetSignatureBeacon());
    PdfDictionary& sig = field.GetSignatureObject()->GetDictionary();
    sig.AddKey("SubFilter", PdfName("ETSI.CAdES.detached"));
    sig.AddKey("Filter", PdfName("Adobe.PPKLite"));
    if (appearance.box) {
      pades_detail::draw_appearance(doc, field, appearance, signer, when);
    } else if (PdfAnnotation* widget = field.GetWidgetAnnotation()) {
      widget->SetFlags(ePdfAnnotationFlags_Hidden);
    }

    doc.WriteUpdate(&device, true);
    if (!device.HasSignaturePosition())
      throw SigningError(errors::kInternal, "PoDoFo did not write the signature placeholder");
    PdfArray range = device.AdjustByteRange();
    device.Flush();
    for (std::size_t i = 0; i < 4; ++i) out.byte_range[i] = static_cast<std::uint64_t>(range[i].GetNumber());
    out.pdf = scratch.read();
  } catch (const PdfError& e) {
    throw SigningError(errors::kInternal, "writing the signature field: " + pades_detail::to_string(e));
  }
  // PoDoFo's beacon is text; the placeholder we hand out is hex zeros (a well-formed PDF string).
  const auto& br = out.byte_range;
  if (br[1] + 2 > br[2] || br[2] > out.pdf.size() || out.pdf[br[1]] != '<' || out.pdf[br[2] - 1] != '>')
    throw SigningError(errors::kInternal, "the signature placeholder is not where PoDoFo said");
  std::fill(out.pdf.begin() + static_cast<std::ptrdiff_t>(br[1] + 1),
            out.pdf.begin() + static_cast<std::ptrdiff_t>(br[2] - 1), '0');
  check_placeholder(out);
  auto skeleton = cades_skeleton(signer, chain, byte_range_digest(out.pdf, br), std::nullopt);
  out.signed_attributes = std::move(skeleton.signed_attributes);
  out.digest = sha256(out.signed_attributes);
  out.certificate = certificate_der(signer);
  return out;
}

std::vector<unsigned char> pades_complete(const PreparedPdf& prepared, std::span<const unsigned char> signature,
                                          const std::vector<X509Ptr>& chain, const PadesOptions& options) {
  check_placeholder(prepared);
  X509Ptr cert = certificate_from_der(prepared.certificate);
  // Rebuilt from the PDF itself: a PreparedPdf kept between requests cannot make us embed a signature over
  // anything but these bytes.
  auto skeleton = cades_skeleton(cert.get(), chain, byte_range_digest(prepared.pdf, prepared.byte_range), std::nullopt);
  if (skeleton.signed_attributes != prepared.signed_attributes || sha256(skeleton.signed_attributes) != prepared.digest)
    throw SigningError(errors::kPdfPrepared,
                       "the prepared signed attributes or digest do not match the prepared PDF and certificate");
  auto value = cms_signature_value(cert.get(), signature);
  verify_signature_value(cert.get(), skeleton.signed_attributes, value);
  cades_finish(skeleton, value);
  if (options.tsa_url) add_signature_timestamp(skeleton.signer_info, options);
  auto cms = cms_der(skeleton.cms.get());

  const auto& br = prepared.byte_range;
  const std::size_t room = (br[2] - br[1] - 2) / 2;
  if (cms.size() > room)
    throw SigningError(errors::kPdfPlaceholder, "the CMS signature has " + std::to_string(cms.size()) +
                                                    " bytes; the PDF reserves " + std::to_string(room));
  std::vector<unsigned char> pdf = prepared.pdf;
  std::string hex = to_hex(cms, true);
  std::copy(hex.begin(), hex.end(), pdf.begin() + static_cast<std::ptrdiff_t>(br[1] + 1));
  if (options.ltv) pdf = pades_detail::add_dss(std::move(pdf), cert.get(), chain, options);
  return pdf;
}

std::vector<unsigned char> pades_sign(std::span<const unsigned char> pdf, Signer& signer, const Appearance& appearance,
                                      const PadesOptions& options) {
  auto prepared = pades_prepare(pdf, appearance, signer.certificate(), signer.chain());
  auto signature = signer.sign_digest(prepared.digest);
  return pades_complete(prepared, signature, signer.chain(), options);
}

// Serialised form: "LGSPPADES1" then, big-endian, u64 length + bytes for pdf, signed attributes, certificate,
// then 4 x u64 byte range and the 32-byte digest.
namespace {
constexpr std::string_view kMagic = "LGSPPADES1";

void put_u64(std::vector<unsigned char>& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

struct Reader {
  std::span<const unsigned char> in;
  std::uint64_t u64() {
    if (in.size() < 8) throw SigningError(errors::kPdfPrepared, "the prepared PDF data is truncated");
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | in[static_cast<std::size_t>(i)];
    in = in.subspan(8);
    return v;
  }
  std::vector<unsigned char> bytes(std::uint64_t n) {
    if (n > in.size()) throw SigningError(errors::kPdfPrepared, "the prepared PDF data is truncated");
    std::vector<unsigned char> out(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
    in = in.subspan(n);
    return out;
  }
};
}  // namespace

std::vector<unsigned char> PreparedPdf::serialise() const {
  std::vector<unsigned char> out(kMagic.begin(), kMagic.end());
  for (const auto* field : {&pdf, &signed_attributes, &certificate}) {
    put_u64(out, field->size());
    out.insert(out.end(), field->begin(), field->end());
  }
  for (auto v : byte_range) put_u64(out, v);
  out.insert(out.end(), digest.begin(), digest.end());
  return out;
}

PreparedPdf PreparedPdf::deserialise(std::span<const unsigned char> bytes) {
  if (bytes.size() < kMagic.size() || std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0)
    throw SigningError(errors::kPdfPrepared, "not a serialised prepared PDF");
  Reader r{bytes.subspan(kMagic.size())};
  PreparedPdf p;
  p.pdf = r.bytes(r.u64());
  p.signed_attributes = r.bytes(r.u64());
  p.certificate = r.bytes(r.u64());
  for (auto& v : p.byte_range) v = r.u64();
  auto d = r.bytes(p.digest.size());
  std::copy(d.begin(), d.end(), p.digest.begin());
  if (!r.in.empty()) throw SigningError(errors::kPdfPrepared, "trailing bytes after the prepared PDF data");
  check_placeholder(p);
  return p;
}

}  // namespace lgsp::signing
