#include "lgsp/bus/log_head.hpp"

#include "lgsp/bus/log.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/repositories.hpp"
#include "lgsp/bus/sealer.hpp"

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <tuple>

namespace lgsp::bus {
namespace {

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::optional<LogHead> LogHead::parse(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 18) return std::nullopt;
  std::int64_t count = 0;
  for (char c : text.substr(0, colon)) {
    if (c < '0' || c > '9') return std::nullopt;
    count = count * 10 + (c - '0');
  }
  const auto hash = text.substr(colon + 1);
  if (!is_hex64(hash)) return std::nullopt;
  return LogHead{count, std::string(hash)};
}

Sha256 log_head_leaf(const LogHead& head) {
  std::string bytes = "lgsp-log-head-v1\n";
  append_field(bytes, std::to_string(head.count));
  append_field(bytes, head.hash);
  return sha256(bytes);
}

LogHead read_log_head(Transaction& tx) {
  auto last = repositories(tx).log.last(tx);
  if (!last) return LogHead{0, kLogGenesis};
  return LogHead{last->seq, std::move(last->hash)};
}

std::vector<SealedLogHead> read_sealed_heads(Transaction& tx) { return repositories(tx).log.sealed_heads(tx); }

void store_sealed_head(Transaction& tx, const LogHead& head, const std::string& seal_text) {
  auto seal = nlohmann::json::parse(seal_text);
  repositories(tx).log.insert_sealed_head(tx, head, seal.value("signed_at", ""), seal_text);
}

struct LogHeadSealer::Impl {
  std::function<Store*()> store;
  std::function<Sealer*()> sealer;
  std::chrono::seconds every;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;
  std::mutex seal_mutex;  // one seal at a time (the thread and stop())
  std::optional<LogHead> last;
  std::string last_root;  // the root of the last head's seal: its `batch` record does not move the head

  bool seal_now(std::string& why) {
    std::lock_guard guard(seal_mutex);
    Store* s = store();
    Sealer* signer = sealer();
    if (!s || !signer) {
      why = "no store or no sealer";
      return false;
    }
    try {
      LogHead head;
      std::string last_kind, last_subject;
      s->read([&](Transaction& tx) {
        head = read_log_head(tx);
        if (!last) {
          auto heads = read_sealed_heads(tx);
          if (!heads.empty()) last = heads.back().head;
        }
        if (auto kind_subject = repositories(tx).log.last_kind_and_subject(tx))
          std::tie(last_kind, last_subject) = std::move(*kind_subject);
      });
      if (head.count == 0 || (last && last->count == head.count)) return true;
      if (last && head.count == last->count + 1 && last_kind == "batch" && last_subject == last_root) return true;
      if (!signer->ready(why)) return false;  // no wait on a token that is absent or refused the PIN
      auto future = signer->seal(log_head_leaf(head));
      if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
        why = "the sealer did not answer within 30 s";
        return false;
      }
      auto seal = future.get();
      s->write([head, text = seal.dump()](Transaction& tx) { store_sealed_head(tx, head, text); }).get();
      last = head;
      last_root = seal.value("root", "");
      return true;
    } catch (const std::exception& e) {
      why = e.what();
      return false;
    }
  }
};

LogHeadSealer::LogHeadSealer(std::function<Store*()> store, std::function<Sealer*()> sealer, std::chrono::seconds every)
    : impl_(std::make_unique<Impl>()) {
  impl_->store = std::move(store);
  impl_->sealer = std::move(sealer);
  impl_->every = every;
}

LogHeadSealer::~LogHeadSealer() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void LogHeadSealer::start() {
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([impl = impl_.get()] {
    std::unique_lock lock(impl->mutex);
    while (!impl->stopping) {
      impl->wake.wait_for(lock, impl->every, [impl] { return impl->stopping; });
      if (impl->stopping) break;
      lock.unlock();
      std::string why;
      if (!impl->seal_now(why)) log::warn("log.head_seal_failed", {{"error", why}});
      lock.lock();
    }
  });
}

void LogHeadSealer::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping && !impl_->thread.joinable()) return;
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  std::string why;
  if (impl_->seal_now(why))
    log::info("log.head_sealed", {{"on", "shutdown"}});
  else
    log::warn("log.head_seal_failed", {{"on", "shutdown"}, {"error", why}});
}

bool LogHeadSealer::seal_now(std::string& why) { return impl_->seal_now(why); }

}  // namespace lgsp::bus
