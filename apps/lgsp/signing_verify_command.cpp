// `lgsp verify`: load the trust configuration, verify, print the reason or the report.
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/pades.hpp"
#include "lgsp/signing/verifier.hpp"
#include "signing_cli.hpp"

#include <iostream>

namespace lgsp::cli {
namespace {

signing::TrustStore load_trust(const VerifyOptions& o) {
  signing::TrustPolicy policy;
  for (const auto& file : o.trust)
    for (auto& c : signing::load_pem_certificates(file)) policy.anchors.push_back(std::move(c));
  std::string mode = o.revocation.value_or(o.crl.empty() ? "ocsp" : "crl");
  if (mode == "crl") {
    if (o.crl.empty())
      throw signing::SigningError(signing::errors::kConfiguration, "--revocation crl needs --crl FILE");
    policy.revocation = signing::RevocationMode::kCrl;
  } else if (!o.crl.empty()) {
    throw signing::SigningError(signing::errors::kConfiguration, "--crl is used only with --revocation crl");
  } else {
    policy.revocation = mode == "none" ? signing::RevocationMode::kNone : signing::RevocationMode::kOcsp;
  }
  for (const auto& file : o.crl) policy.crls.push_back(signing::load_crl(file));
  policy.ocsp_url = o.ocsp_url;
  return signing::TrustStore(std::move(policy));
}

std::span<const unsigned char> bytes(const std::string& s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

void print_summary(const signing::VerificationReport& r) {
  const bool cades = r.level == "CAdES-BES";
  std::cout << "valid: "
            << (r.format == "xmldsig" ? "XML-DSig"
                : cades               ? "CAdES"
                                      : "CMS")
            << ' ' << r.algorithm << '\n';
  std::cout << "level: " << r.level << '\n';
  for (const auto& ref : r.covers.references)
    std::cout << "covers: " << (ref.uri.empty() ? "URI=\"\"" : ref.uri) << ": " << ref.node_set << '\n';
  if (r.covers.content_bytes)
    std::cout << "covers: the content, " << *r.covers.content_bytes << " bytes, SHA-256 " << r.covers.content_sha256
              << '\n';
  if (r.signer) {
    std::cout << "signer: " << r.signer->subject << " (serial " << r.signer->serial << ")\n";
    std::cout << "issuer: " << r.signer->issuer << '\n';
  }
  std::cout << "chain:";
  for (std::size_t i = 0; i < r.chain.size(); ++i) std::cout << (i ? " <- " : " ") << r.chain[i].subject;
  std::cout << "\nsigning time: " << signing::format_time(r.signing_time) << " (" << r.signing_time_source << ")\n";
  std::cout << "revocation: " << signing::to_string(r.revocation.status) << " (" << r.revocation.source;
  if (r.revocation.produced_at) std::cout << ", as of " << signing::format_time(*r.revocation.produced_at);
  std::cout << ")\n";
}

void print_pdf_summary(const signing::PdfVerificationReport& report) {
  std::cout << "valid: PDF, " << report.signatures.size() << " signature(s)" << (report.has_dss ? ", DSS" : "") << '\n';
  for (const auto& s : report.signatures) {
    std::cout << "signature '" << s.field << "': " << s.level << ", " << s.sub_filter << '\n';
    std::cout << "  covers: bytes 0-" << s.byte_range[1] << " and " << s.byte_range[2] << '-'
              << s.byte_range[2] + s.byte_range[3]
              << (s.covers_whole_file ? " (the whole file but /Contents)" : " (a revision; later updates follow)")
              << '\n';
    if (s.cms.signer) std::cout << "  signer: " << s.cms.signer->subject << '\n';
    if (s.timestamp) std::cout << "  time-stamp: " << signing::format_time(*s.timestamp) << '\n';
    std::cout << "  revocation: " << signing::to_string(s.cms.revocation.status) << " (" << s.cms.revocation.source
              << ")\n";
    for (const auto& c : s.allowed_changes) std::cout << "  changed after, allowed: " << c << '\n';
  }
}

int verify_pdf(const VerifyOptions& o, const signing::Verifier& verifier, const std::string& pdf) {
  auto report = signing::verify_pdf(bytes(pdf), verifier);
  if (o.json) {
    std::cout << signing::to_json(report).dump(2) << '\n';
  } else if (report.valid) {
    print_pdf_summary(report);
  } else {
    fail("verify " + o.in, report.reason + " [" + std::string(report.failure->code) + "]", kExitFailed);
  }
  return report.valid ? kExitOk : kExitFailed;
}

}  // namespace

int run_verify(const VerifyOptions& o) {
  std::optional<signing::Verifier> verifier;
  std::string signature;
  std::optional<std::string> content;
  try {
    verifier.emplace(load_trust(o), signing::VerifyOptions{o.allow_legacy_sha1, o.require == "cades"});
    signature = read_input_file(o.in);
    if (o.content) content = read_input_file(*o.content);
  } catch (const std::exception& e) {
    return fail("verify", e.what(), kExitUsage);
  }
  // A PDF carries its signatures (PAdES and other PDF signatures): every one is verified.
  if (!content && signing::looks_like_pdf(bytes(signature))) return verify_pdf(o, *verifier, signature);
  signing::VerificationReport report;
  try {
    std::optional<std::span<const unsigned char>> detached;
    if (content) detached = bytes(*content);
    report = verifier->verify(bytes(signature), detached);
  } catch (const signing::SigningError& e) {
    return fail("verify " + o.in, e.what(), &e.code() == &signing::errors::kConfiguration ? kExitUsage : kExitFailed);
  }
  if (o.json) {
    std::cout << signing::to_json(report).dump(2) << '\n';
  } else if (report.valid) {
    print_summary(report);
  } else {
    fail("verify " + o.in, report.reason + " [" + std::string(report.failure->code) + "]", kExitFailed);
  }
  return report.valid ? kExitOk : kExitFailed;
}

}  // namespace lgsp::cli
