// A `lgsp serve` config for a node with hsm-sim's TLS PKI (mutual TLS, seals carrying the issuing CA), for
// tests that run several nodes talking to each other.
#pragma once

#include "process.hpp"

#include <filesystem>
#include <fstream>
#include <string>

namespace lgsp::test {

// Writes DIR/NAME.toml (and DIR/NAME-chain.pem) for a node listening on 127.0.0.1:PORT with the TLS
// certificate `cert` of hsm-sim's PKI (tls-node-a, tls-node-b), data in DIR/NAME-data; returns the file.
inline std::filesystem::path write_tls_node_config(const std::filesystem::path& dir, const std::filesystem::path& pki,
                                                   const std::string& name, const std::string& cert,
                                                   unsigned short port) {
  std::ofstream(dir / (name + "-chain.pem")) << read_file(pki / (cert + ".pem")) << read_file(pki / "issuing-ca.pem");
  auto file = dir / (name + ".toml");
  std::ofstream(file) << "[server]\nlisten = \"127.0.0.1:" << port << "\"\n"
                      << "[tls]\ncertificate = \"" << name << "-chain.pem\"\nprivate_key = \""
                      << (pki / (cert + ".key")).string() << "\"\nclient_ca = \"" << (pki / "root-ca.pem").string()
                      << "\"\npeer_ca = \"" << (pki / "root-ca.pem").string() << "\"\n"
                      << "[signing]\nca_chain = \"" << (pki / "issuing-ca.pem").string() << "\"\n"
                      << "[store]\ndata_dir = \"" << name << "-data\"\n";
  return file;
}

}  // namespace lgsp::test
