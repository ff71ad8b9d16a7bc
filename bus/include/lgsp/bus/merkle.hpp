// The hash tree over a batch of sealed messages. Leaves and inner nodes are hashed under different
// prefixes (0x00, 0x01, as in RFC 6962), so an inner node can never be passed off as a leaf. Each level
// pairs neighbours left to right; an odd last node moves up unchanged. A proof lists, bottom up, the
// sibling hashes with the side they sit on, so checking it needs no index or batch size.
#pragma once

#include "lgsp/bus/digest.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lgsp::bus::merkle {

struct ProofStep {
  bool sibling_on_left = false;
  Sha256 sibling;
};
using Proof = std::vector<ProofStep>;

Sha256 hash_leaf(const Sha256& leaf);
Sha256 hash_children(const Sha256& left, const Sha256& right);

class Tree {
 public:
  // `leaves` are the message digests (they are hashed with the leaf prefix here). At least one.
  explicit Tree(const std::vector<Sha256>& leaves);
  const Sha256& root() const { return levels_.back().front(); }
  std::size_t size() const { return levels_.front().size(); }
  Proof proof(std::size_t index) const;

 private:
  std::vector<std::vector<Sha256>> levels_;  // levels_[0]: hashed leaves; back(): {root}
};

// The root the proof leads to from `leaf`.
Sha256 root_from_proof(const Sha256& leaf, const Proof& proof);

// "L:<hex>" / "R:<hex>" per step, the form seals carry in JSON.
std::vector<std::string> proof_to_strings(const Proof& proof);
std::optional<Proof> proof_from_strings(const std::vector<std::string>& steps);

}  // namespace lgsp::bus::merkle
