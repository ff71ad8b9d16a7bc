// The dead-letter queue: messages whose delivery policy is exhausted, and putting them back in line.
// The CLI and the admin API both use these, so they behave the same.
#pragma once

#include "lgsp/bus/store.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace lgsp::bus {

struct DeadLetter {
  std::string client;
  std::string message_id;
  std::string service;
  std::string accepted_at;
  int attempts = 0;
  std::string last_error;
  nlohmann::json to_json() const;
};

std::vector<DeadLetter> list_dead_letters(Store& store);
// Replays the dead message `message_id` (of `client` when given; required if two clients used the
// id), or, when `message_id` is empty, every dead message (of `client` only, when given). Each replay
// is logged. Returns how many went back to the queue; throws std::invalid_argument when the id names no
// dead message or is ambiguous.
std::size_t replay_dead_letters(Store& store, const std::string& message_id, const std::string& client);

}  // namespace lgsp::bus
