// A real `lgsp serve` child on hsm-sim's lgsp-node token for the adapters' integration tests, with a ward, the
// adapter's own subsystem (API key, granted one service), and that service's endpoint on an adapter runner.
#pragma once

#include "process.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lgsp::adapters::test {

inline const std::string kWard = "000.00.13.H29";
inline const std::string kAdapterClient = kWard + "/ADAPTER";
inline const std::string kProvider = kWard + "/HOTICH";
inline const std::string kService = kProvider + "/hoso/v1";        // granted to the adapter
inline const std::string kUngranted = kProvider + "/trichluc/v1";  // not granted

// A valid and an invalid onestop.dossier-submission@v1 payload from the contract's examples.
std::string valid_payload();
std::string invalid_payload();

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Starts the node (the registry is written before it starts) and waits for `ready_path` to answer 200.
  void start_node(const std::string& ready_path = "/readyz");
  // Before start_node(): the node speaks only HTTPS (tls-node-a) and takes client certificates of the test PKI.
  void use_tls();
  std::string node_url() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(node_port_);
  }
  // The adapter runner's address, where the registry sends kService's deliveries (/adapters/inbox/in).
  unsigned short runner_port() const { return runner_port_; }
  // An adapters.toml for a runner on runner_port() with one probe adapter "inbox" as kAdapterClient.
  std::filesystem::path write_runner_config(const std::string& node_certificates = "lgsp-node.pem");
  std::string node_log() const;

  std::filesystem::path hsm_, pki_, dir_;
  std::vector<std::string> env_;
  unsigned short node_port_ = 0, runner_port_ = 0;
  std::string api_key_;
  std::unique_ptr<lgsp::test::Process> node_;
  bool tls_ = false;
  std::string token_ = "lgsp-node";  // the node's signing token
};

}  // namespace lgsp::adapters::test
