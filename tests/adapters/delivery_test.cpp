// A real delivery from a real node to an adapter's route on the runner, checked by the node's seal; and the
// same request changed on the way, stripped of a header, or checked against another pinned certificate.
#include "lgsp/adapters/delivery.hpp"

#include "lgsp/adapters/runner.hpp"
#include "lgsp/bus/http.hpp"
#include "node_fixture.hpp"
#include "probe_adapter.hpp"

#include <thread>
#include <variant>

namespace lgsp::adapters::test {
namespace {

class DeliveryTest : public NodeTest {
 protected:
  // Sends one message through the node to the probe adapter and returns the request as the adapter got it.
  bus::HttpRequest one_delivery() {
    runner_ = std::make_unique<Runner>(write_runner_config());
    runner_->start();
    start_node();
    auto& probe = dynamic_cast<ProbeAdapter&>(*runner_->find("inbox"));
    OutgoingMessage m;
    m.service = kService;
    m.message_id = "delivery-1";
    m.conversation_id = "conv-7";
    m.body = valid_payload();
    auto sent = probe.context()->node.send(m);
    EXPECT_EQ(sent.kind, SendOutcome::Kind::accepted) << sent.describe();
    for (int i = 0; i < 400 && probe.delivered().empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    EXPECT_EQ(probe.delivered().size(), 1u) << node_log();
    auto received = probe.received();
    return received.empty() ? bus::HttpRequest{} : received.front();
  }
  void TearDown() override {
    runner_.reset();
    NodeTest::TearDown();
  }
  std::unique_ptr<Runner> runner_;
};

std::string refusal_of(const DeliveryVerifier& v, const bus::HttpRequest& r) {
  auto outcome = v.verify(r);
  auto* refusal = std::get_if<DeliveryRefusal>(&outcome);
  return refusal ? refusal->reason : "";
}

TEST_F(DeliveryTest, a_real_delivery_is_accepted_and_a_changed_one_refused) {
  auto request = one_delivery();
  ASSERT_FALSE(request.body.empty());
  auto& probe = dynamic_cast<ProbeAdapter&>(*runner_->find("inbox"));
  auto delivered = probe.delivered().at(0);
  EXPECT_EQ(delivered.message_id, "delivery-1");
  EXPECT_EQ(delivered.client, kAdapterClient);
  EXPECT_EQ(delivered.service, kService);
  EXPECT_EQ(delivered.conversation_id, "conv-7");
  EXPECT_EQ(delivered.body, valid_payload());
  EXPECT_NE(delivered.signer.find("LGSP Node"), std::string::npos) << delivered.signer;

  DeliveryVerifier verifier(pki_ / "root-ca.pem", pki_ / "lgsp-node.pem");
  EXPECT_EQ(refusal_of(verifier, request), "") << "the delivery as received verifies";

  auto tampered = request;
  tampered.body[tampered.body.size() / 2] ^= 1;
  EXPECT_EQ(refusal_of(verifier, tampered), "the body does not match LGSP-Payload-SHA256 (changed on the way)");
  // Without the digest header the seal itself catches the change.
  tampered.headers.erase("lgsp-payload-sha256");
  EXPECT_EQ(refusal_of(verifier, tampered).rfind("the seal does not verify", 0), 0u) << refusal_of(verifier, tampered);

  auto other_client = request;
  other_client.headers["lgsp-client"] = kWard + "/OTHER";
  EXPECT_EQ(refusal_of(verifier, other_client).rfind("the seal does not verify", 0), 0u);

  for (const char* header : {"lgsp-signature", "lgsp-message-id", "lgsp-accepted-at"}) {
    auto missing = request;
    missing.headers.erase(header);
    EXPECT_NE(refusal_of(verifier, missing).find("are required"), std::string::npos) << header;
  }
  auto not_json = request;
  not_json.headers["lgsp-signature"] = "{not json";
  EXPECT_EQ(refusal_of(verifier, not_json), "LGSP-Signature is not a JSON seal");
}

TEST_F(DeliveryTest, a_seal_by_a_certificate_that_is_not_pinned_is_refused) {
  auto request = one_delivery();
  ASSERT_FALSE(request.body.empty());
  // agency-seal chains to the same root, but it is not the node's certificate.
  DeliveryVerifier other(pki_ / "root-ca.pem", pki_ / "agency-seal.pem");
  auto why = refusal_of(other, request);
  EXPECT_EQ(why.rfind("the seal does not verify", 0), 0u) << why;
  // And a root that did not issue the node's certificate.
  DeliveryVerifier untrusted(pki_ / "untrusted-root.pem", pki_ / "lgsp-node.pem");
  EXPECT_EQ(refusal_of(untrusted, request).rfind("the seal does not verify", 0), 0u);
}

TEST(DeliveryVerifierConfig, without_trust_roots_nothing_is_accepted) {
  DeliveryVerifier none({}, {});
  bus::HttpRequest r;
  r.body = "{}";
  EXPECT_NE(refusal_of(none, r).find("accepts no deliveries"), std::string::npos);
}

}  // namespace
}  // namespace lgsp::adapters::test

namespace lgsp::adapters::test {
namespace {

class ReplayTest : public NodeTest {};

TEST_F(ReplayTest, a_letter_the_node_now_takes_is_removed_and_one_it_refuses_stays_with_the_nodes_reason) {
  start_node();
  auto config = write_runner_config();
  std::int64_t good = 0, bad = 0;
  {
    Runner runner(config);
    auto& letters = runner.dead_letters().for_adapter("inbox");
    good = letters.add("replay-good-1", "node down", valid_payload(), "{}");
    bad = letters.add("replay-bad-1", "node down", invalid_payload(), "{}");
  }
  // As `lgsp adapter dlq replay` does: a fresh runner, never started.
  Runner runner(config);
  auto replayed = runner.replay(good);
  EXPECT_TRUE(replayed.replayed) << replayed.reason;
  EXPECT_FALSE(runner.dead_letters().get(good));
  auto refused = runner.replay(bad);
  EXPECT_FALSE(refused.replayed);
  EXPECT_EQ(refused.reason.rfind("400 LGSP-400-CONTRACT", 0), 0u) << refused.reason;
  auto kept = runner.dead_letters().get(bad);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->attempts, 1);
  EXPECT_EQ(kept->reason, refused.reason);
}

}  // namespace
}  // namespace lgsp::adapters::test
