#include "node_pins.hpp"

#include "lgsp/bus/repositories.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/token.hpp"

namespace lgsp::cli {

NodePins own_node_pins(const bus::Config* config, const std::vector<std::string>& node_cert_files) {
  NodePins out;
  for (const auto& f : node_cert_files) bus::pin_pem_certificates(f, out.pins);
  if (config && config->signing.enabled) {
    const auto& sc = config->signing;
    if (sc.module.empty()) {
      out.token_note = "no PKCS#11 module configured (signing.module or $LGSP_PKCS11_MODULE)";
    } else {
      try {
        signing::TokenModule module(sc.module);
        bool found = false;
        for (const auto& t : module.tokens()) {
          if (t.label != sc.token) continue;
          found = true;
          for (const auto& c : t.certificates)
            if (sc.key_id.empty() || c.key_id == sc.key_id)
              if (auto sha = bus::certificate_sha256(c.certificate.get()); !sha.empty()) out.pins.insert(sha);
        }
        if (!found) out.token_note = "token '" + sc.token + "' is not present";
      } catch (const std::exception& e) {
        out.token_note = std::string("the token could not be read: ") + e.what();
      }
    }
  } else if (config) {
    out.token_note = "signing is disabled in the configuration";
  }
  out.own = out.pins.size();
  return out;
}

void add_peer_pins(bus::Store& store, NodePins& pins) {
  store.read([&](bus::Transaction& tx) {
    for (const auto& node : bus::repositories(tx).registry.peer_nodes(tx))
      if (auto sha = bus::pem_certificate_sha256(node.pem); !sha.empty() && pins.pins.insert(sha).second) ++pins.peers;
  });
}

}  // namespace lgsp::cli
