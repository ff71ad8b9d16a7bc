#include "lgsp/signing/verifier.hpp"

namespace lgsp::signing {
namespace {

nlohmann::json certificate_json(const CertificateInfo& c) {
  return {{"subject", c.subject},
          {"issuer", c.issuer},
          {"serial", c.serial},
          {"not_before", format_time(c.not_before)},
          {"not_after", format_time(c.not_after)},
          {"sha256_fingerprint", c.sha256_fingerprint}};
}

nlohmann::json coverage_json(const VerificationReport& report) {
  const Coverage& c = report.covers;
  nlohmann::json out = nlohmann::json::object();
  if (report.format == "xmldsig") {
    out["references"] = nlohmann::json::array();
    for (const auto& r : c.references)
      out["references"].push_back({{"uri", r.uri},
                                   {"transforms", r.transforms},
                                   {"digest_method", r.digest_method},
                                   {"element", r.element},
                                   {"node_set", r.node_set}});
    if (!c.signature_element.empty()) out["signature_element"] = c.signature_element;
    out["not_covered"] = c.not_covered;
  } else {
    if (c.content_bytes) out["content"] = {{"bytes", *c.content_bytes}, {"sha256", c.content_sha256}};
    out["signed_attributes"] = c.signed_attributes;
  }
  return out;
}

}  // namespace

nlohmann::json to_json(const VerificationReport& report) {
  nlohmann::json out;
  out["valid"] = report.valid;
  out["format"] = report.format;
  out["algorithm"] = report.algorithm;
  if (!report.level.empty()) out["level"] = report.level;
  out["covers"] = coverage_json(report);
  if (report.failure) {
    out["code"] = report.failure->code;
    out["title_en"] = report.failure->title_en;
    out["title_vi"] = report.failure->title_vi;
    out["reason"] = report.reason;
  }
  out["signer"] = report.signer ? certificate_json(*report.signer) : nlohmann::json();
  out["chain"] = nlohmann::json::array();
  for (const auto& c : report.chain) out["chain"].push_back(certificate_json(c));
  if (!report.signing_time_source.empty()) {
    out["signing_time"] = format_time(report.signing_time);
    out["signing_time_source"] = report.signing_time_source;
  }
  out["verified_at"] = format_time(report.verified_at);
  nlohmann::json revocation{{"status", to_string(report.revocation.status)}, {"source", report.revocation.source}};
  if (report.revocation.produced_at) revocation["produced_at"] = format_time(*report.revocation.produced_at);
  if (report.revocation.revoked_at) revocation["revoked_at"] = format_time(*report.revocation.revoked_at);
  if (!report.revocation.revocation_reason.empty()) revocation["reason"] = report.revocation.revocation_reason;
  if (!report.revocation.detail.empty()) revocation["detail"] = report.revocation.detail;
  out["revocation"] = revocation;
  out["checks"] = report.checks;
  // Reasons and names come from the signature and from libraries quoting it (libxml2's messages quote the
  // document's bytes), so a string may not be UTF-8: replace such bytes with U+FFFD once here, so that every
  // later dump (`lgsp verify --json`, the office) succeeds. A report is small; the round trip costs nothing.
  return nlohmann::json::parse(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace lgsp::signing
