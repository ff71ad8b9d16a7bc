// What a node serves beyond health and admin: the asynchronous exchange (/v1/messages), the sync proxy
// (/v1/call), the outbound client they share, and the message-log records for batch signatures and
// proxied calls. `lgsp serve` and the tests assemble a node the same way through this class.
#pragma once

#include "lgsp/bus/node.hpp"

#include <memory>

namespace lgsp::bus {

struct ExchangeOptions;

class NodeServices {
 public:
  // Adds the routes and the batch observer: construct before node.start(). Delivery options come
  // from the node's [delivery] configuration unless given.
  NodeServices(Node& node, const ExchangeOptions& options);
  explicit NodeServices(Node& node);
  ~NodeServices();
  NodeServices(const NodeServices&) = delete;
  NodeServices& operator=(const NodeServices&) = delete;

  // After node.start(): begins delivering queued messages.
  void start();
  // Before node.stop(): stops delivering and lets deliveries on the wire record their outcome.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::bus
