// Internals of the exchange: its state, the deliverer's, and the context its pipeline's stages get
// (stages/stage.hpp). Not a public header.
#pragma once

#include "lgsp/bus/caller.hpp"
#include "lgsp/bus/exchange.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/metrics.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/refusal_recorder.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/repositories.hpp"
#include "lgsp/bus/seal_certificates.hpp"
#include "lgsp/bus/sealer.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/bus/wire_ids.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "stages/stage.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace lgsp::bus::exchange_detail {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr ErrorCode kUnknownMessage{"LGSP-404-MESSAGE", 404, "No such message for this client",
                                    "Không có thông điệp này của hệ thống gọi"};

// Seconds since an RFC 3339 UTC time written by utc_rfc3339 (0 when it cannot be read).
inline double age_seconds(const std::string& at) {
  auto then = parse_utc_rfc3339(at);
  if (!then) return 0;
  return std::max(0.0, std::chrono::duration<double>(std::chrono::system_clock::now() - *then).count());
}

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A stored seal (which may name its certificate instead of carrying it) made whole. A certificate this
// process has not seen (after a restart) is read from the store: through `tx` when given, else in a read
// transaction of its own. Rows read through the writer's open transaction (`tx_committed` false) are
// used but not remembered: that transaction may still roll back. Throws SealCertificateMissing when the
// store lacks it.
inline std::string expand_stored_seal(SealCertificateCache& certificates, Store* store, Transaction* tx,
                                      const std::string& stored, bool tx_committed) {
  if (auto full = certificates.expand(stored)) return std::move(*full);
  SealCertificates loaded;
  if (tx) {
    loaded = load_seal_certificates(*tx);
  } else if (store) {
    store->read([&](Transaction& t) { loaded = load_seal_certificates(t); });
  } else {
    throw StoreError("the store is closing");
  }
  if (!tx || tx_committed) certificates.remember_committed(loaded);
  if (auto full = expand_seal_text(stored, loaded)) return std::move(*full);
  const std::string sha = seal_certificate_sha256(stored);
  log::error("exchange.seal_certificate_missing", {{"cert_sha256", sha}});
  throw SealCertificateMissing("the stored seal names certificate " + sha +
                               ", which the store's seal_certificate table does not hold");
}

}  // namespace lgsp::bus::exchange_detail

namespace lgsp::bus {

using exchange_detail::age_seconds;

struct Exchange::Impl : std::enable_shared_from_this<Exchange::Impl> {
  using json = nlohmann::json;
  Dependencies deps;
  std::shared_ptr<SealCertificateCache> certificates =
      deps.seal_certificates ? deps.seal_certificates : std::make_shared<SealCertificateCache>();
  OutboundClient& client;
  ExchangeOptions options;

  // POST /v1/messages: headers -> access -> contract -> idempotency -> seal -> persist (stages/).
  std::shared_ptr<pipeline::Pipeline> pipeline;
  // Every refusal goes through it (counted; a bounded sample kept in node_event).
  std::shared_ptr<RefusalRecorder> refusals =
      deps.refusals ? deps.refusals : std::make_shared<RefusalRecorder>(deps.store, deps.metrics);

  // Deliverer state.
  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable settled;
  std::set<std::int64_t> in_flight;
  // Finished since the current due-query began: its snapshot may predate their outcome, so they must
  // not be taken for due again (that would deliver a message twice).
  std::set<std::int64_t> finished_during_query;
  bool stopping = false;
  bool started = false;
  bool claims_released = false;  // this node id's claims from before given up (deliverer thread only)
  std::thread deliverer;
  std::mt19937_64 random{std::random_device{}()};
  std::chrono::steady_clock::time_point queues_measured{};

  Impl(Dependencies d, OutboundClient& c, ExchangeOptions o) : deps(std::move(d)), client(c), options(o) {}

  // Answers a refusal and records it: counted by code, and sampled into node_event with who and why.
  static void refuse(Metrics* metrics, RefusalRecorder& refusals, pipeline::Submission& s, HttpResponse response) {
    auto body = json::parse(response.body, nullptr, false);
    const std::string code = body.is_object() && body.contains("code") && body["code"].is_string()
                                 ? body["code"].get<std::string>()
                                 : std::string();
    if (metrics) metrics->count_message("rejected", code);
    refusals.record(RefusalRecorder::kMessage, response,
                    {{"client", s.request.header("lgsp-client").value_or("")},
                     {"service", s.service_id},
                     {"message_id", s.message_id},
                     {"remote", s.request.remote}});
    s.reply(std::move(response));
  }

  void notify_deliverer() { wake.notify_one(); }

  // The full seal for a stored one (see expand_stored_seal).
  std::string full_seal(Transaction* tx, const std::string& stored, bool tx_committed = true) {
    return exchange_detail::expand_stored_seal(*certificates, deps.store(), tx, stored, tx_committed);
  }
  void handle_submit(HttpRequest& request, Reply reply) {
    auto s = std::make_shared<pipeline::Submission>();
    s->request = std::move(request);
    s->reply = std::move(reply);
    pipeline->run(s);
  }
  void handle_status(HttpRequest& request, Reply reply);

  // Delivery.
  void measure_queues(Store& store) {
    std::vector<std::tuple<std::string, std::int64_t, double>> queues;
    try {
      store.read([&](Transaction& tx) {
        for (auto& q : repositories(tx).messages.queues(tx))
          queues.emplace_back(q.service, q.depth, q.oldest_accepted_at ? age_seconds(*q.oldest_accepted_at) : 0.0);
      });
      deps.metrics->set_queues(queues);
    } catch (const std::exception& e) {
      log::warn("metrics.queue_failed", {{"error", e.what()}});
    }
  }
  void deliver_loop();
  void deliver(DueMessage message, const std::optional<Service>& service);
  void record_outcome(std::int64_t seq, const std::string& service_id, int attempts, int replayed_after,
                      const RetryPolicy& retry, bool keep_payload, unsigned status, const std::string& error,
                      const std::string& subject);

  // Delivery outcomes waiting for the store. They are recorded together, in one write unit per
  // batch: the first outcome into an empty list submits the unit, and the unit takes whatever has
  // gathered by the time the writer runs it (each outcome in its own savepoint inside it).
  struct Outcome {
    std::int64_t seq;
    int attempt;
    std::string state;
    std::int64_t next_attempt_ms;
    unsigned status;
    std::string error;
    bool drop_payload;
    std::string subject;
  };
  std::mutex outcomes_mutex;
  std::vector<Outcome> outcomes;
  bool outcome_unit_queued = false;
  void submit_outcomes();
  void finish_delivery(std::int64_t seq);
};

}  // namespace lgsp::bus
