#include "lgsp/bus/merkle.hpp"
#include "lgsp/contracts/base64.hpp"

#include <gtest/gtest.h>

using namespace lgsp::bus;

namespace {

std::vector<Sha256> leaves(std::size_t n) {
  std::vector<Sha256> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(sha256("leaf " + std::to_string(i)));
  return out;
}

TEST(Merkle, every_leaf_proves_the_root_for_all_tree_shapes) {
  for (std::size_t n : {1u, 2u, 3u, 4u, 5u, 7u, 8u, 9u, 16u, 33u, 100u}) {
    auto l = leaves(n);
    merkle::Tree tree(l);
    for (std::size_t i = 0; i < n; ++i) {
      auto proof = tree.proof(i);
      EXPECT_EQ(merkle::root_from_proof(l[i], proof), tree.root()) << "n=" << n << " i=" << i;
      auto round_trip = merkle::proof_from_strings(merkle::proof_to_strings(proof));
      ASSERT_TRUE(round_trip);
      EXPECT_EQ(merkle::root_from_proof(l[i], *round_trip), tree.root());
    }
  }
}

TEST(Merkle, a_single_leaf_is_its_own_hashed_root) {
  auto l = leaves(1);
  merkle::Tree tree(l);
  EXPECT_EQ(tree.root(), merkle::hash_leaf(l[0]));
  EXPECT_TRUE(tree.proof(0).empty());
}

TEST(Merkle, a_proof_fails_for_another_leaf_or_a_changed_step) {
  auto l = leaves(7);
  merkle::Tree tree(l);
  auto proof = tree.proof(3);
  EXPECT_NE(merkle::root_from_proof(l[4], proof), tree.root());
  auto flipped = proof;
  flipped[0].sibling_on_left = !flipped[0].sibling_on_left;
  EXPECT_NE(merkle::root_from_proof(l[3], flipped), tree.root());
  auto changed = proof;
  changed.back().sibling[0] ^= 1;
  EXPECT_NE(merkle::root_from_proof(l[3], changed), tree.root());
}

TEST(Merkle, an_inner_node_cannot_pass_for_a_leaf) {
  auto l = leaves(2);
  merkle::Tree tree(l);
  // With the same hash for leaves and nodes, hash(l0) || hash(l1) would be a "leaf" proving the root.
  EXPECT_NE(merkle::hash_leaf(merkle::hash_children(merkle::hash_leaf(l[0]), merkle::hash_leaf(l[1]))), tree.root());
}

TEST(Merkle, malformed_proof_text_is_refused) {
  EXPECT_FALSE(merkle::proof_from_strings({"X:00"}));
  EXPECT_FALSE(merkle::proof_from_strings({"L:" + std::string(64, 'g')}));
  EXPECT_FALSE(merkle::proof_from_strings({"L:" + std::string(63, '0')}));
  EXPECT_TRUE(merkle::proof_from_strings({}));
  EXPECT_THROW(merkle::Tree(std::vector<Sha256>{}), std::invalid_argument);
  EXPECT_THROW(merkle::Tree(leaves(3)).proof(3), std::out_of_range);
}

TEST(Base64, round_trips_and_refuses_garbage) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto back = lgsp::contracts::base64_decode(lgsp::contracts::base64_encode(s));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(lgsp::contracts::base64_decode("abc"));
  EXPECT_FALSE(lgsp::contracts::base64_decode("a$=="));
}

}  // namespace
