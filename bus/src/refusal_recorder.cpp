#include "lgsp/bus/refusal_recorder.hpp"

#include "lgsp/bus/log.hpp"
#include "lgsp/bus/metrics.hpp"
#include "lgsp/bus/repositories.hpp"

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <nlohmann/json.hpp>

namespace lgsp::bus {
namespace {

using Clock = std::chrono::steady_clock;

// A value fit for the sample: control characters and bytes that are not UTF-8 become '?', so JSON
// escaping cannot grow it (a byte of 0x01 would be 6), and it is cut to `max` bytes on a character boundary.
std::string sample_value(const std::string& in, std::size_t max) {
  std::string out;
  out.reserve(std::min(in.size(), max));
  for (std::size_t i = 0; i < in.size();) {
    const auto c = static_cast<unsigned char>(in[i]);
    std::size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = n > 0 && i + n <= in.size();
    for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(in[i + k]) & 0xC0) == 0x80;
    if (ok && n == 2) ok = c >= 0xC2;  // no overlong 2-byte forms
    std::string piece;
    if (!ok) {
      piece = "?";
      n = 1;
    } else if (n == 1 && (c < 0x20 || c == 0x7f || c == '"' || c == '\\')) {
      piece = "?";  // control characters, and the two that JSON doubles
    } else {
      piece = in.substr(i, n);
    }
    if (out.size() + piece.size() > max) {
      out += "...";
      break;
    }
    out += piece;
    i += n;
  }
  return out;
}

}  // namespace

struct RefusalRecorder::Impl : std::enable_shared_from_this<RefusalRecorder::Impl> {
  std::function<Store*()> store;
  RefusalRecorderOptions options;
  prometheus::Family<prometheus::Counter>* refusals = nullptr;
  prometheus::Family<prometheus::Counter>* unsampled = nullptr;

  mutable std::mutex mutex;
  Clock::time_point window_start = Clock::now();
  std::map<std::pair<std::string, std::string>, unsigned> in_window;  // (kind, code) -> stored this minute
  unsigned stored_in_window = 0;
  Clock::time_point last_prune{};
  Totals totals;

  // Whether this refusal is stored (the sample has room).
  bool take(const std::string& kind, const std::string& code) {
    std::lock_guard lock(mutex);
    ++totals.counted;
    const auto now = Clock::now();
    if (now - window_start >= std::chrono::minutes(1)) {
      window_start = now;
      in_window.clear();
      stored_in_window = 0;
    }
    if (stored_in_window >= options.per_minute || options.per_code_per_minute == 0) return false;
    auto key = std::make_pair(kind, code);
    auto it = in_window.find(key);
    // The map holds at most per_minute entries: each was stored at least once this minute.
    if (it == in_window.end()) it = in_window.emplace(std::move(key), 0).first;
    if (it->second >= options.per_code_per_minute) return false;
    ++it->second;
    ++stored_in_window;
    ++totals.stored;
    return true;
  }

  bool prune_due() {
    std::lock_guard lock(mutex);
    const auto now = Clock::now();
    if (now - last_prune < options.prune_every) return false;
    last_prune = now;
    return true;
  }

  std::size_t max_event_bytes() const {
    // Up to 8 values, each at most max_value_bytes, plus names, punctuation and the code.
    return 8 * (options.max_value_bytes + 32) + 256;
  }

  void prune(std::function<void()> done) {
    Store* s = store();
    if (!s) {
      if (done) done();
      return;
    }
    {
      std::lock_guard lock(mutex);
      last_prune = Clock::now();
    }
    const auto max_age = options.max_age;
    const std::int64_t keep = options.max_rows;
    try {
      s->write(
          [max_age, keep](Transaction& tx) {
            const auto& events = repositories(tx).events;
            for (const char* kind : {kHttp, kMessage, kCall}) events.delete_older(tx, kind, max_age);
            // Beyond the row cap: everything older than the newest `keep` refusal events.
            events.keep_newest(tx, {kHttp, kMessage, kCall}, keep);
          },
          [done](std::exception_ptr e) {
            if (e) {
              try {
                std::rethrow_exception(e);
              } catch (const std::exception& x) {
                log::warn("refusals.prune_failed", {{"error", x.what()}});
              }
            }
            if (done) done();
          });
    } catch (const std::exception& e) {
      log::warn("refusals.prune_failed", {{"error", e.what()}});
      if (done) done();
    }
  }
};

RefusalRecorder::RefusalRecorder(std::function<Store*()> store, Metrics* metrics, RefusalRecorderOptions options)
    : impl_(std::make_shared<Impl>()) {
  impl_->store = std::move(store);
  impl_->options = options;
  if (metrics) {
    // Registered once per registry (prometheus-cpp merges a family added again under the same name).
    impl_->refusals = &prometheus::BuildCounter()
                           .Name("lgsp_refusals_total")
                           .Help("Refused requests by kind (http, message, call) and error code")
                           .Register(metrics->registry());
    impl_->unsampled = &prometheus::BuildCounter()
                            .Name("lgsp_refusals_unrecorded_total")
                            .Help("Refusals counted but not kept in node_event (the sample was full)")
                            .Register(metrics->registry());
  }
}

RefusalRecorder::~RefusalRecorder() = default;

std::size_t RefusalRecorder::max_event_bytes() const { return impl_->max_event_bytes(); }

void RefusalRecorder::record(const std::string& kind, const std::string& code, unsigned status, const Fields& fields) {
  try {
    const bool keep = impl_->take(kind, code);
    if (impl_->refusals) impl_->refusals->Add({{"kind", kind}, {"code", code}}).Increment();
    if (!keep) {
      if (impl_->unsampled) impl_->unsampled->Add({{"kind", kind}}).Increment();
      return;
    }
    Store* store = impl_->store();
    if (!store) return;
    const std::size_t max = impl_->options.max_value_bytes;
    nlohmann::json detail = {{"code", sample_value(code, 64)}, {"status", status}};
    std::size_t n = 0;
    for (const auto& [name, value] : fields) {
      if (++n > 6) break;
      detail[sample_value(name, 32)] = sample_value(value, max);
    }
    std::string text = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > impl_->max_event_bytes())
      text = nlohmann::json{{"code", sample_value(code, 64)}, {"status", status}, {"truncated", true}}.dump();
    store->write([kind, text = std::move(text)](Transaction& tx) { repositories(tx).events.insert(tx, kind, text); },
                 [](std::exception_ptr) {});
    if (impl_->prune_due()) impl_->prune({});
  } catch (const std::exception& e) {
    // The store is closing (or full): the refusal still goes out; it is counted.
    log::warn("refusals.record_failed", {{"error", e.what()}});
  }
}

void RefusalRecorder::record(const std::string& kind, const HttpResponse& refusal, Fields fields) {
  auto body = nlohmann::json::parse(refusal.body, nullptr, false);
  std::string code;
  if (body.is_object()) {
    if (auto it = body.find("code"); it != body.end() && it->is_string()) code = it->get<std::string>();
    if (auto it = body.find("detail"); it != body.end() && it->is_string())
      fields.emplace_back("detail", it->get<std::string>());
  }
  record(kind, code, refusal.status, fields);
}

void RefusalRecorder::prune(std::function<void()> done) { impl_->prune(std::move(done)); }

RefusalRecorder::Totals RefusalRecorder::totals() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->totals;
}

}  // namespace lgsp::bus
