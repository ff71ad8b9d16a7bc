// The connector's memory across restarts, in its state folder: which packages the node delivered were sent to
// the axis (message id -> the axis's DocId), and how far each document pulled from the axis got (forwarded to
// the node, acknowledged on the axis, or dead-lettered). An append-only file, each line fsync'd before the step
// it records is taken as done; rewritten compactly (atomically) when it grows. Bounded: the oldest entries of
// each kind are forgotten beyond `max_entries` (by then the axis no longer lists those documents).
#pragma once

#include <cstddef>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace lgsp::adapters::vxp {

class Journal {
 public:
  enum class Inbound { forwarded, acknowledged, dead };

  Journal(std::filesystem::path file, std::size_t max_entries = 100000);
  // Reads the file (a missing file is an empty journal; a torn last line is ignored). Throws std::runtime_error
  // when it cannot be read.
  void load();

  std::optional<std::string> sent(const std::string& message_id) const;
  void record_sent(const std::string& message_id, const std::string& doc_id);

  std::optional<Inbound> inbound(const std::string& doc_id) const;
  void record_inbound(const std::string& doc_id, Inbound state);
  // Forgets a document (a dead letter replayed: it is pulled again).
  void forget_inbound(const std::string& doc_id);

 private:
  void append(const std::string& line);
  void compact();
  std::filesystem::path file_;
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> sent_;
  std::deque<std::string> sent_order_;
  std::map<std::string, Inbound> inbound_;
  std::deque<std::string> inbound_order_;
  std::size_t lines_ = 0;
};

}  // namespace lgsp::adapters::vxp
