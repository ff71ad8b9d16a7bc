// What the two store backends (SQLite, PostgreSQL) share around their connections: the group-commit writer
// (one thread takes the queued write units in batches and hands each batch to the backend, which runs it in one
// transaction) and the pool of read connections. One copy, so that both backends batch and read the same way;
// each backend keeps only what is its own: how a batch becomes a transaction and what a lost connection means.
#pragma once

#include "lgsp/bus/store.hpp"
#include "lgsp/bus/thread_name.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace lgsp::bus::detail {

class GroupCommitWriter {
 public:
  struct Pending {
    Store::Work work;
    Store::Done done;
    std::chrono::steady_clock::time_point queued;
  };
  // Runs one batch in one transaction and calls every unit's `done` (with its own error, or the batch's).
  using CommitBatch = std::function<void(std::vector<Pending>& batch)>;

  GroupCommitWriter(std::size_t max_rows, std::chrono::milliseconds max_delay)
      : max_rows_(max_rows == 0 ? 1 : max_rows), max_delay_(max_delay) {}
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;
  ~GroupCommitWriter() { stop(); }

  void start(const char* thread_name, CommitBatch commit) {
    thread_ = std::thread([this, thread_name, commit = std::move(commit)] {
      name_this_thread(thread_name);
      run(commit);
    });
  }

  // Queues a unit; throws StoreError once the store is closing.
  void push(Store::Work work, Store::Done done) {
    std::lock_guard lock(mutex_);
    if (stopping_) throw StoreError("store is closing");
    queue_.push_back(Pending{std::move(work), std::move(done), std::chrono::steady_clock::now()});
    if (queue_.size() == 1 || queue_.size() >= max_rows_) wake_.notify_one();
  }

  // Commits what is queued, then ends the writer thread. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run(const CommitBatch& commit) {
    for (;;) {
      std::vector<Pending> batch;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping with nothing left
        // The delay counts from the oldest queued unit, not from now: units that queued while the last commit
        // was on disk have waited already, and are committed at once. Only a writer woken from idle waits for
        // company (a burst of units arriving together).
        if (max_delay_.count() > 0 && queue_.size() < max_rows_ && !stopping_)
          wake_.wait_until(lock, queue_.front().queued + max_delay_,
                           [&] { return stopping_ || queue_.size() >= max_rows_; });
        while (!queue_.empty() && batch.size() < max_rows_) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      commit(batch);
    }
  }

  const std::size_t max_rows_;
  const std::chrono::milliseconds max_delay_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// Several read connections, so that concurrent readers (I/O threads, the deliverer) do not queue behind one
// another; each is used by one reader at a time.
template <class Connection>
class ReaderPool {
 public:
  // A connection held for one read unit; released when the lease goes.
  class Lease {
   public:
    Connection& connection() { return *connection_; }

   private:
    friend class ReaderPool;
    Lease(Connection& c, std::unique_lock<std::mutex> lock) : connection_(&c), lock_(std::move(lock)) {}
    Connection* connection_;
    std::unique_lock<std::mutex> lock_;
  };

  void add(std::unique_ptr<Connection> connection) {
    auto r = std::make_unique<Reader>();
    r->connection = std::move(connection);
    readers_.push_back(std::move(r));
  }

  // The first free connection, starting from a rotating index; waits for one only if all are busy.
  Lease acquire() {
    const unsigned start = next_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < readers_.size(); ++i) {
      auto& r = *readers_[(start + i) % readers_.size()];
      std::unique_lock<std::mutex> attempt(r.mutex, std::try_to_lock);
      if (attempt.owns_lock()) return Lease(*r.connection, std::move(attempt));
    }
    auto& r = *readers_[start % readers_.size()];
    return Lease(*r.connection, std::unique_lock<std::mutex>(r.mutex));
  }

 private:
  struct Reader {
    std::unique_ptr<Connection> connection;
    std::mutex mutex;
  };
  std::vector<std::unique_ptr<Reader>> readers_;
  std::atomic<unsigned> next_{0};
};

}  // namespace lgsp::bus::detail
