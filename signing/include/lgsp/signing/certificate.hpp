// X.509 certificates: loading, a readable description, and ordering a signer's CA certificates.
#pragma once

#include "lgsp/signing/openssl.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace lgsp::signing {

using Clock = std::chrono::system_clock;

// What a report shows about one certificate. Names are RFC 2253 strings with UTF-8 kept as is
// (Vietnamese names stay readable: "CN=Nguyễn Văn An,...").
struct CertificateInfo {
  std::string subject;
  std::string issuer;
  std::string serial;  // upper-case hex, no separators
  Clock::time_point not_before;
  Clock::time_point not_after;
  std::string sha256_fingerprint;  // upper-case hex of the DER encoding
};

CertificateInfo describe(X509* cert);
std::string name_to_utf8(const X509_NAME* name);
std::string serial_hex(X509* cert);
// ISO 8601 UTC, e.g. "2026-11-23T10:15:00Z".
std::string format_time(Clock::time_point t);
// A certificate, CRL, OCSP or time-stamp time as a time point. Clock counts nanoseconds in 64 bits (years 1678 to
// 2261); a time outside (RFC 5280's "no expiry" 99991231235959Z, or a forged year 1226) is held at the nearest
// end instead of overflowing, which is the same answer for every validity comparison.
Clock::time_point to_time_point(const ASN1_TIME* t);
// Seconds since the epoch as a time point, held within Clock's range as above.
Clock::time_point time_point_from_seconds(std::int64_t seconds);

X509Ptr certificate_from_der(std::span<const unsigned char> der);
std::vector<unsigned char> certificate_to_der(X509* cert);
// Every certificate in a PEM file (one or more). Throws SigningError(kConfiguration) when the file cannot be
// read or holds no certificate.
std::vector<X509Ptr> load_pem_certificates(const std::filesystem::path& file);

bool is_self_signed(X509* cert);
// The CA certificates among `candidates` that lead from `leaf` towards a root, nearest first, each one checked
// to have signed the one before it (a signature check, not a name match). Stops before a self-signed root:
// a verifier must hold the root itself. Certificates that are not on the path are left out.
std::vector<X509Ptr> issuer_path(X509* leaf, const std::vector<X509Ptr>& candidates);

}  // namespace lgsp::signing
