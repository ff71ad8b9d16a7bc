#include "lgsp/bus/node_services.hpp"

#include "lgsp/bus/batch_signer.hpp"
#include "lgsp/bus/call_proxy.hpp"
#include "lgsp/bus/chain_timestamp.hpp"
#include "lgsp/bus/exchange.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/receipt.hpp"

namespace lgsp::bus {
namespace {

// Appends a log record on its own (not part of a state change); a failure is logged, not fatal.
// `body` is compact JSON text (nlohmann::json::dump()).
void append_record(Node& node, std::string kind, std::string subject, std::string body) {
  Store* store = node.store();
  if (!store) return;
  try {
    store->write(
        [kind, subject, body = std::move(body)](Transaction& tx) { MessageLog::append_text(tx, kind, subject, body); },
        [kind, subject](std::exception_ptr e) {
          if (e) log::error("log.append_failed", {{"kind", kind}, {"subject", subject}});
        });
  } catch (const std::exception& e) {
    log::error("log.append_failed", {{"kind", kind}, {"subject", subject}, {"error", e.what()}});
  }
}

}  // namespace

struct NodeServices::Impl {
  Node& node;
  std::unique_ptr<OutboundClient> outbound;
  std::unique_ptr<CallProxy> proxy;
  std::unique_ptr<Exchange> exchange;
  std::unique_ptr<ChainTimestamper> timestamper;
  explicit Impl(Node& n) : node(n) {}
};

namespace {
ExchangeOptions options_from(const Config& config) {
  ExchangeOptions options;
  options.max_in_flight = config.delivery.max_in_flight;
  options.poll_interval = std::chrono::milliseconds(config.delivery.poll_interval_ms);
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
  proxy.on_sealed = [&node](const CallSeal& call, const std::string& seal) {
    append_record(node, "call", call.client + " " + call.call_id, json_with_member(call.to_json(), "signature", seal));
  };
  impl_->proxy = std::make_unique<CallProxy>(std::move(proxy), *impl_->outbound);
  impl_->proxy->add_routes(node.router());

  Exchange::Dependencies exchange;
  exchange.store = [&node] { return node.store(); };
  exchange.catalogue = [&node] { return &node.catalogue(); };
  exchange.sealer = [&node] { return node.sealer(); };
  exchange.limits = config.limits;
  exchange.metrics = &node.metrics();
  impl_->exchange = std::make_unique<Exchange>(std::move(exchange), *impl_->outbound, options);
  impl_->exchange->add_routes(node.router());

  if (!config.signing.tsa_url.empty())
    impl_->timestamper =
        std::make_unique<ChainTimestamper>([&node] { return node.store(); }, *impl_->outbound, config.signing.tsa_url,
                                           std::chrono::seconds(config.signing.timestamp_every_seconds));

  node.on_signed_batch([&node](const SignedBatch& b) {
    append_record(node, "batch", b.root,
                  nlohmann::json{{"v", 1},
                                 {"alg", b.alg},
                                 {"root", b.root},
                                 {"batch_size", b.size},
                                 {"signed_at", b.signed_at},
                                 {"sig", b.signature},
                                 {"cert", b.certificate},
                                 {"chain", b.chain}}
                      .dump());
  });
}

NodeServices::~NodeServices() { stop(); }

void NodeServices::start() {
  impl_->exchange->start_delivery();
  if (impl_->timestamper) impl_->timestamper->start();
}

void NodeServices::stop() {
  if (impl_->timestamper) impl_->timestamper->stop();
  impl_->exchange->stop();
}

}  // namespace lgsp::bus
