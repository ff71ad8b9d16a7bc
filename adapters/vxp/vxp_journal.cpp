#include "vxp_journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lgsp::adapters::vxp {
namespace {

const char* name_of(Journal::Inbound s) {
  switch (s) {
    case Journal::Inbound::forwarded:
      return "forwarded";
    case Journal::Inbound::acknowledged:
      return "acknowledged";
    case Journal::Inbound::dead:
      return "dead";
  }
  return "dead";
}

void write_all(int fd, const std::string& text, const std::filesystem::path& file) {
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) throw std::runtime_error("cannot sync " + file.string() + ": " + std::strerror(errno));
}

}  // namespace

Journal::Journal(std::filesystem::path file, std::size_t max_entries)
    : file_(std::move(file)), max_entries_(max_entries) {}

void Journal::load() {
  std::lock_guard lock(mutex_);
  std::ifstream in(file_, std::ios::binary);
  if (!in) {
    if (std::filesystem::exists(file_)) throw std::runtime_error("cannot read " + file_.string());
    return;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: a line torn by a crash, never acted upon
    std::istringstream fields(line);
    std::string kind, key, value;
    if (!std::getline(fields, kind, '\t') || !std::getline(fields, key, '\t') || !std::getline(fields, value)) continue;
    ++lines_;
    if (kind == "sent") {
      if (sent_.emplace(key, value).second) sent_order_.push_back(key);
    } else if (kind == "in") {
      Inbound s = value == "forwarded"      ? Inbound::forwarded
                  : value == "acknowledged" ? Inbound::acknowledged
                                            : Inbound::dead;
      if (value == "forget") {
        inbound_.erase(key);
        continue;
      }
      if (inbound_.insert_or_assign(key, s).second) inbound_order_.push_back(key);
    }
  }
}

std::optional<std::string> Journal::sent(const std::string& message_id) const {
  std::lock_guard lock(mutex_);
  auto it = sent_.find(message_id);
  if (it == sent_.end()) return std::nullopt;
  return it->second;
}

void Journal::record_sent(const std::string& message_id, const std::string& doc_id) {
  std::lock_guard lock(mutex_);
  append("sent\t" + message_id + "\t" + doc_id + "\n");
  if (sent_.insert_or_assign(message_id, doc_id).second) sent_order_.push_back(message_id);
  while (sent_order_.size() > max_entries_) {
    sent_.erase(sent_order_.front());
    sent_order_.pop_front();
  }
  compact();
}

std::optional<Journal::Inbound> Journal::inbound(const std::string& doc_id) const {
  std::lock_guard lock(mutex_);
  auto it = inbound_.find(doc_id);
  if (it == inbound_.end()) return std::nullopt;
  return it->second;
}

void Journal::record_inbound(const std::string& doc_id, Inbound state) {
  std::lock_guard lock(mutex_);
  append("in\t" + doc_id + "\t" + name_of(state) + "\n");
  if (inbound_.insert_or_assign(doc_id, state).second) inbound_order_.push_back(doc_id);
  while (inbound_order_.size() > max_entries_) {
    inbound_.erase(inbound_order_.front());
    inbound_order_.pop_front();
  }
  compact();
}

void Journal::forget_inbound(const std::string& doc_id) {
  std::lock_guard lock(mutex_);
  append("in\t" + doc_id + "\tforget\n");
  inbound_.erase(doc_id);
}

void Journal::append(const std::string& line) {
  const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open " + file_.string() + ": " + std::strerror(errno));
  try {
    write_all(fd, line, file_);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  ++lines_;
}

// Rewrites the file with what is remembered once it holds four times as many lines: written beside, synced,
// renamed over, the folder synced.
void Journal::compact() {
  if (lines_ < 1000 || lines_ < 4 * (sent_.size() + inbound_.size())) return;
  std::string text;
  std::size_t count = 0;
  for (const auto& key : sent_order_)
    if (auto it = sent_.find(key); it != sent_.end()) {
      text += "sent\t" + key + "\t" + it->second + "\n";
      ++count;
    }
  for (const auto& key : inbound_order_)
    if (auto it = inbound_.find(key); it != inbound_.end()) {
      text += "in\t" + key + "\t" + name_of(it->second) + "\n";
      ++count;
    }
  const auto temp = file_.string() + ".new";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + temp + ": " + std::strerror(errno));
  try {
    write_all(fd, text, temp);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (::rename(temp.c_str(), file_.c_str()) != 0)
    throw std::runtime_error("cannot replace " + file_.string() + ": " + std::strerror(errno));
  const int dir = ::open(file_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  lines_ = count;
}

}  // namespace lgsp::adapters::vxp
