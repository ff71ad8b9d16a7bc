// Internals of the exchange shared by its files: the submission passed along the stages, the Stage
// interface, the exchange's state and the helpers the stages use. Not a public header.
#pragma once

#include "lgsp/bus/caller.hpp"
#include "lgsp/bus/exchange.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/metrics.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/seal_certificates.hpp"
#include "lgsp/bus/sealer.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/bus/wire_ids.hpp"
#include "lgsp/contracts/catalogue.hpp"

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

constexpr ErrorCode kMessageIdConflict{"LGSP-409-MESSAGE-ID", 409, "This message id was used with a different payload",
                                       "Mã thông điệp đã được dùng cho một nội dung khác"};
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

// What an earlier acceptance of (client, message id) recorded. A repeat gets its receipt only if it
// repeats the message: the same payload for the same service.
struct Accepted {
  std::string payload_sha256;
  std::string service;
  std::string receipt;  // JSON text

  // The stored receipt as the answer to a repeated message.
  HttpResponse answer() const {
    HttpResponse r;
    r.status = 200;
    r.body = receipt;
    return r;
  }
};

// A stored seal (which may name its certificate instead of carrying it) made whole, reading the
// store's certificates through `tx` when needed.
using SealExpander = std::function<std::string(Transaction& tx, const std::string& stored)>;

inline std::optional<Accepted> find_accepted(Transaction& tx, const std::string& client, const std::string& id,
                                             const SealExpander& full_seal) {
  const Value key[] = {client, id};
  auto rows = tx.query(
      "SELECT m.payload_sha256, m.service, m.accepted_at, b.seal FROM message m JOIN message_body b"
      " ON b.seq = m.seq WHERE m.client = ? AND m.id = ?",
      key);
  if (rows.empty()) return std::nullopt;
  Receipt r{id, as_text(rows[0][1]), client, as_text(rows[0][2]), as_text(rows[0][0]), nullptr};
  // The stored seal is compact JSON text (as dump() wrote it): spliced into the receipt unparsed.
  return Accepted{r.payload_sha256, r.service, r.to_text(full_seal(tx, as_text(rows[0][3])))};
}

// Empty when the submission repeats `a`; otherwise why the id conflicts.
inline std::string conflict_with(const Accepted& a, const std::string& id, const std::string& service,
                                 const std::string& digest) {
  if (a.service != service) return "message id '" + id + "' was accepted for service " + a.service + ", not " + service;
  if (a.payload_sha256 != digest)
    return "message id '" + id + "' was accepted with payload " + a.payload_sha256 + ", not " + digest;
  return {};
}

// One message on its way through the pipeline.
struct Submission {
  HttpRequest request;
  Reply reply;
  std::string service_id;
  std::string message_id;
  std::string conversation;  // empty: none
  Caller caller;
  Receipt receipt;  // its signature stays null: the seal travels as text (`seal`)
  Seal seal;        // compact JSON, as the signer wrote it (full, and as stored)
};
using SubmissionPtr = std::shared_ptr<Submission>;
using Next = std::function<void(const SubmissionPtr&)>;

}  // namespace lgsp::bus::exchange_detail

namespace lgsp::bus {

using exchange_detail::age_seconds;
using exchange_detail::Next;
using exchange_detail::Submission;
using exchange_detail::SubmissionPtr;

struct Exchange::Impl : std::enable_shared_from_this<Exchange::Impl> {
  using json = nlohmann::json;
  Dependencies deps;
  std::shared_ptr<SealCertificateCache> certificates =
      deps.seal_certificates ? deps.seal_certificates : std::make_shared<SealCertificateCache>();
  OutboundClient& client;
  ExchangeOptions options;

  // Each stage of POST /v1/messages is one small class behind this interface (Envoy-filter style):
  // it answers (refusing or accepting) or passes the submission on, now or later from another thread.
  class Stage {
   public:
    explicit Stage(Impl& exchange) : x(exchange) {}
    virtual ~Stage() = default;
    virtual void process(const SubmissionPtr& s, const Next& next) = 0;

   protected:
    Impl& x;
  };
  std::vector<std::unique_ptr<Stage>> stages;

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
  std::thread deliverer;
  std::mt19937_64 random{std::random_device{}()};
  std::chrono::steady_clock::time_point queues_measured{};

  Impl(Dependencies d, OutboundClient& c, ExchangeOptions o) : deps(std::move(d)), client(c), options(o) {}

  void run(std::size_t i, const SubmissionPtr& s) {
    if (i >= stages.size()) return;
    try {
      stages[i]->process(s, [this, i](const SubmissionPtr& next) { run(i + 1, next); });
    } catch (const SealCertificateMissing& e) {
      refuse(*s, problem(errors::kInternal, e.what()));
    } catch (const std::exception& e) {
      log::error("exchange.stage_failed", {{"stage", i}, {"error", e.what()}});
      refuse(*s, problem(errors::kInternal, "the message could not be processed"));
    }
  }

  // Answers a refusal and records it: counted by code, and kept as a node event with who and why.
  void refuse(Submission& s, HttpResponse response) {
    auto body = json::parse(response.body, nullptr, false);
    const std::string code = body.is_object() ? body.value("code", "") : "";
    if (deps.metrics) deps.metrics->count_message("rejected", code);
    if (Store* store = deps.store()) {
      std::string detail = json{{"code", code},
                                {"status", response.status},
                                {"client", s.request.header("lgsp-client").value_or("")},
                                {"service", s.service_id},
                                {"message_id", s.message_id},
                                {"remote", s.request.remote},
                                {"detail", body.is_object() ? body.value("detail", "") : ""}}
                               .dump();
      try {
        store->write(
            [detail](Transaction& tx) {
              const Value p[] = {std::string("message.rejected"), detail};
              tx.exec("INSERT INTO node_event(kind, detail) VALUES (?, ?)", p);
            },
            [](std::exception_ptr) {});
      } catch (const std::exception&) {
        // The store is closing: the answer still goes out.
      }
    }
    s.reply(std::move(response));
  }

  void notify_deliverer() { wake.notify_one(); }

  // The full seal for a stored one. A certificate this process has not seen (after a restart) is
  // read from the store: through `tx` when given, else in a read transaction of its own. Rows read
  // through the writer's open transaction (`tx_committed` false) are used but not remembered: that
  // transaction may still roll back. Throws SealCertificateMissing when the store lacks it.
  std::string full_seal(Transaction* tx, const std::string& stored, bool tx_committed = true) {
    if (auto full = certificates->expand(stored)) return std::move(*full);
    SealCertificates loaded;
    if (tx) {
      loaded = load_seal_certificates(*tx);
    } else if (Store* store = deps.store()) {
      store->read([&](Transaction& t) { loaded = load_seal_certificates(t); });
    } else {
      throw StoreError("the store is closing");
    }
    if (!tx || tx_committed) certificates->remember_committed(loaded);
    if (auto full = expand_seal_text(stored, loaded)) return std::move(*full);
    const std::string sha = seal_certificate_sha256(stored);
    log::error("exchange.seal_certificate_missing", {{"cert_sha256", sha}});
    throw SealCertificateMissing("the stored seal names certificate " + sha +
                                 ", which the store's seal_certificate table does not hold");
  }
  // `tx_committed`: false for the writer's open transaction.
  exchange_detail::SealExpander expander(bool tx_committed) {
    return [this, tx_committed](Transaction& tx, const std::string& stored) {
      return full_seal(&tx, stored, tx_committed);
    };
  }

  void handle_submit(HttpRequest& request, Reply reply) {
    auto s = std::make_shared<Submission>();
    s->request = std::move(request);
    s->reply = std::move(reply);
    run(0, s);
  }
  void handle_status(HttpRequest& request, Reply reply);

  // Delivery.
  void measure_queues(Store& store) {
    std::vector<std::tuple<std::string, std::int64_t, double>> queues;
    try {
      store.read([&](Transaction& tx) {
        for (auto& r : tx.query("SELECT service, count(*) FROM message"
                                " WHERE state IN ('accepted','delivering') GROUP BY service"))
          queues.emplace_back(as_text(r[0]), as_int(r[1]), 0.0);
        for (auto& [service, depth, oldest] : queues) {
          const Value p[] = {service};
          auto rows = tx.query(
              "SELECT min(accepted_at) FROM message WHERE state IN ('accepted','delivering')"
              " AND service = ?",
              p);
          if (!rows.empty() && std::holds_alternative<std::string>(rows[0][0]))
            oldest = age_seconds(as_text(rows[0][0]));
        }
      });
      deps.metrics->set_queues(queues);
    } catch (const std::exception& e) {
      log::warn("metrics.queue_failed", {{"error", e.what()}});
    }
  }
  void deliver_loop();
  void deliver(std::int64_t seq, const Row& row, const std::optional<Service>& service);
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

// One file per stage (bus/src/stages/), each giving its factory here. Adding a stage (rate limit,
// transform) is a file there, a factory here and one line in Exchange::Exchange.
namespace stages {
std::unique_ptr<Exchange::Impl::Stage> headers(Exchange::Impl& x);
std::unique_ptr<Exchange::Impl::Stage> access(Exchange::Impl& x);
std::unique_ptr<Exchange::Impl::Stage> contract(Exchange::Impl& x);
std::unique_ptr<Exchange::Impl::Stage> idempotency(Exchange::Impl& x);
std::unique_ptr<Exchange::Impl::Stage> seal(Exchange::Impl& x);
std::unique_ptr<Exchange::Impl::Stage> persist(Exchange::Impl& x);
}  // namespace stages

}  // namespace lgsp::bus
