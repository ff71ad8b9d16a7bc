// MessageRepository's behaviour, on every backend.
#include "repository_test.hpp"

#include <mutex>
#include <set>
#include <thread>

namespace lgsp::bus::test {
namespace {

using MessageRepositoryTest = RepositoryTest;

NewMessage message(const std::string& id, const std::string& client = "000.00.13.H29/MOTCUA",
                   std::optional<std::string> conversation = std::nullopt, std::int64_t due_ms = 1000,
                   const std::string& service = "000.00.21.H29/HOTICH/trichluc.yeucau/v1") {
  return {id,    client, service, std::move(conversation), "application/json", "sha-" + id, "2026-12-04T08:00:00.000Z",
          due_ms};
}

Blob bytes(const std::string& s) { return Blob{std::vector<std::uint8_t>(s.begin(), s.end())}; }

// Accepts a message with a body; its seq.
std::int64_t accept(const Repositories& r, Transaction& tx, const NewMessage& m) {
  auto seq = r.messages.accept(tx, m);
  EXPECT_TRUE(seq.has_value()) << m.id;
  r.messages.store_body(tx, *seq, bytes("payload of " + m.id), R"({"seal":")" + m.id + "\"}");
  return *seq;
}

std::vector<std::string> ids(const std::vector<DueMessage>& due) {
  std::vector<std::string> out;
  for (const auto& d : due) out.push_back(d.id);
  return out;
}

void set_state(const Repositories& r, Transaction& tx, std::int64_t seq, const std::string& state,
               std::int64_t attempts = 1, std::int64_t next_ms = 1000) {
  r.messages.set_delivery_state(tx, {seq, state, attempts, next_ms, std::nullopt, std::nullopt});
}

TEST_P(MessageRepositoryTest, accept_gives_a_seq_and_nothing_for_an_id_the_client_used_already) {
  write([](const Repositories& r, Transaction& tx) {
    auto first = r.messages.accept(tx, message("m1"));
    ASSERT_TRUE(first);
    EXPECT_FALSE(r.messages.accept(tx, message("m1"))) << "the same client and id";
    auto other_client = r.messages.accept(tx, message("m1", "000.00.31.H29/BHXH"));
    ASSERT_TRUE(other_client) << "another client may use the same id";
    EXPECT_GT(*other_client, *first) << "seq is the acceptance order";
  });
}

TEST_P(MessageRepositoryTest, finds_an_accepted_message_by_client_and_id) {
  write([](const Repositories& r, Transaction& tx) { accept(r, tx, message("m1")); });
  read([](const Repositories& r, Transaction& tx) {
    auto found = r.messages.find_accepted(tx, "000.00.13.H29/MOTCUA", "m1");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->payload_sha256, "sha-m1");
    EXPECT_EQ(found->service, "000.00.21.H29/HOTICH/trichluc.yeucau/v1");
    EXPECT_EQ(found->accepted_at, "2026-12-04T08:00:00.000Z");
    EXPECT_EQ(found->seal, R"({"seal":"m1"})");
    EXPECT_FALSE(r.messages.find_accepted(tx, "000.00.31.H29/BHXH", "m1")) << "another client's id";
    EXPECT_FALSE(r.messages.find_accepted(tx, "000.00.13.H29/MOTCUA", "m2"));
  });
}

TEST_P(MessageRepositoryTest, records_attempts_and_the_state_they_lead_to) {
  std::int64_t seq = 0;
  write([&](const Repositories& r, Transaction& tx) {
    seq = accept(r, tx, message("m1", "000.00.13.H29/MOTCUA", "c1"));
    r.messages.record_attempt(tx, {seq, 1, "2026-12-04T08:00:01.000Z", 503, "the endpoint answered HTTP 503"});
    r.messages.set_delivery_state(tx, {seq, "delivering", 1, 5000, "the endpoint answered HTTP 503", std::nullopt});
  });
  read([&](const Repositories& r, Transaction& tx) {
    auto status = r.messages.find_status(tx, "000.00.13.H29/MOTCUA", "m1");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->seq, seq);
    EXPECT_EQ(status->state, "delivering");
    EXPECT_EQ(status->last_error, "the endpoint answered HTTP 503");
    EXPECT_EQ(status->conversation, "c1");
    EXPECT_EQ(status->payload_sha256, "sha-m1");
    EXPECT_EQ(status->seal, R"({"seal":"m1"})");
  });
  write([&](const Repositories& r, Transaction& tx) {
    r.messages.record_attempt(tx, {seq, 2, "2026-12-04T08:00:06.000Z", std::nullopt, "connection refused"});
    r.messages.record_attempt(tx, {seq, 3, "2026-12-04T08:00:16.000Z", 200, std::nullopt});
    r.messages.set_delivery_state(tx, {seq, "delivered", 3, 7000, std::nullopt, std::nullopt});
    // In a savepoint: on PostgreSQL a failed statement ends its unit unless it ran in one.
    auto error = tx.try_in_savepoint([&] { r.messages.record_attempt(tx, {seq, 3, "again", 200, std::nullopt}); });
    EXPECT_TRUE(error) << "one row per attempt";
    if (error) {
      EXPECT_THROW(std::rethrow_exception(error), StoreError);
    }
  });
  read([&](const Repositories& r, Transaction& tx) {
    auto status = r.messages.find_status(tx, "000.00.13.H29/MOTCUA", "m1");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->state, "delivered");
    EXPECT_FALSE(status->last_error);
    const std::vector<DeliveryAttempt> expected = {
        {seq, 1, "2026-12-04T08:00:01.000Z", 503, "the endpoint answered HTTP 503"},
        {seq, 2, "2026-12-04T08:00:06.000Z", std::nullopt, "connection refused"},
        {seq, 3, "2026-12-04T08:00:16.000Z", 200, std::nullopt}};
    EXPECT_EQ(r.messages.attempts(tx, seq), expected);
    EXPECT_FALSE(r.messages.find_status(tx, "000.00.13.H29/MOTCUA", "m9"));
  });
}

TEST_P(MessageRepositoryTest, due_messages_come_by_due_time_then_acceptance_and_wait_for_their_due_time) {
  write([](const Repositories& r, Transaction& tx) {
    accept(r, tx, message("late", "000.00.13.H29/MOTCUA", std::nullopt, 3000));
    accept(r, tx, message("first", "000.00.13.H29/MOTCUA", std::nullopt, 1000));
    accept(r, tx, message("second", "000.00.13.H29/MOTCUA", std::nullopt, 1000));
    accept(r, tx, message("future", "000.00.13.H29/MOTCUA", std::nullopt, 9000));
  });
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_EQ(ids(r.messages.due(tx, 5000, 10)), (std::vector<std::string>{"first", "second", "late"}));
    EXPECT_EQ(ids(r.messages.due(tx, 5000, 2)), (std::vector<std::string>{"first", "second"})) << "the limit";
    EXPECT_TRUE(r.messages.due(tx, 999, 10).empty());
  });
}

TEST_P(MessageRepositoryTest, a_due_message_carries_what_its_delivery_needs) {
  write([](const Repositories& r, Transaction& tx) { accept(r, tx, message("m1", "000.00.13.H29/MOTCUA", "c1")); });
  read([](const Repositories& r, Transaction& tx) {
    auto due = r.messages.due(tx, 5000, 10);
    ASSERT_EQ(due.size(), 1u);
    const auto& d = due[0];
    EXPECT_EQ(d.id, "m1");
    EXPECT_EQ(d.client, "000.00.13.H29/MOTCUA");
    EXPECT_EQ(d.service, "000.00.21.H29/HOTICH/trichluc.yeucau/v1");
    EXPECT_EQ(d.conversation, "c1");
    EXPECT_EQ(d.content_type, "application/json");
    EXPECT_EQ(d.payload, bytes("payload of m1"));
    EXPECT_EQ(d.accepted_at, "2026-12-04T08:00:00.000Z");
    EXPECT_EQ(d.seal, R"({"seal":"m1"})");
    EXPECT_EQ(d.attempts, 0);
    EXPECT_EQ(d.payload_sha256, "sha-m1");
    EXPECT_EQ(d.replayed_after, 0);
  });
}

TEST_P(MessageRepositoryTest, a_conversation_is_delivered_in_order_and_a_dead_message_holds_it_back) {
  std::int64_t a = 0, b = 0;
  write([&](const Repositories& r, Transaction& tx) {
    a = accept(r, tx, message("a", "000.00.13.H29/MOTCUA", "c1", 2000));
    b = accept(r, tx, message("b", "000.00.13.H29/MOTCUA", "c1", 1000));  // due earlier, accepted later
    accept(r, tx, message("other-conversation", "000.00.13.H29/MOTCUA", "c2", 1000));
    accept(r, tx, message("same-name-other-client", "000.00.31.H29/BHXH", "c1", 1000));
  });
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_EQ(ids(r.messages.due(tx, 5000, 10)),
              (std::vector<std::string>{"other-conversation", "same-name-other-client", "a"}))
        << "b waits for a, which was accepted first";
  });
  write([&](const Repositories& r, Transaction& tx) { set_state(r, tx, a, "dead", 8); });
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_EQ(ids(r.messages.due(tx, 5000, 10)),
              (std::vector<std::string>{"other-conversation", "same-name-other-client"}))
        << "a dead message still holds back its conversation";
  });
  write([&](const Repositories& r, Transaction& tx) { set_state(r, tx, a, "delivered"); });
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_EQ(ids(r.messages.due(tx, 5000, 10)),
              (std::vector<std::string>{"b", "other-conversation", "same-name-other-client"}));
  });
  (void)b;
}

TEST_P(MessageRepositoryTest, delivered_and_dead_messages_are_not_due) {
  write([](const Repositories& r, Transaction& tx) {
    set_state(r, tx, accept(r, tx, message("delivered")), "delivered");
    set_state(r, tx, accept(r, tx, message("dead")), "dead");
    set_state(r, tx, accept(r, tx, message("retrying")), "delivering", 2, 1500);
  });
  read([](const Repositories& r, Transaction& tx) {
    auto due = r.messages.due(tx, 5000, 10);
    EXPECT_EQ(ids(due), (std::vector<std::string>{"retrying"}));
    EXPECT_EQ(due.at(0).attempts, 2);
  });
}

TEST_P(MessageRepositoryTest, a_dropped_payload_is_gone_and_the_rest_stays) {
  std::int64_t seq = 0;
  write([&](const Repositories& r, Transaction& tx) {
    seq = accept(r, tx, message("m1"));
    r.messages.drop_payload(tx, seq);
  });
  read([&](const Repositories& r, Transaction& tx) {
    auto due = r.messages.due(tx, 5000, 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_FALSE(due[0].payload);
    EXPECT_EQ(due[0].seal, R"({"seal":"m1"})");
    auto page = r.messages.page(tx, 0, 10);
    ASSERT_EQ(page.size(), 1u);
    EXPECT_TRUE(page[0].has_body);
    EXPECT_FALSE(page[0].payload);
    EXPECT_FALSE(page[0].payload_not_a_blob);
  });
}

TEST_P(MessageRepositoryTest, queues_count_undelivered_messages_per_service_with_the_oldest) {
  write([](const Repositories& r, Transaction& tx) {
    auto m = message("a", "000.00.13.H29/MOTCUA", std::nullopt, 1000, "000.00.13.H29/MOTCUA/x/v1");
    m.accepted_at = "2026-12-04T07:00:00.000Z";
    accept(r, tx, m);
    accept(r, tx, message("b", "000.00.13.H29/MOTCUA", std::nullopt, 1000, "000.00.13.H29/MOTCUA/x/v1"));
    set_state(r, tx,
              accept(r, tx, message("c", "000.00.13.H29/MOTCUA", std::nullopt, 1000, "000.00.13.H29/MOTCUA/y/v1")),
              "delivering");
    set_state(r, tx,
              accept(r, tx, message("d", "000.00.13.H29/MOTCUA", std::nullopt, 1000, "000.00.13.H29/MOTCUA/z/v1")),
              "delivered");
  });
  read([](const Repositories& r, Transaction& tx) {
    auto queues = r.messages.queues(tx);
    std::sort(queues.begin(), queues.end(), [](auto& x, auto& y) { return x.service < y.service; });
    ASSERT_EQ(queues.size(), 2u) << "a service with nothing waiting has no queue";
    EXPECT_EQ(queues[0].service, "000.00.13.H29/MOTCUA/x/v1");
    EXPECT_EQ(queues[0].depth, 2);
    EXPECT_EQ(queues[0].oldest_accepted_at, "2026-12-04T07:00:00.000Z");
    EXPECT_EQ(queues[1].depth, 1);
    EXPECT_EQ(r.messages.count_undelivered(tx, "000.00.13.H29/MOTCUA/x/v1"), 2);
    EXPECT_EQ(r.messages.count_undelivered(tx, "000.00.13.H29/MOTCUA/y/v1"), 1);
    EXPECT_EQ(r.messages.count_undelivered(tx, "000.00.13.H29/MOTCUA/z/v1"), 0);
  });
}

TEST_P(MessageRepositoryTest, dead_letters_are_listed_found_and_put_back_in_line) {
  std::int64_t a = 0, b = 0;
  write([&](const Repositories& r, Transaction& tx) {
    a = accept(r, tx, message("a"));
    b = accept(r, tx, message("b", "000.00.31.H29/BHXH"));
    auto c = accept(r, tx, message("a", "000.00.31.H29/BHXH"));
    accept(r, tx, message("alive"));
    r.messages.set_delivery_state(tx, {a, "dead", 8, 1000, "connection refused", std::nullopt});
    set_state(r, tx, b, "dead", 8);
    set_state(r, tx, c, "dead", 3);
  });
  read([&](const Repositories& r, Transaction& tx) {
    auto dead = r.messages.dead(tx);
    ASSERT_EQ(dead.size(), 3u);
    EXPECT_EQ(dead[0].seq, a);
    EXPECT_EQ(dead[0].id, "a");
    EXPECT_EQ(dead[0].client, "000.00.13.H29/MOTCUA");
    EXPECT_EQ(dead[0].attempts, 8);
    EXPECT_EQ(dead[0].last_error, "connection refused");
    EXPECT_FALSE(dead[1].last_error);
    EXPECT_EQ(r.messages.find_dead(tx, std::nullopt, std::nullopt).size(), 3u);
    EXPECT_EQ(r.messages.find_dead(tx, "a", std::nullopt).size(), 2u) << "two clients used id a";
    EXPECT_EQ(r.messages.find_dead(tx, std::nullopt, "000.00.31.H29/BHXH").size(), 2u);
    auto one = r.messages.find_dead(tx, "a", "000.00.31.H29/BHXH");
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].attempts, 3);
    EXPECT_TRUE(r.messages.find_dead(tx, "alive", std::nullopt).empty());
  });
  write([&](const Repositories& r, Transaction& tx) { r.messages.requeue(tx, a, 4000, 8); });
  read([&](const Repositories& r, Transaction& tx) {
    EXPECT_EQ(r.messages.dead(tx).size(), 2u);
    auto due = r.messages.due(tx, 4000, 10);
    ASSERT_EQ(ids(due), (std::vector<std::string>{"alive", "a"})) << "a is due from the replay on";
    EXPECT_EQ(due[1].replayed_after, 8) << "the retry policy counts from the replay";
    EXPECT_EQ(due[1].attempts, 8);
    EXPECT_EQ(r.messages.find_status(tx, "000.00.13.H29/MOTCUA", "a")->state, "accepted");
  });
}

TEST_P(MessageRepositoryTest, pages_through_stored_messages_with_their_bodies) {
  write([](const Repositories& r, Transaction& tx) {
    for (int i = 0; i < 5; ++i) accept(r, tx, message("m" + std::to_string(i)));
    r.messages.accept(tx, message("no-body"));
  });
  read([](const Repositories& r, Transaction& tx) {
    auto first = r.messages.page(tx, 0, 4);
    ASSERT_EQ(first.size(), 4u);
    EXPECT_EQ(first[0].id, "m0");
    EXPECT_EQ(first[0].payload, bytes("payload of m0"));
    EXPECT_EQ(first[0].seal, R"({"seal":"m0"})");
    EXPECT_EQ(first[0].state, "accepted");
    EXPECT_EQ(first[0].payload_sha256, "sha-m0");
    auto rest = r.messages.page(tx, first.back().seq, 4);
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest[0].id, "m4");
    EXPECT_EQ(rest[1].id, "no-body");
    EXPECT_FALSE(rest[1].has_body);
    EXPECT_FALSE(rest[1].payload);
    EXPECT_TRUE(r.messages.page(tx, rest.back().seq, 4).empty());
  });
}

// Delivery claims (several nodes on one database): the same repository on both backends; the node uses them on
// PostgreSQL only (SQLite is one node).
TEST_P(MessageRepositoryTest, a_claimed_message_is_due_for_no_other_node_until_the_lease_runs_out) {
  write([](const Repositories& r, Transaction& tx) {
    accept(r, tx, message("m1"));
    accept(r, tx, message("m2"));
  });
  write([](const Repositories& r, Transaction& tx) {
    EXPECT_EQ(ids(r.messages.claim_due(tx, 5000, 10, "node-a", 1000)), (std::vector<std::string>{"m1", "m2"}));
    EXPECT_TRUE(r.messages.claim_due(tx, 5000, 10, "node-b", 1000).empty()) << "node-a holds them";
    EXPECT_TRUE(r.messages.claim_due(tx, 5999, 10, "node-b", 1000).empty()) << "the lease still holds";
    const auto taken = r.messages.claim_due(tx, 6000, 1, "node-b", 1000);
    EXPECT_EQ(ids(taken), (std::vector<std::string>{"m1"})) << "a lease run out is taken over (the limit holds)";
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_EQ(taken[0].payload, bytes("payload of m1")) << "a claimed message carries what its delivery needs";
  });
}

TEST_P(MessageRepositoryTest, a_later_message_of_a_conversation_waits_while_an_earlier_one_is_claimed) {
  std::int64_t a = 0;
  write([&](const Repositories& r, Transaction& tx) {
    a = accept(r, tx, message("a", "000.00.13.H29/MOTCUA", "c1"));
    accept(r, tx, message("b", "000.00.13.H29/MOTCUA", "c1"));
    accept(r, tx, message("other", "000.00.13.H29/MOTCUA", "c2"));
  });
  write([&](const Repositories& r, Transaction& tx) {
    EXPECT_EQ(ids(r.messages.claim_due(tx, 5000, 10, "node-a", 60000)), (std::vector<std::string>{"a", "other"}));
    EXPECT_TRUE(r.messages.claim_due(tx, 5000, 10, "node-b", 60000).empty()) << "b waits for a, held by node-a";
    EXPECT_TRUE(r.messages.set_delivery_state(tx, {a, "delivered", 1, 5000, std::nullopt, "node-a"}));
    EXPECT_EQ(ids(r.messages.claim_due(tx, 5000, 10, "node-b", 60000)), (std::vector<std::string>{"b"}))
        << "a delivered: b is next, for any node";
  });
}

TEST_P(MessageRepositoryTest, an_outcome_under_a_claim_taken_over_records_nothing) {
  std::int64_t seq = 0;
  write([&](const Repositories& r, Transaction& tx) { seq = accept(r, tx, message("m1")); });
  write([&](const Repositories& r, Transaction& tx) {
    ASSERT_EQ(r.messages.claim_due(tx, 5000, 10, "node-a", 1000).size(), 1u);
    ASSERT_EQ(r.messages.claim_due(tx, 7000, 10, "node-b", 1000).size(), 1u) << "node-a's lease ran out";
    EXPECT_FALSE(r.messages.set_delivery_state(tx, {seq, "dead", 9, 7000, "late", "node-a"}))
        << "node-a lost the claim";
    EXPECT_TRUE(r.messages.set_delivery_state(tx, {seq, "delivering", 1, 9000, "HTTP 503", "node-b"}));
    EXPECT_EQ(ids(r.messages.claim_due(tx, 9000, 10, "node-c", 1000)), (std::vector<std::string>{"m1"}))
        << "recording the outcome ended node-b's claim: the retry is anyone's";
  });
  read([](const Repositories& r, Transaction& tx) {
    auto status = r.messages.find_status(tx, "000.00.13.H29/MOTCUA", "m1");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->state, "delivering") << "node-a's late outcome did not count";
  });
}

TEST_P(MessageRepositoryTest, released_claims_are_due_again_at_once) {
  std::int64_t done = 0;
  write([&](const Repositories& r, Transaction& tx) {
    accept(r, tx, message("m1"));
    accept(r, tx, message("m2"));
    done = accept(r, tx, message("m3"));
  });
  write([&](const Repositories& r, Transaction& tx) {
    ASSERT_EQ(r.messages.claim_due(tx, 5000, 10, "node-a", 60000).size(), 3u);
    EXPECT_TRUE(r.messages.set_delivery_state(tx, {done, "delivered", 1, 5000, std::nullopt, "node-a"}));
    EXPECT_EQ(r.messages.release_claims(tx, "node-b"), 0) << "only the node's own";
    EXPECT_EQ(r.messages.release_claims(tx, "node-a"), 2) << "the ones still to be delivered";
    EXPECT_EQ(ids(r.messages.claim_due(tx, 5000, 10, "node-b", 60000)), (std::vector<std::string>{"m1", "m2"}));
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, MessageRepositoryTest, all_backends(), [](const auto& info) { return info.param; });

// Two stores on one PostgreSQL database, as two nodes: four deliverers claiming at once each claim every message
// once, and no message twice.
TEST(MessageClaimsOnPostgresql, concurrent_claimers_of_two_stores_claim_each_message_exactly_once) {
  PgStoreOptions options;
  options.conninfo = fresh_pg_database();
  options.pool_size = 1;
  options.group_commit_max_delay = std::chrono::milliseconds(0);
  PgStore a(options, node_pg_migrations());
  PgStore b(options, node_pg_migrations());
  a.write([](Transaction& tx) {
     for (int i = 0; i < 30; ++i) accept(repositories(tx), tx, message("m" + std::to_string(i)));
   }).get();
  std::mutex mutex;
  std::multiset<std::string> claimed;
  std::vector<std::thread> claimers;
  for (int t = 0; t < 4; ++t)
    claimers.emplace_back([&, t] {
      Store& store = t % 2 ? static_cast<Store&>(a) : static_cast<Store&>(b);
      const std::string node = "node-" + std::to_string(t);
      for (;;) {
        std::vector<DueMessage> got;
        store.write([&](Transaction& tx) { got = repositories(tx).messages.claim_due(tx, 5000, 3, node, 60000); })
            .get();
        if (got.empty()) return;
        std::lock_guard lock(mutex);
        for (auto& d : got) claimed.insert(d.id);
      }
    });
  for (auto& t : claimers) t.join();
  EXPECT_EQ(claimed.size(), 30u);
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), 30u) << "no message claimed twice";
}

}  // namespace
}  // namespace lgsp::bus::test
