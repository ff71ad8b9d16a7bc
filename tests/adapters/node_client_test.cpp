// NodeClient against a real node: each answer of POST /v1/messages sorted into what an adapter does next.
#include "lgsp/adapters/node_client.hpp"

#include "http_client.hpp"
#include "lgsp/adapters/runner.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/receipt.hpp"
#include "node_fixture.hpp"
#include "probe_adapter.hpp"

#include <nlohmann/json.hpp>

#include <fstream>

namespace lgsp::adapters::test {
namespace {

class NodeClientTest : public NodeTest {
 protected:
  NodeClient client(const std::string& key) {
    NodeIdentity id;
    id.node_url = node_url();
    id.client = kAdapterClient;
    id.api_key = key;
    id.timeout = std::chrono::milliseconds(5000);
    return NodeClient(id);
  }
  static OutgoingMessage message(const std::string& id, const std::string& body = valid_payload(),
                                 const std::string& service = kService) {
    OutgoingMessage m;
    m.service = service;
    m.message_id = id;
    m.body = body;
    return m;
  }
};

TEST_F(NodeClientTest, sorts_the_nodes_answers) {
  start_node();
  auto node = client(api_key_);

  // 202: durable on the node, with its sealed receipt.
  auto accepted = node.send(message("adapter-msg-1"));
  EXPECT_EQ(accepted.kind, SendOutcome::Kind::accepted) << accepted.describe();
  EXPECT_EQ(accepted.status, 202u);
  EXPECT_TRUE(accepted.acknowledged());
  auto receipt = bus::Receipt::from_json(nlohmann::json::parse(accepted.body));
  EXPECT_EQ(receipt.payload_sha256, bus::sha256_hex(valid_payload()));
  EXPECT_EQ(receipt.client, kAdapterClient);

  // 200: the same id with the same payload again is done, not sent twice.
  auto repeated = node.send(message("adapter-msg-1"));
  EXPECT_EQ(repeated.kind, SendOutcome::Kind::repeated) << repeated.describe();
  EXPECT_EQ(repeated.status, 200u);
  EXPECT_TRUE(repeated.acknowledged());

  // 400: the contract refuses the payload, with the node's code and detail.
  auto contract = node.send(message("adapter-msg-2", invalid_payload()));
  EXPECT_EQ(contract.kind, SendOutcome::Kind::refused);
  EXPECT_EQ(contract.status, 400u);
  EXPECT_EQ(contract.code, "LGSP-400-CONTRACT");
  EXPECT_FALSE(contract.detail.empty());
  EXPECT_EQ(contract.describe().rfind("400 LGSP-400-CONTRACT: ", 0), 0u) << contract.describe();

  // 403: a service the adapter is not granted.
  auto acl = node.send(message("adapter-msg-3", valid_payload(), kUngranted));
  EXPECT_EQ(acl.kind, SendOutcome::Kind::refused);
  EXPECT_EQ(acl.status, 403u);
  EXPECT_EQ(acl.code, "LGSP-403-ACL");

  // 401: a key the node does not know.
  auto unknown = client("not-a-key").send(message("adapter-msg-4"));
  EXPECT_EQ(unknown.kind, SendOutcome::Kind::refused);
  EXPECT_EQ(unknown.status, 401u);
}

TEST_F(NodeClientTest, a_header_with_a_line_break_is_never_sent) {
  start_node();
  auto outcome = client(api_key_).send(message("id\r\nX-Evil: 1"));
  EXPECT_EQ(outcome.kind, SendOutcome::Kind::refused);
  EXPECT_EQ(outcome.status, 0u);
}

TEST_F(NodeClientTest, a_node_that_is_down_is_unavailable) {
  // No node started on node_port_.
  auto outcome = client(api_key_).send(message("adapter-msg-5"));
  EXPECT_EQ(outcome.kind, SendOutcome::Kind::unavailable);
  EXPECT_EQ(outcome.status, 0u);
  EXPECT_FALSE(outcome.detail.empty());
  EXPECT_FALSE(outcome.acknowledged());
}

TEST_F(NodeClientTest, a_node_that_cannot_seal_is_unavailable_with_its_code) {
  token_ = "no-such-token";
  start_node("/healthz");  // alive, never ready
  auto outcome = client(api_key_).send(message("adapter-msg-6"));
  EXPECT_EQ(outcome.kind, SendOutcome::Kind::unavailable) << outcome.describe();
  EXPECT_EQ(outcome.status, 503u);
  EXPECT_EQ(outcome.code, "LGSP-503-SIGNING");
  EXPECT_FALSE(outcome.acknowledged());
}

TEST_F(NodeClientTest, call_reaches_v1_call_and_reports_the_nodes_refusal) {
  start_node();
  CallRequest call;
  call.service = kUngranted;
  call.body = valid_payload();
  auto outcome = client(api_key_).call(call);
  ASSERT_TRUE(outcome.answered) << outcome.error;
  EXPECT_EQ(outcome.status, 403u);
  EXPECT_EQ(outcome.code, "LGSP-403-ACL");
  CallRequest bad;
  bad.service = kService;
  bad.path = "no-slash";
  auto refused = client(api_key_).call(bad);
  EXPECT_FALSE(refused.answered);
}

}  // namespace
}  // namespace lgsp::adapters::test

namespace lgsp::adapters::test {
namespace {

class NodeClientTlsTest : public NodeTest {};

TEST_F(NodeClientTlsTest, sends_over_mutual_tls_with_a_client_certificate_instead_of_a_key) {
  use_tls();
  start_node();
  // The client presents its certificate with the issuing CA, so the node needs only the root.
  std::ofstream(dir_ / "client-chain.pem")
      << lgsp::test::read_file(pki_ / "tls-client.pem") << lgsp::test::read_file(pki_ / "issuing-ca.pem");
  NodeIdentity id;
  id.node_url = node_url();
  id.client = kAdapterClient;
  id.ca = pki_ / "root-ca.pem";
  id.certificate = dir_ / "client-chain.pem";
  id.private_key = pki_ / "tls-client.key";
  OutgoingMessage m;
  m.service = kService;
  m.message_id = "tls-msg-1";
  m.body = valid_payload();
  auto outcome = NodeClient(id).send(m);
  EXPECT_EQ(outcome.kind, SendOutcome::Kind::accepted) << outcome.describe() << "\n" << node_log();

  // A node whose certificate does not chain to the configured CA is not talked to.
  id.ca = pki_ / "untrusted-root.pem";
  auto untrusted = NodeClient(id).send(m);
  EXPECT_EQ(untrusted.kind, SendOutcome::Kind::unavailable);
  EXPECT_EQ(untrusted.status, 0u);
}

}  // namespace
}  // namespace lgsp::adapters::test

namespace lgsp::adapters::test {
namespace {

TEST_F(NodeClientTlsTest, a_runner_on_https_with_an_adapter_identified_by_its_certificate) {
  use_tls();
  start_node();
  std::ofstream(dir_ / "client-chain.pem")
      << lgsp::test::read_file(pki_ / "tls-client.pem") << lgsp::test::read_file(pki_ / "issuing-ca.pem");
  std::ofstream(dir_ / "runner-chain.pem")
      << lgsp::test::read_file(pki_ / "tls-node-b.pem") << lgsp::test::read_file(pki_ / "issuing-ca.pem");
  std::ofstream(dir_ / "adapters.toml")
      << "[runner]\nlisten = \"127.0.0.1:" << runner_port_
      << "\"\nstate_dir = \"state\"\n[runner.tls]\ncertificate = \"runner-chain.pem\"\n"
      << "private_key = \"" << (pki_ / "tls-node-b.key").string() << "\"\n"
      << "[node]\nurl = \"" << node_url() << "\"\nca = \"" << (pki_ / "root-ca.pem").string() << "\"\n"
      << "[[adapter]]\nname = \"inbox\"\nkind = \"probe\"\nclient = \"" << kAdapterClient
      << "\"\ncertificate = \"client-chain.pem\"\nprivate_key = \"" << (pki_ / "tls-client.key").string() << "\"\n";
  Runner runner(dir_ / "adapters.toml");
  runner.start();
  auto health = lgsp::test::run({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                                 (pki_ / "root-ca.pem").string(),
                                 "https://127.0.0.1:" + std::to_string(runner_port_) + "/healthz"});
  EXPECT_EQ(health.out, "200");
  auto& probe = dynamic_cast<ProbeAdapter&>(*runner.find("inbox"));
  EXPECT_EQ(probe.context()->public_base_url, "https://127.0.0.1:" + std::to_string(runner_port_));
  EXPECT_TRUE(probe.context()->node.identity().api_key.empty());
  OutgoingMessage m;
  m.service = kService;
  m.message_id = "tls-msg-2";
  m.body = valid_payload();
  auto outcome = probe.context()->node.send(m);
  EXPECT_EQ(outcome.kind, SendOutcome::Kind::accepted) << outcome.describe();
  runner.stop();
}

}  // namespace
}  // namespace lgsp::adapters::test
