#include "lgsp/bus/node_services.hpp"

#include "lgsp/bus/batch_signer.hpp"
#include "lgsp/bus/call_proxy.hpp"
#include "lgsp/bus/caller.hpp"
#include "lgsp/bus/chain_timestamp.hpp"
#include "lgsp/bus/edxml_gateway.hpp"
#include "lgsp/bus/exchange.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/log_head.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/metrics.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/seal_certificates.hpp"

namespace lgsp::bus {
namespace {

// Appends a log record on its own (not part of a state change); a failure is logged, not fatal.
// `body` is compact JSON text (nlohmann::json::dump()). When it names a sealing certificate by
// SHA-256, `certificate` is that certificate: it goes into seal_certificate in the same transaction
// until `stored` knows it is there, so no record names a certificate the store lacks.
void append_record(Node& node, const std::shared_ptr<SealCertificateCache>& stored, std::string kind,
                   std::string subject, std::string body, const std::string& cert_sha256 = {},
                   std::shared_ptr<const SealCertificate> certificate = {}) {
  Store* store = node.store();
  if (!store) return;
  if (certificate && stored->holds(cert_sha256, *certificate)) certificate.reset();
  try {
    store->write(
        [kind, subject, body = std::move(body), cert_sha256, certificate](Transaction& tx) {
          if (certificate) store_seal_certificate(tx, cert_sha256, *certificate);
          MessageLog::append_text(tx, kind, subject, body);
        },
        [stored, kind, subject, cert_sha256, certificate](std::exception_ptr e) {
          if (e) return log::error("log.append_failed", {{"kind", kind}, {"subject", subject}});
          if (certificate) stored->remember(cert_sha256, *certificate);
        });
  } catch (const std::exception& e) {
    log::error("log.append_failed", {{"kind", kind}, {"subject", subject}, {"error", e.what()}});
  }
}

// Who is calling, decided on the request's header before its body is read (the same authenticate_client
// the pipeline and the proxy ask later): a stranger's 10 MB body is never read, only refused. A refused
// submission is counted in lgsp_messages_total as the pipeline counts its own refusals.
HeaderCheck authenticated(Node& node, std::shared_ptr<RegistryCache> cache, bool count_as_message) {
  return [&node, cache, count_as_message](const HttpRequest& header) -> std::optional<HttpResponse> {
    Store* store = node.store();
    if (!store) return std::nullopt;  // the handler answers 503
    Registry registry(*store, nullptr, cache.get());
    std::optional<HttpResponse> refusal;
    try {
      registry.in_one_read([&] {
        auto who = authenticate_client(header, registry);
        if (auto* r = std::get_if<HttpResponse>(&who)) refusal = std::move(*r);
      });
    } catch (const StoreError& e) {
      // The key or certificate could not be looked up (the database is gone): nothing was decided, the
      // client may send again; not the listener's generic 500.
      log::error("auth.store_failed", {{"path", header.path}, {"error", e.what()}});
      return problem(errors::kNotReady, "the caller could not be authenticated: the store is unavailable");
    }
    if (refusal && count_as_message && header.method == "POST") {
      auto body = nlohmann::json::parse(refusal->body, nullptr, false);
      node.metrics().count_message("rejected", body.is_object() ? body.value("code", "") : "");
    }
    return refusal;
  };
}

}  // namespace

struct NodeServices::Impl {
  Node& node;
  // Shared with callbacks that the node may still run after NodeServices is gone (the batch observer
  // fires while Node::stop() seals what is queued; store callbacks run on the writer thread).
  std::shared_ptr<SealCertificateCache> certificates = std::make_shared<SealCertificateCache>();
  std::shared_ptr<RegistryCache> registry_cache = std::make_shared<RegistryCache>();  // proxy and pipeline
  std::unique_ptr<OutboundClient> outbound;
  std::unique_ptr<CallProxy> proxy;
  std::unique_ptr<Exchange> exchange;
  std::unique_ptr<EdxmlGateway> edxml;  // after the exchange: destroyed first (its workers hand copies to it)
  std::unique_ptr<ChainTimestamper> timestamper;
  std::unique_ptr<LogHeadSealer> head_sealer;
  explicit Impl(Node& n) : node(n) {}
};

namespace {
ExchangeOptions options_from(const Config& config) {
  ExchangeOptions options;
  options.max_in_flight = config.delivery.max_in_flight;
  options.poll_interval = std::chrono::milliseconds(config.delivery.poll_interval_ms);
  // PostgreSQL is the store several nodes share; SQLite keeps its one-node path (no claim writes).
  if (config.store.backend == StoreBackendKind::postgresql) options.claim_as = config.node_id();
  options.lease = std::chrono::seconds(config.delivery.lease_seconds);
  return options;
}
}  // namespace

NodeServices::NodeServices(Node& node) : NodeServices(node, options_from(node.config())) {}

NodeServices::NodeServices(Node& node, const ExchangeOptions& options) : impl_(std::make_unique<Impl>(node)) {
  const Config& config = node.config();
  // Outbound calls present the node's TLS certificate (mutual TLS with providers and peer nodes).
  impl_->outbound = std::make_unique<OutboundClient>(
      OutboundTls{config.tls.peer_ca, config.tls.certificate, config.tls.private_key}, 2, config.server.max_body_bytes);

  CallProxy::Dependencies proxy;
  proxy.store = [&node] { return node.store(); };
  proxy.catalogue = [&node] { return &node.catalogue(); };
  proxy.sealer = [&node] { return node.sealer(); };
  proxy.limits = config.limits;
  proxy.registry_cache = impl_->registry_cache;
  proxy.metrics = &node.metrics();
  proxy.refusals = node.refusals();
  // Call records and batch records keep the stored form of the seal (the certificate by SHA-256),
  // like accepted messages: a few hundred bytes instead of ~4 KB per record.
  proxy.on_sealed = [&node, stored = impl_->certificates](const CallSeal& call, const Seal& seal) {
    const bool by_reference = !seal.stored.empty() && seal.certificate;
    append_record(node, stored, "call", call.client + " " + call.call_id,
                  json_with_member(call.to_json(), "signature", by_reference ? seal.stored : seal.text),
                  seal.cert_sha256, by_reference ? seal.certificate : nullptr);
  };
  impl_->proxy = std::make_unique<CallProxy>(std::move(proxy), *impl_->outbound);
  impl_->proxy->add_routes(node.router());

  Exchange::Dependencies exchange;
  exchange.store = [&node] { return node.store(); };
  exchange.catalogue = [&node] { return &node.catalogue(); };
  exchange.sealer = [&node] { return node.sealer(); };
  exchange.limits = config.limits;
  exchange.metrics = &node.metrics();
  exchange.registry_cache = impl_->registry_cache;
  exchange.seal_certificates = impl_->certificates;
  exchange.refusals = node.refusals();
  impl_->exchange = std::make_unique<Exchange>(std::move(exchange), *impl_->outbound, options);
  impl_->exchange->add_routes(node.router());

  EdxmlGateway::Dependencies edxml;
  edxml.store = [&node] { return node.store(); };
  edxml.catalogue = [&node] { return &node.catalogue(); };
  edxml.limits = config.limits;
  edxml.submit = [exchange = impl_->exchange.get()](HttpRequest r, Reply reply) {
    exchange->submit(std::move(r), std::move(reply));
  };
  edxml.refusals = node.refusals();
  impl_->edxml = std::make_unique<EdxmlGateway>(
      std::move(edxml), EdxmlGatewayOptions{config.edxml.trust, config.edxml.revocation == "ocsp", 2});
  impl_->edxml->add_routes(node.router());

  node.router().check_headers("/v1/messages", authenticated(node, impl_->registry_cache, true));
  node.router().check_headers("/v1/edxml/messages", authenticated(node, impl_->registry_cache, true));
  node.router().check_headers("/v1/edxml/documents", authenticated(node, impl_->registry_cache, false));
  for (const char* pattern : {"/v1/messages/{id}", "/v1/call/*"})
    node.router().check_headers(pattern, authenticated(node, impl_->registry_cache, false));

  if (!config.signing.tsa_url.empty())
    impl_->timestamper =
        std::make_unique<ChainTimestamper>([&node] { return node.store(); }, *impl_->outbound, config.signing.tsa_url,
                                           std::chrono::seconds(config.signing.timestamp_every_seconds));

  if (config.signing.enabled)
    impl_->head_sealer =
        std::make_unique<LogHeadSealer>([&node] { return node.store(); }, [&node] { return node.sealer(); },
                                        std::chrono::seconds(config.signing.head_seal_every_seconds));

  node.on_signed_batch([&node, stored = impl_->certificates](const SignedBatch& b) {
    nlohmann::json body{{"v", 1},
                        {"alg", b.alg},
                        {"root", b.root},
                        {"batch_size", b.size},
                        {"signed_at", b.signed_at},
                        {"sig", b.signature}};
    if (b.seal_certificate) {
      body["cert_sha256"] = b.cert_sha256;
    } else {
      body["cert"] = b.certificate;
      body["chain"] = b.chain;
    }
    append_record(node, stored, "batch", b.root, body.dump(), b.cert_sha256, b.seal_certificate);
  });
}

NodeServices::~NodeServices() { stop(); }

void NodeServices::start() {
  impl_->exchange->start_delivery();
  if (impl_->timestamper) impl_->timestamper->start();
  if (impl_->head_sealer) impl_->head_sealer->start();
}

void NodeServices::stop() {
  if (impl_->timestamper) impl_->timestamper->stop();
  impl_->exchange->stop();
  // After the last delivery outcome is recorded, while the sealer and the store are still open.
  if (impl_->head_sealer) impl_->head_sealer->stop();
}

}  // namespace lgsp::bus
