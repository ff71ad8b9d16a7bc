#include "filedrop_adapter.hpp"

#include "csv_mapping.hpp"
#include "drop_files.hpp"
#include "filedrop_config.hpp"
#include "filedrop_errors.hpp"
#include "inbox_watch.hpp"
#include "lgsp/adapters/backoff.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/http.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/router.hpp"
#include "outbound_writer.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace lgsp::adapters {

namespace {

namespace fs = std::filesystem;
using namespace filedrop;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kMaxPending = 100000;  // names held at once; the rest wait for the next rescan
constexpr std::size_t kMaxStuck = 10000;
constexpr std::uint64_t kMaxBatchBytes = 256ull << 20;  // files read at once by one batch of `parallel`     // files
                                                        // that can be neither sent nor moved (logged once each)
constexpr std::size_t kMaxReasonBytes = 64 * 1024;
constexpr std::size_t kMaxLineBytes = 1000;
const std::vector<std::string> kCompanions = {".receipt.json", ".reason.txt"};

std::string cut(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t at = max;
  while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;
  text.resize(at);
  return text + "...";
}

// One line: no control characters (a reason goes into logs and dead-letter lists).
std::string one_line(std::string text) {
  for (auto& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return cut(std::move(text), kMaxLineBytes);
}

// The bytes of a lower-case hex string (what bus::hex wrote); empty when it is not one.
std::string from_hex(const std::string& hex) {
  if (hex.size() % 2) return {};
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    for (char c : hex.substr(i, 2)) {
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        value |= static_cast<unsigned>(c - 'a' + 10);
      else
        return {};
    }
    out.push_back(static_cast<char>(value));
  }
  return out;
}

// Why a file goes to failed/.
struct Failure {
  std::string code;    // LGSP-400-CONTRACT (the node's) or one of filedrop::errors
  std::string reason;  // one line
  std::string detail;  // more text for the reason file (the node's problem+json), may be empty
};

class FiledropAdapter final : public Adapter {
 public:
  explicit FiledropAdapter(FiledropConfig config)
      : config_(std::move(config)), tracker_(config_.read_lock), backoff_(config_.retry_initial, config_.retry_max) {}
  ~FiledropAdapter() override { stop(); }

  const std::string& name() const override { return config_.name; }
  std::string_view kind() const override { return "filedrop"; }

  void start(AdapterContext& context) override {
    context_ = &context;
    prepare_folders();
    try {
      watch_ = std::make_unique<InboxWatch>(config_.inbox, config_.read_lock.mode == ReadLock::changed);
    } catch (const std::exception& e) {
      throw AdapterConfigError("adapter '" + config_.name + "'.inbox", e.what());
    }
    if (config_.outbound_dir) {
      outbound_ = std::make_unique<OutboundWriter>(*config_.outbound_dir);
      // The runner calls adapter routes on its worker threads, never on an I/O thread: writing here is fine.
      context.router.add("POST", context.route_prefix + "/deliveries",
                         [this](bus::HttpRequest& request, bus::Reply reply) { reply(deliver(request)); });
    }
    stop_ = false;
    thread_ = std::thread([this] { run(); });
  }

  void stop() override {
    if (thread_.joinable()) {
      stop_ = true;
      watch_->wake();
      thread_.join();
    }
  }

  Health health() const override {
    Health h;
    h.backlog = backlog_.load();
    std::string problem;
    if (watch_gone_) problem = "the inbox " + config_.inbox.string() + " was removed or moved away";
    for (const fs::path* dir : {&config_.inbox, &config_.done_dir, &config_.failed_dir})
      if (problem.empty() && ::access(dir->c_str(), W_OK | X_OK) != 0) problem = dir->string() + " is not writable";
    if (problem.empty() && config_.outbound_dir && ::access(config_.outbound_dir->c_str(), W_OK | X_OK) != 0)
      problem = config_.outbound_dir->string() + " is not writable";
    if (problem.empty()) {
      std::lock_guard lock(status_mutex_);
      if (!node_problem_.empty()) problem = "retrying: " + node_problem_;
    }
    h.ok = problem.empty();
    h.detail = h.ok ? "watching " + config_.inbox.string() + ", " + std::to_string(h.backlog) + " pending" : problem;
    return h;
  }

  // `lgsp adapter dlq replay` in its own process: replay() needs only the node and the dead letters.
  void prepare_replay(AdapterContext& context) override { context_ = &context; }

  std::string replay(const DeadLetter& letter) override {
    if (!context_) return "the adapter is not started";
    const auto detail = nlohmann::json::parse(letter.detail, nullptr, false);
    if (!detail.is_object() || !detail.contains("file") || !detail["file"].is_string())
      return "the dead letter names no file";
    // Only a file directly in failed/ (the letter is ours, but a path is never followed blindly).
    std::string file_name = fs::path(detail["file"].get<std::string>()).filename().string();
    if (detail.contains("file_name_hex") && detail["file_name_hex"].is_string())
      file_name = from_hex(detail["file_name_hex"].get<std::string>());
    if (file_name.find('/') != std::string::npos) return "the dead letter names no file";
    if (file_name.empty() || file_name == "." || file_name == "..") return "the dead letter names no file";
    const fs::path file = config_.failed_dir / file_name;
    std::lock_guard lock(work_mutex_);
    HashedFile content;
    try {
      content = read_hashed(file, config_.max_file_bytes);
    } catch (const FileError& e) {
      return e.not_found() ? "the file " + file.string() + " is no longer in failed/" : one_line(e.what());
    } catch (const ReadRefusal& e) {
      return one_line(e.what());
    }
    std::string body;
    if (auto failure = make_body(content, body)) {
      write_reason(config_.failed_dir, file_name, file_name, content.sha256, *failure, true);
      return failure->code + ": " + failure->reason;
    }
    const SendOutcome outcome = send(content.sha256, std::move(body));
    if (!outcome.acknowledged()) {
      const std::string why = one_line(outcome.describe());
      if (outcome.kind == SendOutcome::Kind::refused)
        write_reason(config_.failed_dir, file_name, file_name, content.sha256, Failure{outcome.code, why, outcome.body},
                     true);
      return why;
    }
    try {
      finish_done(config_.failed_dir, file_name, outcome, content.size);
      std::error_code ec;
      fs::remove(config_.failed_dir / (file_name + ".reason.txt"), ec);
      fsync_dir(config_.failed_dir);
    } catch (const std::exception& e) {
      return std::string("sent, but not moved to done/: ") + one_line(e.what());
    }
    return {};
  }

 private:
  enum class Outcome { done, failed, retry, gone, stuck };

  // --- start-up -------------------------------------------------------------------------------------
  void prepare_folders() {
    const std::string where = "adapter '" + config_.name + "'";
    struct stat inbox {};
    if (::stat(config_.inbox.c_str(), &inbox) != 0 || !S_ISDIR(inbox.st_mode))
      throw AdapterConfigError(where + ".inbox", config_.inbox.string() + " is not a folder");
    for (const auto& [key, dir] : {std::pair{"done_dir", &config_.done_dir}, {"failed_dir", &config_.failed_dir}}) {
      std::error_code ec;
      fs::create_directories(*dir, ec);
      struct stat st {};
      if (ec || ::stat(dir->c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw AdapterConfigError(where + "." + key, "cannot create " + dir->string());
      // A rename is atomic only within one file system: a copy could leave a file in both places.
      if (st.st_dev != inbox.st_dev)
        throw AdapterConfigError(where + "." + key, dir->string() + " must be on the inbox's file system");
    }
    if (config_.outbound_dir) {
      std::error_code ec;
      fs::create_directories(*config_.outbound_dir, ec);
      if (ec) throw AdapterConfigError(where + ".outbound_dir", "cannot create " + config_.outbound_dir->string());
    }
    std::vector<fs::path> writable = {config_.inbox, config_.done_dir, config_.failed_dir};
    if (config_.outbound_dir) writable.push_back(*config_.outbound_dir);
    for (const auto& dir : writable) {
      if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw AdapterConfigError(where, dir.string() + " is not writable by this process");
      remove_stale_temporaries(dir);
    }
  }

  // --- the inbound loop -----------------------------------------------------------------------------
  bool stopping() const { return stop_ || context_->stopping; }

  void run() {
    rescan(true);
    auto next_rescan = Clock::now() + config_.rescan;
    while (!stopping()) {
      try {
        run_once(next_rescan);
      } catch (const std::exception& e) {
        // Nothing may end this thread but stop(): what failed (the dead-letter store, say) is tried again
        // after a backoff, and every file not yet moved is still in the inbox.
        bus::log::error("filedrop.loop", {{"adapter", config_.name}, {"error", one_line(e.what())}});
        retry_at_ = Clock::now() + backoff_.next();
      }
    }
  }

  void run_once(Clock::time_point& next_rescan) {
    const auto now = Clock::now();
    auto deadline = std::min(next_rescan, retry_at_ > now ? retry_at_ : next_rescan);
    if (waiting_ > 0 && retry_at_ <= now) deadline = std::min(deadline, now + tracker_.poll_interval());
    if (!pending_.empty() && waiting_ < pending_.size() && retry_at_ <= now) deadline = now;
    auto events = watch_->wait(std::chrono::duration_cast<milliseconds>(deadline - now));
    if (events.gone && !watch_gone_) {
      watch_gone_ = true;
      bus::log::error("filedrop.inbox_gone", {{"adapter", config_.name}, {"inbox", config_.inbox.string()}});
    }
    for (const auto& name : events.names) note(name);
    // Names dropped while the pending list was full are found again as soon as it has drained.
    if (events.overflow || Clock::now() >= next_rescan || (overflowed_ && pending_.empty())) {
      rescan(false);
      next_rescan = Clock::now() + config_.rescan;
    }
    if (Clock::now() >= retry_at_) process_pending();
    backlog_ = static_cast<std::int64_t>(pending_.size());
    context_->metrics.gauge("backlog", static_cast<double>(pending_.size()));
  }

  void add_pending(const std::string& name) {
    if (pending_.size() < kMaxPending)
      pending_.insert(name);
    else
      overflowed_ = true;
  }

  // A name an event reported (a done marker stands for its data file).
  void note(const std::string& name) {
    std::string file = tracker_.marked_file(name);
    if (file.empty()) file = name;
    if (tracker_.ignored(file) || stuck_.count(file)) return;
    add_pending(file);
  }

  void rescan(bool at_start) {
    overflowed_ = false;
    std::error_code ec;
    for (fs::directory_iterator it(config_.inbox, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (at_start && config_.read_lock.mode == ReadLock::done_file) {
        // A marker whose file is gone: the file was taken and the adapter stopped before removing it. Left, it
        // would let the next file of that name be taken while still being written.
        const std::string file = tracker_.marked_file(name);
        if (!file.empty() && fs::symlink_status(config_.inbox / file, ec).type() == fs::file_type::not_found) {
          fs::remove(it->path(), ec);
          ec.clear();
          continue;
        }
      }
      if (it->is_directory(ec)) {
        ec.clear();
        continue;
      }
      ec.clear();
      if (!tracker_.ignored(name) && !stuck_.count(name)) add_pending(name);
    }
  }

  // Takes the ready files in name order, up to `parallel` at a time (each sent and moved on its own thread: the
  // node seals concurrent messages under one signature, so a few in flight multiply the rate).
  void process_pending() {
    waiting_ = 0;
    std::vector<std::string> batch;
    std::uint64_t batch_bytes = 0;
    for (auto it = pending_.begin(); it != pending_.end() && !stopping();) {
      const std::string name = *it;
      const auto verdict = tracker_.check(config_.inbox, name, Clock::now());
      if (verdict == ReadLockTracker::Verdict::skip) {
        it = pending_.erase(it);
        continue;
      }
      if (verdict == ReadLockTracker::Verdict::wait) {
        // A file without its done marker comes back with the marker's event (or the next rescan).
        if (config_.read_lock.mode == ReadLock::done_file) {
          it = pending_.erase(it);
        } else {
          ++waiting_;
          ++it;
        }
        continue;
      }
      ++it;
      batch.push_back(name);
      std::error_code ec;
      const auto size = fs::file_size(config_.inbox / name, ec);
      batch_bytes += ec ? 0 : size;
      // Memory: each file in flight is held whole (twice, as the request copies it): bounded per batch.
      if (batch.size() < config_.parallel && batch_bytes < kMaxBatchBytes) continue;
      if (!run_batch(batch)) return;  // the node is unavailable: the same files first, after the backoff
      batch.clear();
      batch_bytes = 0;
    }
    if (!batch.empty() && !stopping()) run_batch(batch);
  }

  // False when the node was unavailable for one of them (those stay pending).
  bool run_batch(const std::vector<std::string>& batch) {
    std::vector<Processed> results(batch.size());
    if (batch.size() == 1) {
      results[0] = process_safely(batch[0]);
    } else {
      std::vector<std::thread> threads;
      threads.reserve(batch.size());
      for (std::size_t i = 0; i < batch.size(); ++i)
        threads.emplace_back([this, &batch, &results, i] { results[i] = process_safely(batch[i]); });
      for (auto& t : threads) t.join();
    }
    bool available = true;
    std::optional<std::chrono::seconds> retry_after;
    std::string node_problem;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& r = results[i];
      if (r.outcome == Outcome::retry) {
        available = false;
        if (r.retry_after && (!retry_after || *r.retry_after > *retry_after)) retry_after = r.retry_after;
        node_problem = r.node_problem;
        continue;
      }
      tracker_.forget(batch[i]);
      if (r.outcome == Outcome::stuck && stuck_.size() < kMaxStuck) stuck_.insert(batch[i]);
      pending_.erase(batch[i]);
    }
    backlog_ = static_cast<std::int64_t>(pending_.size());
    if (available) {
      if (std::any_of(results.begin(), results.end(), [](const Processed& r) { return r.node_answered; })) {
        backoff_.reset();
        set_node_problem("");
      }
      return true;
    }
    retry_at_ = Clock::now() + backoff_.next(retry_after);
    set_node_problem(node_problem);
    context_->metrics.count("retried");
    return false;
  }

  struct Processed {
    Outcome outcome = Outcome::retry;
    bool node_answered = false;  // the node gave a final answer (accepted, repeated or refused)
    std::optional<std::chrono::seconds> retry_after;
    std::string node_problem;
  };

  static Processed finished(Outcome outcome) {
    Processed r;
    r.outcome = outcome;
    return r;
  }

  // process() on a worker thread: an exception must not end the process; the file stays where it is.
  Processed process_safely(const std::string& name) {
    try {
      return process(name);
    } catch (const std::exception& e) {
      bus::log::error("filedrop.process", {{"adapter", config_.name}, {"file", name}, {"error", one_line(e.what())}});
      Processed r;
      r.node_problem = "error with " + one_line(name) + ": " + one_line(e.what());
      return r;
    }
  }

  // Sends one complete file and moves it. The order is what makes a SIGKILL anywhere safe: the file stays in
  // the inbox until the node has acknowledged it, so a restart sends it again with the same SHA-256 message id
  // (the node answers 200 "repeated" and delivers it once); then one rename moves it to done/ or failed/.
  // Runs on several threads at once: touches no state of the inbound loop.
  Processed process(const std::string& name) {
    Processed r;
    const fs::path file = config_.inbox / name;
    HashedFile content;
    try {
      content = read_hashed(file, config_.max_file_bytes);
    } catch (const FileError& e) {
      if (e.not_found()) return finished(Outcome::gone);
      return finished(fail(name, "", Failure{std::string(filedrop::errors::kUnreadable.code), one_line(e.what()), ""}));
    } catch (const ReadRefusal& e) {
      const auto& code =
          e.kind == ReadRefusal::Kind::too_large ? filedrop::errors::kFileTooLarge : filedrop::errors::kNotRegularFile;
      return finished(fail(name, "", Failure{std::string(code.code), one_line(e.what()), ""}));
    }
    std::string body;
    if (auto failure = make_body(content, body)) return finished(fail(name, content.sha256, *failure));
    const SendOutcome outcome = send(content.sha256, std::move(body));
    switch (outcome.kind) {
      case SendOutcome::Kind::accepted:
      case SendOutcome::Kind::repeated:
        r.node_answered = true;
        try {
          finish_done(config_.inbox, name, outcome, content.size);
          r.outcome = Outcome::done;
        } catch (const std::exception& e) {
          r.outcome = stuck(name, e.what());
        }
        return r;
      case SendOutcome::Kind::refused:
        r.node_answered = true;
        r.outcome = fail(name, content.sha256, Failure{outcome.code, one_line(outcome.describe()), outcome.body});
        return r;
      case SendOutcome::Kind::unavailable:
        break;
    }
    r.outcome = Outcome::retry;
    r.retry_after = outcome.retry_after;
    r.node_problem = "node unavailable: " + one_line(outcome.describe());
    return r;
  }

  // The message body for the file, or why the file cannot be sent.
  std::optional<Failure> make_body(HashedFile& content, std::string& body) {
    if (config_.format != Format::csv) {
      body = std::move(content.body);
      return std::nullopt;
    }
    try {
      body = csv_to_json(content.body, config_.csv);
    } catch (const CsvError& e) {
      return Failure{std::string(filedrop::errors::kCsv.code), one_line(e.what()), ""};
    }
    return std::nullopt;
  }

  SendOutcome send(const std::string& sha256, std::string body) {
    OutgoingMessage message;
    message.service = config_.service;
    message.message_id = sha256;
    message.content_type = config_.content_type;
    message.body = std::move(body);
    return context_->node.send(message);
  }

  // Moves `name` from `from` to done/ and writes its receipt beside it.
  void finish_done(const fs::path& from, const std::string& name, const SendOutcome& outcome, std::uint64_t size) {
    const std::string target = move_out(from, name, config_.done_dir);
    // Killed here, the file is in done/ without its receipt; the receipt is still the node's to give
    // (GET /v1/messages/<sha256>). Never the other way round: a receipt must not claim a file still waiting.
    write_atomic(config_.done_dir, target + ".receipt.json", outcome.body.empty() ? "{}\n" : outcome.body + "\n",
                 false);
    context_->metrics.count(outcome.kind == SendOutcome::Kind::accepted ? "sent" : "repeated");
    context_->metrics.count("bytes", size);
  }

  // One rename into `dir` under a free name, the marker (done-file) removed after, both folders synced.
  std::string move_out(const fs::path& from, const std::string& name, const fs::path& dir) {
    for (int attempt = 0;; ++attempt) {
      const std::string target = free_name(dir, name, kCompanions);
      try {
        rename_noreplace(from / name, dir / target);
      } catch (const FileError& e) {
        if (e.error_number() == EEXIST && attempt < 10) continue;  // taken meanwhile (a replay): next name
        throw;
      }
      fsync_dir(dir);
      if (from == config_.inbox && config_.read_lock.mode == ReadLock::done_file) {
        std::error_code ec;
        fs::remove(config_.inbox / tracker_.marker_for(name), ec);
      }
      fsync_dir(from);
      return target;
    }
  }

  Outcome fail(const std::string& name, const std::string& sha256, const Failure& failure) {
    std::string target;
    try {
      target = move_out(config_.inbox, name, config_.failed_dir);
    } catch (const FileError& e) {
      if (e.not_found()) return Outcome::gone;
      return stuck(name, e.what());
    } catch (const std::exception& e) {
      return stuck(name, e.what());
    }
    try {
      write_reason(config_.failed_dir, target, name, sha256, failure, false);
    } catch (const std::exception& e) {
      bus::log::error("filedrop.reason_not_written",
                      {{"adapter", config_.name}, {"file", target}, {"error", e.what()}});
    }
    // A file name need not be UTF-8 (an old export's Latin-1 name): kept in hex too, for replay().
    nlohmann::json detail = {
        {"file", (config_.failed_dir / target).string()},
        {"file_name_hex", bus::hex(reinterpret_cast<const std::uint8_t*>(target.data()), target.size())},
        {"name", name},
        {"sha256", sha256},
        {"service", config_.service},
        {"content_type", config_.content_type},
        {"code", failure.code}};
    context_->dead_letters.add(name, failure.code + ": " + failure.reason, "",
                               detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    context_->metrics.count("failed");
    bus::log::warn("filedrop.failed",
                   {{"adapter", config_.name}, {"file", target}, {"code", failure.code}, {"reason", failure.reason}});
    return Outcome::failed;
  }

  void write_reason(const fs::path& dir, const std::string& target, const std::string& original,
                    const std::string& sha256, const Failure& failure, bool replace) {
    std::string text = "file: " + one_line(original) + "\n";
    if (!sha256.empty()) text += "sha256: " + sha256 + "\n";
    text += "service: " + config_.service + "\n";
    text += "code: " + failure.code + "\n";
    text += "reason: " + failure.reason + "\n";
    if (!failure.detail.empty()) text += "\n" + cut(failure.detail, kMaxReasonBytes) + "\n";
    write_atomic(dir, target + ".reason.txt", text, replace);
  }

  Outcome stuck(const std::string& name, const std::string& why) {
    bus::log::error("filedrop.stuck", {{"adapter", config_.name}, {"file", name}, {"error", one_line(why)}});
    context_->metrics.count("stuck");
    return Outcome::stuck;
  }

  void set_node_problem(std::string problem) {
    std::lock_guard lock(status_mutex_);
    node_problem_ = std::move(problem);
  }

  // --- outbound -------------------------------------------------------------------------------------
  bus::HttpResponse deliver(bus::HttpRequest& request) {
    auto verified = context_->deliveries.verify(request);
    if (auto* refusal = std::get_if<DeliveryRefusal>(&verified)) {
      context_->metrics.count("delivery_refused");
      return refusal_answer(*refusal);
    }
    const auto& delivery = std::get<Delivery>(verified);
    std::lock_guard lock(outbound_mutex_);  // the same delivery pushed twice at once is written once
    try {
      const auto result = outbound_->write(delivery, request.header("lgsp-signature").value_or(""));
      const bool written = result == OutboundWriter::Result::written;
      context_->metrics.count(written ? "delivered" : "delivery_repeated");
      if (written) context_->metrics.count("delivered_bytes", delivery.body.size());
      return bus::HttpResponse::json(
          200, {{"message_id", delivery.message_id}, {"status", written ? "written" : "repeated"}});
    } catch (const FileError& e) {
      context_->metrics.count("delivery_write_failed");
      bus::log::error("filedrop.outbound_write", {{"adapter", config_.name}, {"error", one_line(e.what())}});
      auto answer = bus::problem(e.no_space() ? filedrop::errors::kDiskFull : filedrop::errors::kOutboundWrite,
                                 one_line(e.what()));
      answer.headers.emplace_back("Retry-After", "30");
      return answer;
    }
  }

  FiledropConfig config_;
  ReadLockTracker tracker_;
  AdapterContext* context_ = nullptr;
  std::unique_ptr<InboxWatch> watch_;
  std::unique_ptr<OutboundWriter> outbound_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> watch_gone_{false};
  std::atomic<std::int64_t> backlog_{0};
  std::mutex work_mutex_;  // one file at a time: the inbound loop and replay() share the node and done/
  std::mutex outbound_mutex_;
  mutable std::mutex status_mutex_;
  std::string node_problem_;
  // Owned by the inbound thread.
  std::set<std::string> pending_;
  std::set<std::string> stuck_;
  std::size_t waiting_ = 0;
  bool overflowed_ = false;
  Backoff backoff_;
  Clock::time_point retry_at_{};
};

}  // namespace

std::unique_ptr<Adapter> make_filedrop_adapter(ConfigTable& table) {
  return std::make_unique<FiledropAdapter>(read_filedrop_config(table));
}

}  // namespace lgsp::adapters
