// Documents per second, one thread, for XML-DSig and CAdES sign and verify of a 10 KiB document with SoftHSM2
// keys in process, next to the limits: a software signature of the same kind (what `openssl speed` measures)
// and the raw token signature (one private-key operation per document, through PKCS#11).
//   sign_bench [--seconds S] [--hsm-dir DIR]
// Without --hsm-dir it builds a fresh hsm-sim in a temporary folder (hsm-sim/setup.sh) and removes it after.
#include "lgsp/signing/cades.hpp"
#include "lgsp/signing/token.hpp"
#include "lgsp/signing/verifier.hpp"
#include "lgsp/signing/xml_signature.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace fs = std::filesystem;
using namespace lgsp::signing;

namespace {

std::span<const unsigned char> bytes(const std::string& s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// An edXML-like result notice of 10 KiB with Vietnamese text.
std::string document_10k() {
  std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KetQua xmlns=\"urn:lgsp:bench\" Id=\"kq\">\n";
  for (int i = 0; doc.size() < 10 * 1024 - 200; ++i)
    doc += "  <DongKetQua So=\"" + std::to_string(i) +
           "\"><HoTen>Nguyễn Văn An</HoTen><NoiDung>Trích lục khai sinh, bản sao</NoiDung></DongKetQua>\n";
  doc.append(10 * 1024 - 10 - doc.size(), ' ');
  return doc + "</KetQua>\n";
}

// Runs `op` for `seconds` (at least 5 times) and returns operations per second.
double rate(double seconds, const std::function<void()>& op) {
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  long n = 0;
  double elapsed = 0;
  do {
    op();
    ++n;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < seconds || n < 5);
  return n / elapsed;
}

// What `openssl speed` measures: one private-key signature of a digest with a software key of the same kind,
// in this process (the CPU's limit; a token can only be slower).
double software_sign_rate(KeyKind kind, double seconds) {
  EvpPkeyPtr key(kind == KeyKind::kRsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"));
  std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>> ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  EVP_PKEY_sign_init(ctx.get());
  EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256());
  Sha256Digest digest{};
  unsigned char out[512];
  return rate(seconds, [&] {
    std::size_t len = sizeof out;
    if (EVP_PKEY_sign(ctx.get(), out, &len, digest.data(), digest.size()) != 1)
      throw std::runtime_error("EVP_PKEY_sign");
  });
}

std::string env_value(const fs::path& env_file, const std::string& name) {
  std::ifstream in(env_file);
  std::string line, prefix = "export " + name + "=";
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2;
  fs::path hsm_dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--seconds") {
      seconds = std::stod(argv[i + 1]);
    } else if (k == "--hsm-dir") {
      hsm_dir = argv[i + 1];
    } else {
      std::fprintf(stderr, "sign_bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  bool owned = hsm_dir.empty();
  if (owned) {
    hsm_dir = fs::temp_directory_path() / ("lgsp-sign-bench-" + std::to_string(::getpid()));
    std::string cmd = "'" LGSP_HSM_SIM_SOURCE_DIR "/setup.sh' '" + hsm_dir.string() + "' >/dev/null";
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "sign_bench: hsm-sim/setup.sh failed\n");
      return 1;
    }
  }
  const fs::path pki = hsm_dir / "pki";
  setenv("SOFTHSM2_CONF", env_value(hsm_dir / "env", "SOFTHSM2_CONF").c_str(), 1);
  const std::string pin = env_value(hsm_dir / "env", "LGSP_PIN");

  int status = 0;
  try {
    TokenModule module(env_value(hsm_dir / "env", "LGSP_PKCS11_MODULE"));
    TrustPolicy policy;
    policy.anchors = load_pem_certificates(pki / "root-ca.pem");
    policy.revocation = RevocationMode::kCrl;  // local and cryptographic; OCSP would time the responder
    policy.crls.push_back(load_crl(pki / "crl.pem"));
    Verifier verifier(TrustStore(std::move(policy)), {});
    const std::string doc = document_10k();

    std::printf("sign_bench: %zu-byte document, %.1f s per figure, one thread\n", doc.size(), seconds);
    std::printf("%-24s %11s %11s %11s %11s %11s %11s %9s %9s\n", "key", "openssl/s", "token/s", "xml sign/s",
                "xml vfy/s", "cades sign/s", "cades vfy/s", "xml/ossl", "xml/token");
    for (const char* token : {"official-01", "lgsp-node"}) {
      auto signer = module.open_signer(
          {token, std::nullopt}, [&](const std::string&) { return std::optional(pin); },
          load_pem_certificates(pki / "issuing-ca.pem"));
      auto digest = sha256(bytes(doc));
      double software = software_sign_rate(signer->key_kind(), seconds);
      double raw = rate(seconds, [&] { signer->sign_digest(digest); });
      XmlSigner xml_signer(*signer);
      std::string signed_xml = xml_signer.sign(doc);
      double xml_sign = rate(seconds, [&] { signed_xml = xml_signer.sign(doc); });
      double xml_verify = rate(seconds, [&] {
        if (!verifier.verify(bytes(signed_xml)).valid) throw std::runtime_error("XML signature did not verify");
      });
      auto p7s = sign_cades(bytes(doc), *signer);
      double cades_sign = rate(seconds, [&] { p7s = sign_cades(bytes(doc), *signer); });
      double cades_verify = rate(seconds, [&] {
        if (!verifier.verify(p7s, bytes(doc)).valid) throw std::runtime_error("CAdES signature did not verify");
      });
      std::string name = std::string(token) + (signer->key_kind() == KeyKind::kRsa ? " (RSA-2048)" : " (P-256)");
      std::printf("%-24s %11.0f %11.0f %11.0f %11.0f %11.0f %11.0f %8.0f%% %8.0f%%\n", name.c_str(), software, raw,
                  xml_sign, xml_verify, cades_sign, cades_verify, 100 * xml_sign / software, 100 * xml_sign / raw);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sign_bench: %s\n", e.what());
    status = 1;
  }
  if (owned) fs::remove_all(hsm_dir);
  return status;
}
