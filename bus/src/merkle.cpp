#include "lgsp/bus/merkle.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace lgsp::bus::merkle {
namespace {

Sha256 prefixed(unsigned char prefix, const Sha256& a, const Sha256* b) {
  std::array<char, 65> buf;
  buf[0] = static_cast<char>(prefix);
  std::copy(a.begin(), a.end(), buf.begin() + 1);
  if (b) std::copy(b->begin(), b->end(), buf.begin() + 33);
  return sha256(std::string_view(buf.data(), b ? 65 : 33));
}

std::optional<Sha256> from_hex(const std::string& hex) {
  if (hex.size() != 64) return std::nullopt;
  Sha256 out;
  for (std::size_t i = 0; i < 32; ++i) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

}  // namespace

Sha256 hash_leaf(const Sha256& leaf) { return prefixed(0x00, leaf, nullptr); }
Sha256 hash_children(const Sha256& left, const Sha256& right) { return prefixed(0x01, left, &right); }

Tree::Tree(const std::vector<Sha256>& leaves) {
  if (leaves.empty()) throw std::invalid_argument("a Merkle tree needs at least one leaf");
  std::vector<Sha256> level;
  level.reserve(leaves.size());
  for (const auto& l : leaves) level.push_back(hash_leaf(l));
  levels_.push_back(std::move(level));
  while (levels_.back().size() > 1) {
    const auto& below = levels_.back();
    std::vector<Sha256> up;
    up.reserve((below.size() + 1) / 2);
    for (std::size_t i = 0; i + 1 < below.size(); i += 2) up.push_back(hash_children(below[i], below[i + 1]));
    if (below.size() % 2 == 1) up.push_back(below.back());
    levels_.push_back(std::move(up));
  }
}

Proof Tree::proof(std::size_t index) const {
  if (index >= size()) throw std::out_of_range("leaf index outside the tree");
  Proof proof;
  for (std::size_t level = 0; level + 1 < levels_.size(); ++level) {
    const auto& nodes = levels_[level];
    std::size_t sibling = index ^ 1u;
    if (sibling < nodes.size()) proof.push_back({sibling < index, nodes[sibling]});
    index /= 2;  // an odd last node has no sibling and moves up as it is
  }
  return proof;
}

Sha256 root_from_proof(const Sha256& leaf, const Proof& proof) {
  Sha256 node = hash_leaf(leaf);
  for (const auto& step : proof)
    node = step.sibling_on_left ? hash_children(step.sibling, node) : hash_children(node, step.sibling);
  return node;
}

std::vector<std::string> proof_to_strings(const Proof& proof) {
  std::vector<std::string> out;
  out.reserve(proof.size());
  for (const auto& step : proof) out.push_back((step.sibling_on_left ? "L:" : "R:") + hex(step.sibling));
  return out;
}

std::optional<Proof> proof_from_strings(const std::vector<std::string>& steps) {
  Proof proof;
  for (const auto& s : steps) {
    if (s.size() != 66 || (s[0] != 'L' && s[0] != 'R') || s[1] != ':') return std::nullopt;
    auto h = from_hex(s.substr(2));
    if (!h) return std::nullopt;
    proof.push_back({s[0] == 'L', *h});
  }
  return proof;
}

}  // namespace lgsp::bus::merkle
