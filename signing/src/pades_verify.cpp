// PDF signature verification: PoDoFo finds the signature dictionaries and parses each signed revision; the CMS
// and the certificate go through the same Verifier as a detached CAdES signature.
//
// What changed after a signature is found by comparing, object by object, the signed revision (the file up to
// the end of its byte range, parsed on its own) with the whole file. A later signature adds a field, a widget
// annotation, a signature dictionary and a DSS; it changes the catalog (AcroForm, DSS), the AcroForm (Fields),
// and a page's /Annots. Any other changed object (a content stream, a font, the page tree, ...) is a
// modification of what was signed.
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/encoding.hpp"
#include "pades_internal.hpp"

#include <openssl/ts.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace lgsp::signing {

using namespace PoDoFo;

namespace {

using TsVerifyPtr = std::unique_ptr<TS_VERIFY_CTX, OpenSslDeleter<TS_VERIFY_CTX_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, OpenSslDeleter<PKCS7_free>>;
using TstInfoPtr = std::unique_ptr<TS_TST_INFO, OpenSslDeleter<TS_TST_INFO_free>>;

constexpr std::size_t kMaxSignatures = 64;
constexpr std::size_t kMaxChangesListed = 20;

const PdfObject* resolve(const PdfMemDocument& doc, const PdfObject* o) {
  for (int i = 0; o && o->IsReference() && i < 8; ++i) o = doc.GetObjects().GetObject(o->GetReference());
  return o;
}

std::string name_of(const PdfDictionary& d, const char* key) {
  const PdfObject* o = d.GetKey(key);
  return o && o->IsName() ? o->GetName().GetName() : std::string();
}

std::string serialised(const PdfObject& o) {
  std::string out;
  o.ToString(out, ePdfWriteMode_Compact);
  if (o.HasStream()) {
    char* buffer = nullptr;
    pdf_long len = 0;
    o.GetStream()->GetCopy(&buffer, &len);
    out.append("\nstream\n");
    if (buffer) out.append(buffer, static_cast<std::size_t>(len));
    podofo_free(buffer);
  }
  return out;
}

// `d` without `ignored` keys, serialised.
std::string without(const PdfDictionary& d, std::initializer_list<const char*> ignored) {
  PdfDictionary copy = d;
  for (const char* key : ignored) copy.RemoveKey(key);
  PdfObject o(copy);
  return serialised(o);
}

std::string describe_object(const PdfObject& o) {
  std::string out = "object " + std::to_string(o.Reference().ObjectNumber());
  if (o.IsDictionary()) {
    std::string type = name_of(o.GetDictionary(), "Type");
    std::string subtype = name_of(o.GetDictionary(), "Subtype");
    if (!type.empty()) out += " /" + type;
    if (!subtype.empty()) out += " /" + subtype;
  }
  if (o.HasStream()) out += " (stream)";
  return out;
}

bool is_signature_widget(const PdfMemDocument& doc, const PdfObject* o) {
  o = resolve(doc, o);
  if (!o || !o->IsDictionary()) return false;
  const auto& d = o->GetDictionary();
  if (name_of(d, "Subtype") != "Widget") return false;
  if (name_of(d, "FT") == "Sig") return true;
  const PdfObject* parent = resolve(doc, d.GetKey("Parent"));
  return parent && parent->IsDictionary() && name_of(parent->GetDictionary(), "FT") == "Sig";
}

// The changes between the signed revision and the whole file, sorted into allowed and not.
void compare_revisions(const PdfMemDocument& before, const PdfMemDocument& after, PdfSignatureReport& r) {
  auto note = [](std::vector<std::string>& list, std::string what) {
    if (list.size() < kMaxChangesListed) list.push_back(std::move(what));
  };
  const PdfObject* old_catalog = before.GetCatalog();
  const PdfObject* old_form = old_catalog ? resolve(before, old_catalog->GetDictionary().GetKey("AcroForm")) : nullptr;
  const PdfObject* info = before.GetTrailer() ? before.GetTrailer()->GetDictionary().GetKey("Info") : nullptr;
  std::set<PdfReference> old_annots_of_pages;
  for (const PdfObject* o : before.GetObjects()) {
    const PdfObject* now = after.GetObjects().GetObject(o->Reference());
    if (!now) {
      note(r.disallowed_changes, describe_object(*o) + " was removed");
      continue;
    }
    if (serialised(*o) == serialised(*now)) continue;
    const std::string what = describe_object(*now);
    if (!o->IsDictionary() || !now->IsDictionary()) {
      // An indirect /Annots array of a page may grow by signature widgets; nothing else may change.
      bool grown = o->IsArray() && now->IsArray() && now->GetArray().size() >= o->GetArray().size() &&
                   std::equal(o->GetArray().begin(), o->GetArray().end(), now->GetArray().begin());
      if (grown)
        for (std::size_t i = o->GetArray().size(); i < now->GetArray().size(); ++i)
          grown = grown && is_signature_widget(after, &now->GetArray()[i]);
      note(grown ? r.allowed_changes : r.disallowed_changes,
           grown ? what + ": signature widgets added to an annotation list" : what + " changed");
      continue;
    }
    const auto& od = o->GetDictionary();
    const auto& nd = now->GetDictionary();
    const std::string type = name_of(nd, "Type");
    if (o == old_catalog || type == "Catalog") {
      bool ok = without(od, {"AcroForm", "DSS", "Perms"}) == without(nd, {"AcroForm", "DSS", "Perms"});
      note(ok ? r.allowed_changes : r.disallowed_changes,
           ok ? "catalog: signature form or DSS updated" : "catalog changed beyond the form and the DSS");
    } else if (o == old_form) {
      const char* keys[] = {"Fields", "SigFlags", "DA", "DR", "NeedAppearances"};
      bool ok = without(od, {keys[0], keys[1], keys[2], keys[3], keys[4]}) ==
                without(nd, {keys[0], keys[1], keys[2], keys[3], keys[4]});
      note(ok ? r.allowed_changes : r.disallowed_changes,
           ok ? "form: signature field added" : "form dictionary changed");
    } else if (type == "Page") {
      bool ok = without(od, {"Annots"}) == without(nd, {"Annots"});
      if (ok) {
        // Only signature widgets may be added to a signed page.
        std::set<std::string> kept;
        if (const PdfObject* a = resolve(before, od.GetKey("Annots")); a && a->IsArray())
          for (const auto& e : a->GetArray()) kept.insert(e.IsReference() ? e.GetReference().ToString() : "");
        if (const PdfObject* a = resolve(after, nd.GetKey("Annots")); a && a->IsArray())
          for (const auto& e : a->GetArray())
            if (!(e.IsReference() && kept.count(e.GetReference().ToString())) && !is_signature_widget(after, &e))
              ok = false;
      }
      note(ok ? r.allowed_changes : r.disallowed_changes,
           ok ? what + ": signature widget added" : what + ": page content, resources or annotations changed");
    } else if (info && info->IsReference() && o->Reference() == info->GetReference()) {
      note(r.allowed_changes, "document information (producer, dates) updated");
    } else if (is_signature_widget(before, o) && name_of(nd, "FT") == "Sig" && !od.HasKey("V")) {
      note(r.allowed_changes, what + ": an empty signature field was signed");
    } else {
      note(r.disallowed_changes, what + " changed");
    }
  }
}

std::optional<Clock::time_point> pdf_date(const PdfDictionary& sig) {
  const PdfObject* m = sig.GetKey("M");
  if (!m || !(m->IsString() || m->IsHexString())) return std::nullopt;
  PdfDate date(m->GetString());
  if (!date.IsValid()) return std::nullopt;
  return time_point_from_seconds(date.GetTime());
}

// The signature time-stamp of `si`, if any: checked against the signature value and the trust anchors.
void check_timestamp(CMS_SignerInfo* si, X509_STORE* store, PdfSignatureReport& r) {
  int index = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
  if (index < 0) {
    r.timestamp_status = "none";
    return;
  }
  X509_ATTRIBUTE* attr = CMS_unsigned_get_attr(si, index);
  ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attr, 0);
  if (!value || value->type != V_ASN1_SEQUENCE) {
    r.timestamp_status = "malformed time-stamp attribute";
    return;
  }
  const unsigned char* p = value->value.sequence->data;
  Pkcs7Ptr token(d2i_PKCS7(nullptr, &p, value->value.sequence->length));
  TstInfoPtr info(token ? PKCS7_to_TS_TST_INFO(token.get()) : nullptr);
  if (!info) {
    r.timestamp_status = "the time-stamp token cannot be read";
    openssl_errors();
    return;
  }
  ASN1_OCTET_STRING* signature = CMS_SignerInfo_get0_signature(si);
  auto imprint = sha256(std::span<const unsigned char>(ASN1_STRING_get0_data(signature),
                                                       static_cast<std::size_t>(ASN1_STRING_length(signature))));
  TsVerifyPtr ctx(TS_VERIFY_CTX_new());
  auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(imprint.size()));
  if (!ctx || !copy) throw SigningError(errors::kInternal, "out of memory");
  std::copy(imprint.begin(), imprint.end(), copy);
  TS_VERIFY_CTX_set_imprint(ctx.get(), copy, static_cast<long>(imprint.size()));
  X509_STORE_up_ref(store);
  TS_VERIFY_CTX_set_store(ctx.get(), store);
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_SIGNATURE | TS_VFY_SIGNER);
  if (TS_RESP_verify_token(ctx.get(), token.get()) != 1) {
    r.timestamp_status = with_openssl_errors("the time-stamp does not verify (signature value or TSA not trusted)");
    return;
  }
  r.timestamp = to_time_point(TS_TST_INFO_get_time(info.get()));
  r.timestamp_status = "valid";
}

// An OCSP response in the DSS that covers `signer`, signed by someone the trust store accepts.
RevocationResult dss_revocation(const PdfMemDocument& doc, X509* signer, const std::vector<X509Ptr>& chain,
                                X509_STORE* store) {
  RevocationResult result;
  const PdfObject* dss = resolve(doc, doc.GetCatalog()->GetDictionary().GetKey("DSS"));
  if (!dss || !dss->IsDictionary()) return result;
  const PdfObject* ocsps = resolve(doc, dss->GetDictionary().GetKey("OCSPs"));
  if (!ocsps || !ocsps->IsArray()) return result;
  X509* issuer = nullptr;
  for (const auto& c : chain)
    if (X509_check_issued(c.get(), signer) == X509_V_OK) issuer = c.get();
  if (!issuer) return result;
  OcspCertIdPtr id(OCSP_cert_to_id(nullptr, signer, issuer));
  auto others = to_stack(chain);
  for (const auto& entry : ocsps->GetArray()) {
    const PdfObject* stream = resolve(doc, &entry);
    if (!stream || !stream->HasStream()) continue;
    char* buffer = nullptr;
    pdf_long len = 0;
    try {
      stream->GetStream()->GetFilteredCopy(&buffer, &len);
    } catch (const PdfError&) {
      continue;
    }
    std::vector<unsigned char> der(buffer, buffer + len);
    podofo_free(buffer);
    const unsigned char* p = der.data();
    OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
    OcspBasicPtr basic(response ? OCSP_response_get1_basic(response.get()) : nullptr);
    int status = -1, reason = -1;
    ASN1_GENERALIZEDTIME *revoked_at = nullptr, *this_update = nullptr, *next_update = nullptr;
    if (!basic || OCSP_basic_verify(basic.get(), others.get(), store, 0) != 1 ||
        OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked_at, &this_update, &next_update) != 1) {
      openssl_errors();
      continue;
    }
    result.source = "OCSP response in the DSS";
    result.produced_at = to_time_point(this_update);
    result.status = status == V_OCSP_CERTSTATUS_GOOD      ? RevocationStatus::kGood
                    : status == V_OCSP_CERTSTATUS_REVOKED ? RevocationStatus::kRevoked
                                                          : RevocationStatus::kUnknown;
    if (revoked_at) result.revoked_at = to_time_point(revoked_at);
    return result;
  }
  return result;
}

// The CMS in /Contents without the zero padding after it.
std::span<const unsigned char> cms_bytes(const std::string& contents) {
  std::span<const unsigned char> all(reinterpret_cast<const unsigned char*>(contents.data()), contents.size());
  const unsigned char* p = all.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(all.size())));
  openssl_errors();
  if (!cms) return all;  // the verifier reports it as malformed
  return all.first(static_cast<std::size_t>(p - all.data()));
}

void fail(PdfSignatureReport& r, const ErrorCode& code, std::string reason) {
  if (r.failure) return;
  r.failure = &code;
  r.reason = std::move(reason);
}

void check_signature(std::span<const unsigned char> pdf, const PdfMemDocument& doc, const PdfObject& sig_object,
                     const Verifier& verifier, PdfSignatureReport& r) {
  const PdfDictionary& sig = sig_object.GetDictionary();
  r.sub_filter = name_of(sig, "SubFilter");
  r.claimed_time = pdf_date(sig);
  const PdfObject* range = resolve(doc, sig.GetKey("ByteRange"));
  const PdfObject* contents = resolve(doc, sig.GetKey("Contents"));
  if (!range || !range->IsArray() || range->GetArray().size() != 4 || !contents ||
      !(contents->IsString() || contents->IsHexString()))
    return fail(r, errors::kMalformed, "the signature dictionary has no /ByteRange of 4 numbers or no /Contents");
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& v = range->GetArray()[i];
    if (!v.IsNumber() || v.GetNumber() < 0)
      return fail(r, errors::kMalformed, "/ByteRange holds something other than non-negative numbers");
    r.byte_range[i] = static_cast<std::uint64_t>(v.GetNumber());
  }
  const auto& br = r.byte_range;
  const std::uint64_t size = pdf.size();
  // Integrity of the byte range: it starts at 0, its gap is exactly this /Contents hex string, and it ends
  // where a revision ends (%%EOF).
  if (br[0] != 0 || br[1] >= size || br[2] < br[1] + 2 || br[2] > size || br[3] > size - br[2])
    return fail(r, errors::kReferenceScope, "the /ByteRange does not lie within the file or does not start at 0");
  r.revision_end = br[2] + br[3];
  r.covers_whole_file = r.revision_end == size;
  std::string gap(reinterpret_cast<const char*>(pdf.data() + br[1]), br[2] - br[1]);
  std::string hex = gap.size() >= 2 ? gap.substr(1, gap.size() - 2) : "";
  bool hex_only =
      gap.front() == '<' && gap.back() == '>' && hex.size() % 2 == 0 &&
      std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  if (!hex_only || from_hex(hex) != std::vector<unsigned char>(
                                        contents->GetString().GetString(),
                                        contents->GetString().GetString() + contents->GetString().GetLength()))
    return fail(r, errors::kReferenceScope,
                "the bytes the /ByteRange leaves out are not exactly this signature's /Contents: something else is "
                "not covered");
  std::string_view tail(reinterpret_cast<const char*>(pdf.data()), r.revision_end);
  auto eof = tail.rfind("%%EOF");
  if (eof == std::string_view::npos || tail.find_first_not_of("\r\n \t", eof + 5) != std::string_view::npos)
    return fail(r, errors::kReferenceScope,
                "the signed byte range does not end at the end of a revision (%%EOF): part of the revision is "
                "not covered");

  std::string raw(contents->GetString().GetString(), contents->GetString().GetLength());
  std::vector<unsigned char> content(pdf.begin(), pdf.begin() + static_cast<std::ptrdiff_t>(br[1]));
  content.insert(content.end(), pdf.begin() + static_cast<std::ptrdiff_t>(br[2]),
                 pdf.begin() + static_cast<std::ptrdiff_t>(br[2] + br[3]));
  auto cms = cms_bytes(raw);
  r.cms = verifier.verify(cms, std::span<const unsigned char>(content));

  // The time-stamp and the DSS need the parsed CMS again (the report keeps only descriptions).
  const unsigned char* p = cms.data();
  CmsPtr parsed(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms.size())));
  CMS_SignerInfo* si = nullptr;
  if (parsed) {
    auto* infos = CMS_get0_SignerInfos(parsed.get());
    if (infos && sk_CMS_SignerInfo_num(infos) == 1) si = sk_CMS_SignerInfo_value(infos, 0);
  }
  openssl_errors();
  X509_STORE* store = verifier.trust().x509_store();
  if (si) check_timestamp(si, store, r);
  if (si && r.cms.signer) {
    X509* signer = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, &signer, nullptr, nullptr);
    STACK_OF(X509)* certs = CMS_get1_certs(parsed.get());
    std::vector<X509Ptr> chain;
    for (int i = 0; certs && i < sk_X509_num(certs); ++i) chain.push_back(share(sk_X509_value(certs, i)));
    sk_X509_pop_free(certs, X509_free);
    if (!signer)
      for (const auto& c : chain)
        if (CMS_SignerInfo_cert_cmp(si, c.get()) == 0) signer = c.get();
    if (signer) r.dss_revocation = dss_revocation(doc, signer, chain, store);
  }
  // Revocation: the verifier's policy (online OCSP, CRL files); when that could not tell, the DSS's answer.
  if (!r.cms.valid && r.cms.failure == &errors::kRevocationUnknown &&
      r.dss_revocation.status == RevocationStatus::kGood) {
    r.cms.valid = true;
    r.cms.failure = nullptr;
    r.cms.reason.clear();
    r.cms.revocation = r.dss_revocation;
    r.cms.checks.push_back("revocation: good, from the OCSP response in the DSS");
  }
  if (r.sub_filter == "ETSI.CAdES.detached")
    r.level = r.dss_revocation.status == RevocationStatus::kGood && r.timestamp ? "PAdES-B-LT"
              : r.timestamp                                                     ? "PAdES-B-T"
                                                                                : "PAdES-B-B";
  else
    r.level = "PDF CMS (" + r.sub_filter + ")";
  if (!r.cms.valid) return fail(r, *r.cms.failure, r.cms.reason);
  if (r.timestamp_status != "none" && r.timestamp_status != "valid")
    return fail(r, errors::kSigningTime, "signature time-stamp: " + r.timestamp_status);
}

}  // namespace

PdfVerificationReport verify_pdf(std::span<const unsigned char> pdf, const Verifier& verifier) {
  PdfVerificationReport report;
  report.file_bytes = pdf.size();
  PdfMemDocument doc;
  try {
    pades_detail::load_pdf(doc, pdf, false);
  } catch (const SigningError& e) {
    report.failure = &e.code();
    report.reason = e.what();
    return report;
  }
  try {
    report.has_dss = doc.GetCatalog()->GetDictionary().HasKey("DSS");
    // Signature fields (FT Sig) with a value, in the order of their byte ranges (the order of signing).
    std::vector<std::pair<std::string, const PdfObject*>> found;
    std::set<PdfReference> seen;
    for (const PdfObject* o : doc.GetObjects()) {
      if (!o->IsDictionary() || found.size() >= kMaxSignatures) continue;
      const auto& d = o->GetDictionary();
      const PdfObject* parent = resolve(doc, d.GetKey("Parent"));
      bool sig_field = name_of(d, "FT") == "Sig" || (parent && parent->IsDictionary() &&
                                                     name_of(parent->GetDictionary(), "FT") == "Sig" && !d.HasKey("T"));
      if (!sig_field || !d.HasKey("V")) continue;
      const PdfObject* value = resolve(doc, d.GetKey("V"));
      if (!value || !value->IsDictionary() || seen.count(value->Reference())) continue;
      seen.insert(value->Reference());
      const PdfObject* title = d.GetKey("T");
      found.emplace_back(title && (title->IsString() || title->IsHexString()) ? title->GetString().GetStringUtf8() : "",
                         value);
    }
    for (const auto& [name, value] : found) {
      PdfSignatureReport r;
      r.field = name;
      check_signature(pdf, doc, *value, verifier, r);
      report.signatures.push_back(std::move(r));
    }
  } catch (const PdfError& e) {
    report.failure = &errors::kPdfDamaged;
    report.reason = "reading the signatures: " + pades_detail::to_string(e);
    return report;
  }
  std::sort(report.signatures.begin(), report.signatures.end(),
            [](const auto& a, const auto& b) { return a.revision_end < b.revision_end; });
  // What changed after each signature whose revision is not the whole file.
  for (auto& r : report.signatures) {
    if (r.covers_whole_file || r.revision_end == 0) continue;
    PdfMemDocument before;
    try {
      pades_detail::load_pdf(before, pdf.first(r.revision_end), false);
      compare_revisions(before, doc, r);
    } catch (const std::exception& e) {
      r.disallowed_changes.push_back(std::string("the signed revision cannot be read on its own: ") + e.what());
    } catch (const PdfError& e) {
      r.disallowed_changes.push_back("the signed revision cannot be read on its own: " + pades_detail::to_string(e));
    }
    if (!r.disallowed_changes.empty())
      fail(r, errors::kModified,
           "the document was changed after this signature: " + r.disallowed_changes.front() +
               (r.disallowed_changes.size() > 1 ? " (and more)" : ""));
  }
  report.valid = !report.signatures.empty();
  for (auto& r : report.signatures) {
    r.valid = r.failure == nullptr;
    report.valid = report.valid && r.valid;
  }
  if (report.signatures.empty()) {
    report.failure = &errors::kNoSignature;
    report.reason = "the PDF has no signed signature field";
  } else if (!report.valid) {
    for (const auto& r : report.signatures)
      if (!r.valid) {
        report.failure = r.failure;
        report.reason = "signature '" + r.field + "': " + r.reason;
        break;
      }
  }
  return report;
}

namespace {
nlohmann::json revocation_json(const RevocationResult& r) {
  nlohmann::json out{{"status", to_string(r.status)}, {"source", r.source}};
  if (r.produced_at) out["produced_at"] = format_time(*r.produced_at);
  if (r.revoked_at) out["revoked_at"] = format_time(*r.revoked_at);
  if (!r.detail.empty()) out["detail"] = r.detail;
  return out;
}
}  // namespace

nlohmann::json to_json(const PdfVerificationReport& report) {
  nlohmann::json out;
  out["valid"] = report.valid;
  out["format"] = "pades";
  out["file_bytes"] = report.file_bytes;
  out["dss"] = report.has_dss;
  if (report.failure) {
    out["code"] = report.failure->code;
    out["title_en"] = report.failure->title_en;
    out["title_vi"] = report.failure->title_vi;
    out["reason"] = report.reason;
  }
  out["signatures"] = nlohmann::json::array();
  for (const auto& r : report.signatures) {
    nlohmann::json s = to_json(r.cms);
    s["valid"] = r.valid;
    s["format"] = "pades";
    s["field"] = r.field;
    s["sub_filter"] = r.sub_filter;
    s["level"] = r.level;
    s["byte_range"] = r.byte_range;
    s["covers_whole_file"] = r.covers_whole_file;
    s["revision_bytes"] = r.revision_end;
    if (r.claimed_time) s["claimed_signing_time"] = format_time(*r.claimed_time);
    s["timestamp"] = {{"status", r.timestamp_status}};
    if (r.timestamp) s["timestamp"]["time"] = format_time(*r.timestamp);
    s["dss_revocation"] = revocation_json(r.dss_revocation);
    s["changes_after"] = {{"allowed", r.allowed_changes}, {"disallowed", r.disallowed_changes}};
    s["modified"] = !r.disallowed_changes.empty();
    if (r.failure) {
      s["code"] = r.failure->code;
      s["title_en"] = r.failure->title_en;
      s["title_vi"] = r.failure->title_vi;
      s["reason"] = r.reason;
    }
    out["signatures"].push_back(std::move(s));
  }
  return out;
}

}  // namespace lgsp::signing
