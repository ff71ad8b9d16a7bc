// The node certificates whose seals `lgsp log verify` and `lgsp verify-receipt` accept: the node's
// own (read from its token without logging in, or given with --node-cert) and the registered peer
// nodes' (the store's peer_node table). A certificate that merely chains to a trusted root is not one.
#pragma once

#include "lgsp/bus/config.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/bus/store.hpp"

#include <string>
#include <vector>

namespace lgsp::cli {

struct NodePins {
  bus::PinnedCertificates pins;
  std::size_t own = 0;     // from the token and --node-cert
  std::size_t peers = 0;   // from peer_node
  std::string token_note;  // why the token's certificate could not be read, when it could not
};

// The token's end-entity certificate(s) ([signing] module, token, key_id) and each PEM file.
// Throws signing::SigningError when a file cannot be read.
NodePins own_node_pins(const bus::Config* config, const std::vector<std::string>& node_cert_files);
// Adds the registered peer nodes' certificates.
void add_peer_pins(bus::Store& store, NodePins& pins);

}  // namespace lgsp::cli
