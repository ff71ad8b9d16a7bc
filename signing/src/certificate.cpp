#include "lgsp/signing/certificate.hpp"

#include "file_bytes.hpp"
#include "lgsp/signing/encoding.hpp"
#include "lgsp/signing/errors.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace lgsp::signing {

std::string read_config_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw SigningError(errors::kConfiguration, "cannot read " + file.string() + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string name_to_utf8(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // RFC 2253 order and escaping, but UTF-8 bytes kept as they are instead of \XX escapes.
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string serial_hex(X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  return to_hex(std::span<const unsigned char>(ASN1_STRING_get0_data(serial),
                                               static_cast<std::size_t>(ASN1_STRING_length(serial))),
                true);
}

Clock::time_point to_time_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return time_point_from_seconds(timegm(&tm));
}

Clock::time_point time_point_from_seconds(std::int64_t seconds) {
  using std::chrono::duration_cast;
  static const std::int64_t latest =
      duration_cast<std::chrono::seconds>(Clock::time_point::max().time_since_epoch()).count();
  static const std::int64_t earliest =
      duration_cast<std::chrono::seconds>(Clock::time_point::min().time_since_epoch()).count();
  if (seconds >= latest) return Clock::time_point::max();
  if (seconds <= earliest) return Clock::time_point::min();
  return Clock::time_point(duration_cast<Clock::duration>(std::chrono::seconds(seconds)));
}

std::string format_time(Clock::time_point t) {
  std::time_t seconds = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

CertificateInfo describe(X509* cert) {
  CertificateInfo info;
  info.subject = name_to_utf8(X509_get_subject_name(cert));
  info.issuer = name_to_utf8(X509_get_issuer_name(cert));
  info.serial = serial_hex(cert);
  info.not_before = to_time_point(X509_get0_notBefore(cert));
  info.not_after = to_time_point(X509_get0_notAfter(cert));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  info.sha256_fingerprint = to_hex(std::span<const unsigned char>(md, len), true);
  return info;
}

X509Ptr certificate_from_der(std::span<const unsigned char> der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size())
    throw SigningError(errors::kMalformed, with_openssl_errors("not a DER X.509 certificate"));
  return cert;
}

std::vector<unsigned char> certificate_to_der(X509* cert) {
  int len = i2d_X509(cert, nullptr);
  if (len <= 0) throw SigningError(errors::kInternal, with_openssl_errors("cannot encode a certificate"));
  std::vector<unsigned char> der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_X509(cert, &p);
  return der;
}

std::vector<X509Ptr> load_pem_certificates(const std::filesystem::path& file) {
  std::string pem = read_config_file(file);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(cert);
  // The loop ends with "no start line" at the end of the file: expected, not an error.
  ERR_clear_error();
  if (certs.empty()) throw SigningError(errors::kConfiguration, file.string() + ": no PEM certificate in the file");
  return certs;
}

bool is_self_signed(X509* cert) { return X509_self_signed(cert, 1) == 1; }

std::vector<X509Ptr> issuer_path(X509* leaf, const std::vector<X509Ptr>& candidates) {
  std::vector<X509Ptr> path;
  X509* current = leaf;
  while (!is_self_signed(current) && path.size() <= candidates.size()) {
    X509* issuer = nullptr;
    for (const auto& c : candidates) {
      if (c.get() == current || X509_check_issued(c.get(), current) != X509_V_OK) continue;
      EVP_PKEY* key = X509_get0_pubkey(c.get());
      if (key && X509_verify(current, key) == 1) {
        issuer = c.get();
        break;
      }
    }
    ERR_clear_error();
    if (!issuer || is_self_signed(issuer)) break;
    path.push_back(share(issuer));
    current = issuer;
  }
  return path;
}

}  // namespace lgsp::signing
