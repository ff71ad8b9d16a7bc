// The node's own events (table node_event): the bounded sample of refusals (refusal_recorder.hpp).
#pragma once

#include "lgsp/bus/store.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::bus {

struct NodeEvent {
  std::int64_t id = 0;
  std::string at;
  std::string kind;
  std::string detail;  // JSON text
};

class EventRepository {
 public:
  virtual ~EventRepository() = default;

  virtual void insert(Transaction& tx, const std::string& kind, const std::string& detail) const = 0;
  // Removes events of `kind` older than `max_age`.
  virtual void delete_older(Transaction& tx, const std::string& kind, std::chrono::seconds max_age) const = 0;
  // Of the events of `kinds`, keeps only the newest `keep`.
  virtual void keep_newest(Transaction& tx, const std::vector<std::string>& kinds, std::int64_t keep) const = 0;
  // Events of `kind`, newest first, up to `limit`.
  virtual std::vector<NodeEvent> latest(Transaction& tx, const std::string& kind, std::int64_t limit) const = 0;
};

}  // namespace lgsp::bus
