// Writes the seeds that must be made with a key: signed XML (xmldsig_verify), CAdES signatures
// (cades_verify) and sealed receipts and call records (seal_verify), with the fuzz PKI of tests/fuzz/data
// (tests/fuzz/tools/make_pki.sh makes it; its keys are not committed). The signatures are made by the
// project's own XmlSigner, sign_cades and BatchSigner, so the seeds are what the verifiers meet in use.
//   fuzz_make_seeds PKI_DIR CORPUS_DIR
#include "lgsp/bus/batch_signer.hpp"
#include "lgsp/bus/call_proxy.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/signing/cades.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/openssl.hpp"
#include "lgsp/signing/signer.hpp"
#include "lgsp/signing/xml_signature.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using namespace lgsp;

// A Signer over a PEM private key: the seeds need signatures, not a token.
class PemSigner : public signing::Signer {
 public:
  PemSigner(const fs::path& key, const fs::path& cert, const fs::path& chain) {
    FILE* f = std::fopen(key.c_str(), "r");
    if (!f) throw std::runtime_error("cannot read " + key.string());
    key_.reset(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    if (!key_) throw std::runtime_error("not a PEM key: " + key.string());
    auto certs = signing::load_pem_certificates(cert);
    certificate_ = std::move(certs.front());
    chain_ = signing::load_pem_certificates(chain);
  }
  signing::KeyKind key_kind() const override {
    return EVP_PKEY_get_base_id(key_.get()) == EVP_PKEY_EC ? signing::KeyKind::kEcdsa : signing::KeyKind::kRsa;
  }
  X509* certificate() const override { return certificate_.get(); }
  const std::vector<signing::X509Ptr>& chain() const override { return chain_; }
  std::string description() const override { return "fuzz PKI key"; }
  std::vector<unsigned char> sign_digest(const signing::Sha256Digest& digest) override {
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(key_.get(), nullptr),
                                                                    &EVP_PKEY_CTX_free);
    std::size_t size = 0;
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1 ||
        EVP_PKEY_sign(ctx.get(), nullptr, &size, digest.data(), digest.size()) != 1)
      throw std::runtime_error("cannot sign");
    std::vector<unsigned char> out(size);
    if (EVP_PKEY_sign(ctx.get(), out.data(), &size, digest.data(), digest.size()) != 1)
      throw std::runtime_error("cannot sign");
    out.resize(size);
    if (key_kind() == signing::KeyKind::kEcdsa) return signing::ecdsa_der_to_raw(out, 32);
    return out;
  }

 private:
  signing::EvpPkeyPtr key_;
  signing::X509Ptr certificate_;
  std::vector<signing::X509Ptr> chain_;
};

void write(const fs::path& file, std::string_view bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + file.string());
  std::cout << file.string() << "\n";
}

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string cades_input(std::string_view content, const std::vector<unsigned char>& signature) {
  std::string out;
  out += static_cast<char>((content.size() >> 8) & 0xFF);
  out += static_cast<char>(content.size() & 0xFF);
  out += content;
  out.append(reinterpret_cast<const char*>(signature.data()), signature.size());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fuzz_make_seeds PKI_DIR CORPUS_DIR\n";
    return 2;
  }
  const fs::path pki = argv[1];
  const fs::path corpus = argv[2];
  PemSigner official(pki / "official-key.pem", pki / "official.pem", pki / "issuing-ca.pem");
  PemSigner node(pki / "node-key.pem", pki / "node.pem", pki / "issuing-ca.pem");

  // XML-DSig: a small document, one with an id on the root and non-ASCII text, an edXML package.
  const std::string small = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<doc><a x=\"1\">text</a><b/></doc>\n";
  const std::string vietnamese =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<HoSo xmlns=\"urn:example:hoso\" Id=\"hs1\">"
      "<MaHoSo>000.00.13.H29-261204-0001</MaHoSo><TenThuTuc>Cấp bản sao trích lục hộ tịch</TenThuTuc></HoSo>\n";
  write(corpus / "xmldsig_verify" / "rsa-small.xml", signing::sign_xml(small, official));
  write(corpus / "xmldsig_verify" / "ecdsa-small.xml", signing::sign_xml(small, node));
  write(corpus / "xmldsig_verify" / "rsa-vietnamese.xml", signing::sign_xml(vietnamese, official));
  const auto edxml = read(fs::path(LGSP_FUZZ_SOURCE_DIR) / "../../contracts/edxml/v1/examples" /
                          "valid-3-revoke-reply-no-attachment.xml");
  write(corpus / "xmldsig_verify" / "rsa-edxml.xml", signing::sign_xml(edxml, official));

  // CAdES: detached signatures over short contents, by an RSA and an ECDSA key.
  const auto span = [](std::string_view s) {
    return std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  const std::string pdfish = "%PDF-1.4\n% a form\n";
  write(corpus / "cades_verify" / "rsa-text.bin", cades_input(small, signing::sign_cades(span(small), official)));
  write(corpus / "cades_verify" / "ecdsa-pdf.bin", cades_input(pdfish, signing::sign_cades(span(pdfish), node)));
  write(corpus / "cades_verify" / "rsa-empty.bin", cades_input("", signing::sign_cades(span(""), official)));

  // Seals: a batch of three receipts and a proxied call record sealed together, by the node's ECDSA key
  // (ES256), and one receipt sealed alone by an RSA key (RS256).
  for (const std::string who : {"node", "official"}) {
    bus::BatchSigner sealer([&pki, who]() -> std::unique_ptr<signing::Signer> {
      return std::make_unique<PemSigner>(pki / (who + "-key.pem"), pki / (who + ".pem"), pki / "issuing-ca.pem");
    });
    std::vector<nlohmann::json> records;
    const int receipts = who == "node" ? 3 : 1;
    for (int i = 0; i < receipts; ++i) {
      bus::Receipt r;
      r.message_id = "msg-" + std::to_string(i + 1);
      r.service = "000.00.13.H29/MOTCUA/dossier-status/v1";
      r.client = "000.00.14.H29/MOTCUA";
      r.accepted_at = "2026-12-04T06:40:00.12" + std::to_string(i) + "Z";
      r.payload_sha256 = bus::sha256_hex("{\"n\":" + std::to_string(i) + "}");
      records.push_back(r.to_json());
    }
    if (who == "node") {
      bus::CallSeal call{"call-1",
                         "000.00.14.H29/MOTCUA",
                         "000.00.13.H29/HOTICH/trichluc/v1",
                         "2026-12-04T06:40:01.000Z",
                         bus::sha256_hex("request"),
                         bus::sha256_hex("response"),
                         200};
      records.push_back(call.to_json());
    }
    std::vector<std::future<nlohmann::json>> seals;
    for (const auto& record : records) {
      const auto leaf =
          record.contains("call_id") ? bus::CallSeal::from_json(record).leaf() : bus::Receipt::from_json(record).leaf();
      seals.push_back(sealer.seal(leaf));
    }
    for (std::size_t i = 0; i < records.size(); ++i) {
      auto record = records[i];
      record["signature"] = seals[i].get();
      const std::string name = (record.contains("call_id") ? "call-" : "receipt-") + who + "-" + std::to_string(i);
      write(corpus / "seal_verify" / (name + ".json"), record.dump());
    }
  }
  return 0;
}
