// The check of a delivery the node pushes to an adapter: the receipt is rebuilt from the LGSP-* headers and
// the body as received, and the node's seal over it must verify, chain to the roots and be by a pinned node
// certificate (chaining to the roots alone would let any certificate of the province's PKI push to us).
#include "lgsp/adapters/delivery.hpp"

#include "lgsp/adapters/adapter_config.hpp"
#include "lgsp/adapters/errors.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/http.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/trust.hpp"

#include <nlohmann/json.hpp>

namespace lgsp::adapters {

bus::HttpResponse refusal_answer(const DeliveryRefusal& refusal) {
  return bus::problem(errors::kDeliverySeal, refusal.reason);
}

struct DeliveryVerifier::Impl {
  std::unique_ptr<signing::TrustStore> trust;
  bus::PinnedCertificates pins;
};

DeliveryVerifier::DeliveryVerifier(const std::filesystem::path& trust_roots,
                                   const std::filesystem::path& node_certificates)
    : impl_(std::make_unique<Impl>()) {
  // Without both, nothing is accepted: a runner that only sends needs neither.
  if (trust_roots.empty() || node_certificates.empty()) return;
  signing::TrustPolicy policy;
  try {
    policy.anchors = signing::load_pem_certificates(trust_roots);
  } catch (const std::exception& e) {
    throw AdapterConfigError("node.trust_roots", e.what());
  }
  if (policy.anchors.empty())
    throw AdapterConfigError("node.trust_roots", trust_roots.string() + " holds no certificate");
  // A node is revoked by taking it out of node_certificates: the check here is the chain and the pin.
  policy.revocation = signing::RevocationMode::kNone;
  try {
    impl_->trust = std::make_unique<signing::TrustStore>(std::move(policy));
  } catch (const std::exception& e) {
    throw AdapterConfigError("node.trust_roots", e.what());
  }
  try {
    bus::pin_pem_certificates(node_certificates.string(), impl_->pins);
  } catch (const std::exception& e) {
    throw AdapterConfigError("node.node_certificates", e.what());
  }
  if (impl_->pins.empty())
    throw AdapterConfigError("node.node_certificates", node_certificates.string() + " holds no certificate");
}

DeliveryVerifier::~DeliveryVerifier() = default;
DeliveryVerifier::DeliveryVerifier(DeliveryVerifier&&) noexcept = default;

std::variant<Delivery, DeliveryRefusal> DeliveryVerifier::verify(const bus::HttpRequest& request) const {
  if (!impl_->trust)
    return DeliveryRefusal{
        "this runner accepts no deliveries: node.trust_roots and node.node_certificates are not set"};
  bus::Receipt receipt;
  receipt.message_id = request.header("lgsp-message-id").value_or("");
  receipt.client = request.header("lgsp-client").value_or("");
  receipt.service = request.header("lgsp-service").value_or("");
  receipt.accepted_at = request.header("lgsp-accepted-at").value_or("");
  receipt.payload_sha256 = bus::sha256_hex(request.body);
  const std::string seal_text = request.header("lgsp-signature").value_or("");
  if (receipt.message_id.empty() || receipt.client.empty() || receipt.service.empty() || receipt.accepted_at.empty() ||
      seal_text.empty())
    return DeliveryRefusal{
        "LGSP-Message-Id, LGSP-Client, LGSP-Service, LGSP-Accepted-At and LGSP-Signature are required"};
  // The node says which digest it sealed; a body changed on the way is named as such, not as a bad seal.
  if (auto claimed = request.header("lgsp-payload-sha256"); claimed && *claimed != receipt.payload_sha256)
    return DeliveryRefusal{"the body does not match LGSP-Payload-SHA256 (changed on the way)"};
  auto seal = nlohmann::json::parse(seal_text, nullptr, false);
  if (seal.is_discarded() || !seal.is_object()) return DeliveryRefusal{"LGSP-Signature is not a JSON seal"};
  bus::SealCheck check;
  try {
    check = bus::verify_seal(receipt.leaf(), seal, impl_->trust.get(), &impl_->pins);
  } catch (const std::exception& e) {
    return DeliveryRefusal{std::string("the seal cannot be checked: ") + e.what()};
  }
  if (!check.valid) return DeliveryRefusal{"the seal does not verify: " + check.reason};
  Delivery d;
  d.message_id = std::move(receipt.message_id);
  d.client = std::move(receipt.client);
  d.service = std::move(receipt.service);
  d.conversation_id = request.header("lgsp-conversation-id").value_or("");
  d.accepted_at = std::move(receipt.accepted_at);
  d.payload_sha256 = std::move(receipt.payload_sha256);
  d.content_type = request.header("content-type").value_or("");
  d.body = request.body;
  d.signer = check.signer;
  return d;
}

}  // namespace lgsp::adapters
