// RegistryRepository's and AdminRepository's behaviour, on every backend.
#include "repository_test.hpp"

namespace lgsp::bus::test {
namespace {

using RegistryRepositoryTest = RepositoryTest;
using AdminRepositoryTest = RepositoryTest;

const std::string kWard = "000.00.13.H29";
const std::string kOffice = "000.00.13.H29/MOTCUA";
const std::string kPolice = "000.00.21.H29";
const std::string kRecords = "000.00.21.H29/HOTICH";
const std::string kService = "000.00.21.H29/HOTICH/trichluc.yeucau/v1";

Service service(const std::string& id = kService) {
  Service s;
  s.id = id;
  s.request_contract = "trichluc.yeucau@v1";
  s.endpoint = "http://127.0.0.1:9000/hotich";
  s.timeout_ms = 5000;
  s.retry = {3, 100, 1000};
  s.keep_payload = false;
  return s;
}

// Two members, a subsystem each, one service.
void seed(const Repositories& r, Transaction& tx) {
  r.registry.insert_member(tx, {kWard, "UBND phường Bến Thành"});
  r.registry.insert_member(tx, {kPolice, "Công an phường Bến Thành"});
  r.registry.insert_subsystem(tx, kOffice, kWard);
  r.registry.insert_subsystem(tx, kRecords, kPolice);
  r.registry.insert_service(tx, service(), kRecords);
}

bool same(const Service& a, const Service& b) {
  return a.id == b.id && a.request_contract == b.request_contract && a.response_contract == b.response_contract &&
         a.endpoint == b.endpoint && a.timeout_ms == b.timeout_ms && a.retry.max_attempts == b.retry.max_attempts &&
         a.retry.initial_backoff_ms == b.retry.initial_backoff_ms && a.retry.max_backoff_ms == b.retry.max_backoff_ms &&
         a.keep_payload == b.keep_payload;
}

TEST_P(RegistryRepositoryTest, members_and_subsystems_are_stored_and_listed_in_order) {
  write(seed);
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_TRUE(r.registry.member_exists(tx, kWard));
    EXPECT_FALSE(r.registry.member_exists(tx, "000.00.99.H29"));
    auto members = r.registry.members(tx);
    ASSERT_EQ(members.size(), 2u);
    EXPECT_EQ(members[0].code, kWard);
    EXPECT_EQ(members[0].name, "UBND phường Bến Thành");
    EXPECT_TRUE(r.registry.subsystem_exists(tx, kOffice));
    EXPECT_FALSE(r.registry.subsystem_exists(tx, kWard + "/DVCQG"));
    auto subsystems = r.registry.subsystems(tx);
    ASSERT_EQ(subsystems.size(), 2u);
    EXPECT_EQ(subsystems[0].id, kOffice);
    EXPECT_EQ(subsystems[1].id, kRecords);
  });
  EXPECT_THROW(write([](const Repositories& r, Transaction& tx) {
                 r.registry.insert_member(tx, {kWard, "again"});
               }),
               StoreError);
  EXPECT_THROW(write([](const Repositories& r, Transaction& tx) {
                 r.registry.insert_subsystem(tx, "000.00.99.H29/X", "000.00.99.H29");
               }),
               StoreError)
      << "a subsystem's member must exist";
}

TEST_P(RegistryRepositoryTest, a_service_keeps_every_field_and_is_updated_and_removed) {
  write(seed);
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_TRUE(r.registry.service_exists(tx, kService));
    auto found = r.registry.find_service(tx, kService);
    ASSERT_TRUE(found);
    EXPECT_TRUE(same(*found, service()));
    EXPECT_TRUE(found->response_contract.empty()) << "none is stored as none";
    EXPECT_FALSE(r.registry.find_service(tx, kService + "x"));
  });
  auto changed = service();
  changed.response_contract = "trichluc.ketqua@v1";
  changed.endpoint = "https://hotich.example/v2";
  changed.keep_payload = true;
  changed.retry = {9, 200, 2000};
  write([&](const Repositories& r, Transaction& tx) {
    EXPECT_TRUE(r.registry.update_service(tx, changed));
    EXPECT_FALSE(r.registry.update_service(tx, service(kRecords + "/nothing/v1")));
    r.registry.insert_service(tx, service(kRecords + "/another/v1"), kRecords);
  });
  read([&](const Repositories& r, Transaction& tx) {
    auto all = r.registry.services(tx);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].id, kRecords + "/another/v1") << "by id";
    EXPECT_TRUE(same(all[1], changed));
  });
  write([](const Repositories& r, Transaction& tx) { r.registry.delete_service(tx, kRecords + "/another/v1"); });
  read([](const Repositories& r, Transaction& tx) { EXPECT_EQ(r.registry.services(tx).size(), 1u); });
}

TEST_P(RegistryRepositoryTest, grants_are_kept_once_and_removed_one_by_one_or_per_service) {
  write([](const Repositories& r, Transaction& tx) {
    seed(r, tx);
    r.registry.insert_subsystem(tx, kWard + "/DVCQG", kWard);
    r.registry.insert_grant(tx, {kOffice, kService});
    r.registry.insert_grant(tx, {kOffice, kService});  // again: left as it is
    r.registry.insert_grant(tx, {kWard + "/DVCQG", kService});
  });
  read([](const Repositories& r, Transaction& tx) {
    auto grants = r.registry.grants(tx);
    ASSERT_EQ(grants.size(), 2u);
    EXPECT_EQ(grants[0].client, kWard + "/DVCQG");
    EXPECT_TRUE(r.registry.grant_exists(tx, {kOffice, kService}));
    EXPECT_FALSE(r.registry.grant_exists(tx, {kRecords, kService}));
  });
  write([](const Repositories& r, Transaction& tx) {
    EXPECT_TRUE(r.registry.delete_grant(tx, {kOffice, kService}));
    EXPECT_FALSE(r.registry.delete_grant(tx, {kOffice, kService}));
    EXPECT_EQ(r.registry.delete_grants_to(tx, kService), 1u);
    EXPECT_EQ(r.registry.delete_grants_to(tx, kService), 0u);
  });
  read([](const Repositories& r, Transaction& tx) { EXPECT_TRUE(r.registry.grants(tx).empty()); });
}

TEST_P(RegistryRepositoryTest, an_api_key_is_found_until_revoked) {
  write([](const Repositories& r, Transaction& tx) {
    seed(r, tx);
    r.registry.insert_api_key(tx, {"a1b2c3d4e5f6", kOffice, "hash-1"});
  });
  read([](const Repositories& r, Transaction& tx) {
    auto key = r.registry.find_active_api_key(tx, "a1b2c3d4e5f6");
    ASSERT_TRUE(key);
    EXPECT_EQ(key->subsystem, kOffice);
    EXPECT_EQ(key->hash, "hash-1");
    auto listed = r.registry.api_keys(tx);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].id, "a1b2c3d4e5f6");
    EXPECT_FALSE(listed[0].revoked);
    EXPECT_FALSE(listed[0].created_at.empty());
  });
  write([](const Repositories& r, Transaction& tx) {
    EXPECT_TRUE(r.registry.revoke_api_key(tx, "a1b2c3d4e5f6"));
    EXPECT_FALSE(r.registry.revoke_api_key(tx, "a1b2c3d4e5f6")) << "revoked already";
    EXPECT_FALSE(r.registry.revoke_api_key(tx, "000000000000"));
  });
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_FALSE(r.registry.find_active_api_key(tx, "a1b2c3d4e5f6"));
    EXPECT_TRUE(r.registry.api_keys(tx).at(0).revoked);
  });
}

TEST_P(RegistryRepositoryTest, a_fingerprint_binds_one_subsystem_or_one_peer_node) {
  write([](const Repositories& r, Transaction& tx) {
    seed(r, tx);
    r.registry.insert_client_certificate(tx, {"fp-office", kOffice}, "PEM-office");
    r.registry.insert_peer_node(tx, {"hanoi", "fp-hanoi", "PEM-hanoi"});
  });
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_TRUE(r.registry.certificate_bound(tx, "fp-office"));
    EXPECT_TRUE(r.registry.certificate_bound(tx, "fp-hanoi"));
    EXPECT_FALSE(r.registry.certificate_bound(tx, "fp-other"));
    EXPECT_EQ(r.registry.subsystem_for_certificate(tx, "fp-office"), kOffice);
    EXPECT_FALSE(r.registry.subsystem_for_certificate(tx, "fp-hanoi"));
    EXPECT_EQ(r.registry.peer_node_for_certificate(tx, "fp-hanoi"), "hanoi");
    EXPECT_FALSE(r.registry.peer_node_for_certificate(tx, "fp-office"));
    EXPECT_EQ(r.registry.client_certificates(tx), (std::vector<ClientCertificate>{{"fp-office", kOffice}}));
    auto peers = r.registry.peer_nodes(tx);
    ASSERT_EQ(peers.size(), 1u);
    EXPECT_EQ(peers[0].pem, "PEM-hanoi");
    EXPECT_TRUE(r.registry.peer_node_exists(tx, "hanoi"));
  });
  write([](const Repositories& r, Transaction& tx) {
    EXPECT_TRUE(r.registry.delete_client_certificate(tx, "fp-office"));
    EXPECT_FALSE(r.registry.delete_client_certificate(tx, "fp-office"));
    EXPECT_TRUE(r.registry.delete_peer_node(tx, "hanoi"));
    EXPECT_FALSE(r.registry.delete_peer_node(tx, "hanoi"));
  });
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_FALSE(r.registry.certificate_bound(tx, "fp-office"));
    EXPECT_TRUE(r.registry.peer_nodes(tx).empty());
  });
}

TEST_P(RegistryRepositoryTest, every_change_moves_the_registry_version) {
  std::optional<std::int64_t> before, after_insert, after_delete, unchanged;
  read([&](const Repositories& r, Transaction& tx) { before = r.registry.version(tx); });
  write([](const Repositories& r, Transaction& tx) { seed(r, tx); });
  read([&](const Repositories& r, Transaction& tx) { after_insert = r.registry.version(tx); });
  write([](const Repositories& r, Transaction& tx) { r.registry.delete_service(tx, kService); });
  read([&](const Repositories& r, Transaction& tx) { after_delete = r.registry.version(tx); });
  read([&](const Repositories& r, Transaction& tx) { unchanged = r.registry.version(tx); });
  ASSERT_TRUE(before && after_insert && after_delete);
  EXPECT_GT(*after_insert, *before);
  EXPECT_GT(*after_delete, *after_insert);
  EXPECT_EQ(unchanged, after_delete) << "reads do not move it";
}

TEST_P(AdminRepositoryTest, a_token_is_found_until_revoked) {
  write([](const Repositories& r, Transaction& tx) {
    r.admin.insert_token(tx, {"t1", "alice", AdminRole::registry_admin, "hash-t1"});
    r.admin.insert_token(tx, {"t2", "bob", AdminRole::auditor, "hash-t2"});
  });
  read([](const Repositories& r, Transaction& tx) {
    auto t = r.admin.find_active_token(tx, "t1");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->name, "alice");
    EXPECT_EQ(t->role, AdminRole::registry_admin);
    EXPECT_EQ(t->hash, "hash-t1");
    auto listed = r.admin.tokens(tx);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[1].role, AdminRole::auditor);
  });
  write([](const Repositories& r, Transaction& tx) {
    EXPECT_TRUE(r.admin.revoke_token(tx, "t1"));
    EXPECT_FALSE(r.admin.revoke_token(tx, "t1"));
  });
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_FALSE(r.admin.find_active_token(tx, "t1"));
    EXPECT_TRUE(r.admin.tokens(tx).at(0).revoked);
    EXPECT_TRUE(r.admin.find_active_token(tx, "t2"));
  });
}

TEST_P(AdminRepositoryTest, a_certificate_is_pinned_to_a_name_and_role) {
  write([](const Repositories& r, Transaction& tx) {
    r.admin.insert_certificate(tx, {"fp-carol", "carol", AdminRole::auditor}, "PEM");
  });
  read([](const Repositories& r, Transaction& tx) {
    EXPECT_TRUE(r.admin.certificate_exists(tx, "fp-carol"));
    auto c = r.admin.find_certificate(tx, "fp-carol");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->name, "carol");
    EXPECT_EQ(c->role, AdminRole::auditor);
    ASSERT_EQ(r.admin.certificates(tx).size(), 1u);
    EXPECT_EQ(r.admin.certificates(tx)[0].id, "fp-carol");
  });
  write([](const Repositories& r, Transaction& tx) {
    EXPECT_TRUE(r.admin.delete_certificate(tx, "fp-carol"));
    EXPECT_FALSE(r.admin.delete_certificate(tx, "fp-carol"));
  });
  read([](const Repositories& r, Transaction& tx) { EXPECT_FALSE(r.admin.find_certificate(tx, "fp-carol")); });
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryRepositoryTest, all_backends(), [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Backends, AdminRepositoryTest, all_backends(), [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lgsp::bus::test
