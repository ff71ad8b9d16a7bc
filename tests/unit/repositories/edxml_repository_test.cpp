// EdxmlRepository's behaviour (organ ids, deliveries, status replies), on every backend.
#include "lgsp/bus/repositories/edxml_repository.hpp"

#include "repository_test.hpp"

namespace lgsp::bus::test {
namespace {

using EdxmlRepositoryTest = RepositoryTest;

const std::string kWard = "000.12.31.H41";
const std::string kWardSystem = "000.12.31.H41/QLVB";
const std::string kJustice = "000.00.21.H41";
const std::string kJusticeSystem = "000.00.21.H41/QLVB";
const std::string kDoc = "000.12.31.H41,2025/11/20,155/UBND-VP";

void seed(const Repositories& r, Transaction& tx) {
  r.registry.insert_member(tx, {kWard, "UBND phường Trường Vinh"});
  r.registry.insert_member(tx, {kJustice, "Sở Tư pháp"});
  r.registry.insert_subsystem(tx, kWardSystem, kWard);
  r.registry.insert_subsystem(tx, kJusticeSystem, kJustice);
}

EdxmlDelivery delivery(const std::string& message_id, const std::string& kind = "document") {
  return {0,
          kind,
          kDoc,
          kWard,
          kJustice,
          kWardSystem,
          kJusticeSystem + "/edxml-document/v1",
          message_id,
          "V/v hướng dẫn",
          "2026-12-04T10:00:00.000Z"};
}

TEST_P(EdxmlRepositoryTest, maps_an_organ_to_a_subsystem_and_moves_it) {
  write([](const Repositories& r, Transaction& tx) {
    seed(r, tx);
    const auto& e = edxml_repository(tx);
    e.put_organ(tx, {kJustice, kJusticeSystem, "Sở Tư pháp", ""});
    e.put_organ(tx, {"000.00.22.H41", kJusticeSystem, "Sở Nội vụ", ""});
    e.put_organ(tx, {"000.00.22.H41", kWardSystem, "Sở Nội vụ (chuyển)", ""});
  });
  read([](const Repositories&, Transaction& tx) {
    const auto& e = edxml_repository(tx);
    auto justice = e.find_organ(tx, kJustice);
    ASSERT_TRUE(justice);
    EXPECT_EQ(justice->subsystem, kJusticeSystem);
    EXPECT_FALSE(justice->created_at.empty());
    EXPECT_EQ(e.find_organ(tx, "000.00.22.H41")->subsystem, kWardSystem);
    EXPECT_FALSE(e.find_organ(tx, "000.00.99.H41"));
    auto all = e.organs(tx, 10);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].organ_id, kJustice);
    EXPECT_EQ(e.organs(tx, 1).size(), 1u);
  });
  write([](const Repositories&, Transaction& tx) {
    EXPECT_TRUE(edxml_repository(tx).remove_organ(tx, kJustice));
    EXPECT_FALSE(edxml_repository(tx).remove_organ(tx, kJustice));
  });
}

TEST_P(EdxmlRepositoryTest, refuses_an_organ_for_an_unknown_subsystem) {
  EXPECT_THROW(write([](const Repositories&, Transaction& tx) {
                 edxml_repository(tx).put_organ(tx, {kJustice, "000.00.21.H41/NONE", "x", ""});
               }),
               std::exception);
}

TEST_P(EdxmlRepositoryTest, records_each_delivery_once_and_lists_a_document_and_an_inbox) {
  write([](const Repositories& r, Transaction& tx) {
    seed(r, tx);
    const auto& e = edxml_repository(tx);
    EXPECT_TRUE(e.record_delivery(tx, delivery("m-1")));
    EXPECT_FALSE(e.record_delivery(tx, delivery("m-1")));  // the same message again (a repeated send)
    EXPECT_TRUE(e.record_delivery(tx, delivery("m-2", "status")));
  });
  read([](const Repositories&, Transaction& tx) {
    const auto& e = edxml_repository(tx);
    auto all = e.deliveries(tx, kDoc, 10);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].message_id, "m-1");
    EXPECT_EQ(all[0].to_organ, kJustice);
    EXPECT_EQ(all[0].subject, "V/v hướng dẫn");
    EXPECT_EQ(all[1].kind, "status");
    auto inbox = e.inbox(tx, kJustice, 10);
    ASSERT_EQ(inbox.size(), 1u);  // statuses are not in the inbox
    EXPECT_EQ(inbox[0].message_id, "m-1");
    EXPECT_TRUE(e.inbox(tx, kWard, 10).empty());
    EXPECT_EQ(e.deliveries(tx, kDoc, 1).size(), 1u);
  });
}

TEST_P(EdxmlRepositoryTest, records_status_replies_in_order_once_each) {
  write([](const Repositories& r, Transaction& tx) {
    seed(r, tx);
    const auto& e = edxml_repository(tx);
    EXPECT_TRUE(e.record_status(tx, {0, kDoc, kJustice, "01", "Đã đến", "2025/11/20 16:00:00", "s-1", ""}));
    EXPECT_TRUE(e.record_status(tx, {0, kDoc, kJustice, "03", "Đã tiếp nhận", "2025/11/20 16:03:55", "s-2", ""}));
    EXPECT_FALSE(e.record_status(tx, {0, kDoc, kJustice, "03", "Đã tiếp nhận", "2025/11/20 16:03:55", "s-2", ""}));
  });
  read([](const Repositories&, Transaction& tx) {
    auto all = edxml_repository(tx).statuses(tx, kDoc, 10);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].status_code, "01");
    EXPECT_EQ(all[1].status_code, "03");
    EXPECT_EQ(all[1].timestamp, "2025/11/20 16:03:55");
    EXPECT_FALSE(all[1].recorded_at.empty());
    EXPECT_TRUE(edxml_repository(tx).statuses(tx, "other", 10).empty());
  });
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Backends, EdxmlRepositoryTest, all_backends(), [](const auto& info) { return info.param; });

}  // namespace lgsp::bus::test
