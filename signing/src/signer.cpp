#include "lgsp/signing/signer.hpp"

#include "lgsp/signing/errors.hpp"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <memory>

namespace lgsp::signing {

Sha256Digest sha256(std::span<const unsigned char> data) {
  Sha256Digest digest;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1 || len != digest.size())
    throw SigningError(errors::kInternal, with_openssl_errors("SHA-256 failed"));
  return digest;
}

namespace {
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG_free>>;
}

std::vector<unsigned char> ecdsa_raw_to_der(std::span<const unsigned char> raw) {
  if (raw.empty() || raw.size() % 2 != 0)
    throw SigningError(errors::kToken, "ECDSA signature of odd length " + std::to_string(raw.size()));
  const int half = static_cast<int>(raw.size() / 2);
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), half, nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + half, half, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    throw SigningError(errors::kInternal, with_openssl_errors("cannot build an ECDSA signature"));
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  std::vector<unsigned char> der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

std::vector<unsigned char> ecdsa_der_to_raw(std::span<const unsigned char> der, std::size_t half_width) {
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) throw SigningError(errors::kMalformed, with_openssl_errors("not a DER ECDSA signature"));
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::vector<unsigned char> raw(half_width * 2);
  if (BN_bn2binpad(r, raw.data(), static_cast<int>(half_width)) < 0 ||
      BN_bn2binpad(s, raw.data() + half_width, static_cast<int>(half_width)) < 0)
    throw SigningError(errors::kMalformed, "ECDSA signature values larger than the curve");
  return raw;
}

}  // namespace lgsp::signing
