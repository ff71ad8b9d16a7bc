#include "exchange_impl.hpp"

#include "lgsp/bus/caller.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/metrics.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/thread_name.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/contracts/catalogue.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace lgsp::bus {

using namespace exchange_detail;
using nlohmann::json;

void Exchange::Impl::handle_status(HttpRequest& request, Reply reply) {
  Store* store = deps.store();
  if (!store) return reply(problem(errors::kNotReady, "the store is not open yet"));
  Registry registry(*store, deps.catalogue());
  auto who = authenticate_client(request, registry);
  if (auto* refusal = std::get_if<HttpResponse>(&who)) return reply(std::move(*refusal));
  const std::string client = std::get<Caller>(who).client;
  const std::string id = request.path_params["id"];
  json out;
  try {
    store->read([&](Transaction& tx) {
      const Value key[] = {client, id};
      auto rows = tx.query(
          "SELECT m.seq, m.service, m.state, m.accepted_at, b.seal, m.last_error, m.conversation, m.payload_sha256"
          " FROM message m JOIN message_body b ON b.seq = m.seq WHERE m.client = ? AND m.id = ?",
          key);
      if (rows.empty()) return;
      const Value seq[] = {rows[0][0]};
      json attempts = json::array();
      for (auto& a : tx.query("SELECT attempt, at, status, error FROM delivery_attempt WHERE message_seq = ?"
                              " ORDER BY attempt",
                              seq))
        attempts.push_back({{"attempt", as_int(a[0])},
                            {"at", as_text(a[1])},
                            {"status", std::holds_alternative<std::int64_t>(a[2]) ? json(as_int(a[2])) : json()},
                            {"error", std::holds_alternative<std::string>(a[3]) ? json(as_text(a[3])) : json()}});
      out = {{"message_id", id},
             {"client", client},
             {"service", as_text(rows[0][1])},
             {"state", as_text(rows[0][2])},
             {"accepted_at", as_text(rows[0][3])},
             {"receipt", Receipt{id, as_text(rows[0][1]), client, as_text(rows[0][3]), as_text(rows[0][7]),
                                 json::parse(full_seal(&tx, as_text(rows[0][4])))}
                             .to_json()},
             {"last_error", std::holds_alternative<std::string>(rows[0][5]) ? json(as_text(rows[0][5])) : json()},
             {"conversation", std::holds_alternative<std::string>(rows[0][6]) ? json(as_text(rows[0][6])) : json()},
             {"attempts", attempts}};
    });
  } catch (const SealCertificateMissing& e) {
    return reply(problem(errors::kInternal, e.what()));
  }
  // Another client's message is "not found" too: its existence is nobody else's business.
  if (out.is_null()) return reply(problem(kUnknownMessage, "no message '" + id + "' from " + client));
  reply(HttpResponse::json(200, out));
}

void Exchange::Impl::deliver_loop() {
  std::unique_lock lock(mutex);
  while (!stopping) {
    wake.wait_for(lock, options.poll_interval);
    if (stopping) break;
    Store* store = deps.store();
    if (!store || in_flight.size() >= options.max_in_flight) continue;
    const auto room = static_cast<std::int64_t>(options.max_in_flight - in_flight.size());
    const auto busy = static_cast<std::int64_t>(in_flight.size());
    finished_during_query.clear();
    lock.unlock();
    std::vector<Row> due;
    try {
      // Due messages whose conversation has nothing older still undelivered (that one goes first). A dead
      // message is undelivered too: it holds back the rest of its conversation until it is replayed (or the
      // later ones would overtake it, and a replay would send it beside them).
      store->read([&](Transaction& tx) {
        const Value p[] = {std::int64_t{now_ms()}, room + busy};
        due = tx.query(
            "SELECT m.seq, m.id, m.client, m.service, m.conversation, m.content_type, b.payload, m.accepted_at,"
            " b.seal, m.attempts, m.payload_sha256, m.replayed_after FROM message m JOIN message_body b ON b.seq = "
            "m.seq"
            " WHERE m.state IN ('accepted','delivering') AND m.next_attempt_ms <= ?"
            " AND (m.conversation IS NULL OR NOT EXISTS (SELECT 1 FROM message p WHERE p.client = m.client"
            "  AND p.conversation = m.conversation AND p.state IN ('accepted','delivering','dead') AND p.seq < m.seq))"
            " ORDER BY m.next_attempt_ms, m.seq LIMIT ?",
            p);
      });
    } catch (const std::exception& e) {
      log::error("delivery.query_failed", {{"error", e.what()}});
    }
    if (deps.metrics && Clock::now() - queues_measured > std::chrono::seconds(1)) {
      queues_measured = Clock::now();
      measure_queues(*store);
    }
    // Each service is looked up once per round, not once per message.
    std::map<std::string, std::optional<Service>> services;
    try {
      // In one read, from the registry cache while the registry has not changed.
      Registry registry(*store, nullptr, deps.registry_cache.get());
      registry.in_one_read([&] {
        for (const auto& row : due) {
          auto [it, fresh] = services.try_emplace(as_text(row[3]));
          if (fresh) it->second = registry.find_service(it->first);
        }
      });
    } catch (const std::exception& e) {
      log::error("delivery.query_failed", {{"error", e.what()}});
      due.clear();
    }
    lock.lock();
    for (const auto& row : due) {
      if (stopping || in_flight.size() >= options.max_in_flight) break;
      const std::int64_t seq = as_int(row[0]);
      if (in_flight.count(seq) || finished_during_query.count(seq)) continue;
      in_flight.insert(seq);
      lock.unlock();
      deliver(seq, row, services[as_text(row[3])]);
      lock.lock();
    }
  }
}

void Exchange::Impl::deliver(std::int64_t seq, const Row& row, const std::optional<Service>& service) {
  const std::string message_id = as_text(row[1]);
  const std::string client_id = as_text(row[2]);
  const std::string service_id = as_text(row[3]);
  const int attempts = static_cast<int>(as_int(row[9]));
  const int replayed_after = static_cast<int>(as_int(row[11]));
  const std::string subject = client_id + " " + message_id;
  RetryPolicy retry = service ? service->retry : RetryPolicy{};
  const bool keep_payload = service ? service->keep_payload : true;
  if (!service || !std::holds_alternative<Blob>(row[6])) {
    return record_outcome(seq, service_id, attempts, replayed_after, retry, keep_payload, 0,
                          !service ? "the service is no longer registered" : "the payload is no longer stored",
                          subject);
  }
  std::string seal;
  try {
    seal = full_seal(nullptr, as_text(row[8]));
  } catch (const SealCertificateMissing& e) {
    // Not sent: the receiver could not verify it. Retried, so restoring the row lets it go out.
    return record_outcome(seq, service_id, attempts, replayed_after, retry, keep_payload, 0, e.what(), subject);
  } catch (const std::exception& e) {
    // The store could not be read (or is closing): not an attempt; the message is due again.
    log::error("delivery.seal_unavailable", {{"message_id", message_id}, {"error", e.what()}});
    return finish_delivery(seq);
  }
  const auto& payload = std::get<Blob>(row[6]).bytes;
  OutboundRequest out;
  out.url = service->endpoint;
  out.body.assign(payload.begin(), payload.end());
  out.timeout = std::chrono::milliseconds(service->timeout_ms);
  out.headers = {{"Content-Type", as_text(row[5])},     {"LGSP-Client", client_id},
                 {"LGSP-Service", service_id},          {"LGSP-Message-Id", message_id},
                 {"LGSP-Accepted-At", as_text(row[7])}, {"LGSP-Payload-SHA256", as_text(row[10])},
                 {"LGSP-Signature", std::move(seal)}};
  if (std::holds_alternative<std::string>(row[4])) out.headers.emplace_back("LGSP-Conversation-Id", as_text(row[4]));
  auto self = shared_from_this();
  client.send(std::move(out),
              [self, seq, service_id, attempts, replayed_after, retry, keep_payload, subject](OutboundResponse r) {
                std::string error;
                if (!r.ok())
                  error = r.error;
                else if (r.status < 200 || r.status >= 300)
                  error = "the endpoint answered HTTP " + std::to_string(r.status);
                self->record_outcome(seq, service_id, attempts, replayed_after, retry, keep_payload,
                                     r.ok() ? r.status : 0, error, subject);
              });
}

void Exchange::Impl::record_outcome(std::int64_t seq, const std::string& service_id, int attempts, int replayed_after,
                                    const RetryPolicy& retry, bool keep_payload, unsigned status,
                                    const std::string& error, const std::string& subject) {
  const int attempt = attempts + 1;
  const bool delivered = error.empty();
  const bool dead = !delivered && attempt - replayed_after >= retry.max_attempts;
  std::int64_t next = now_ms();
  if (!delivered && !dead) {
    // Exponential backoff with jitter: retries of many messages to one endpoint do not come in waves.
    double delay = retry.initial_backoff_ms * std::pow(2.0, attempt - replayed_after - 1);
    delay = std::min<double>(delay, retry.max_backoff_ms);
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    {
      std::lock_guard lock(mutex);
      delay *= jitter(random);
    }
    next += static_cast<std::int64_t>(delay);
  }
  const std::string state = delivered ? "delivered" : dead ? "dead" : "delivering";
  if (deps.metrics) deps.metrics->count_delivery(service_id, state);
  if (!deps.store()) return finish_delivery(seq);  // stopping: the message stays queued, delivered after restart
  bool submit = false;
  {
    std::lock_guard lock(outcomes_mutex);
    outcomes.push_back({seq, attempt, state, next, status, error, delivered && !keep_payload, subject});
    submit = !std::exchange(outcome_unit_queued, true);
  }
  if (submit) submit_outcomes();
}

void Exchange::Impl::finish_delivery(std::int64_t seq) {
  {
    std::lock_guard lock(mutex);
    in_flight.erase(seq);
    finished_during_query.insert(seq);
  }
  settled.notify_all();
  wake.notify_one();
}

void Exchange::Impl::submit_outcomes() {
  // What the unit took from `outcomes` when the writer ran it.
  struct Taken {
    bool ran = false;
    std::vector<Outcome> outcomes;
  };
  auto taken = std::make_shared<Taken>();
  auto take_all = [this] {
    std::lock_guard lock(outcomes_mutex);
    outcome_unit_queued = false;
    return std::exchange(outcomes, {});
  };
  auto work = [taken, take_all](Transaction& tx) {
    taken->ran = true;
    taken->outcomes = take_all();
    const std::string at = utc_now_rfc3339();
    for (const auto& o : taken->outcomes) {
      // A failing outcome rolls back only itself: its message stays queued and is delivered again.
      tx.exec("SAVEPOINT outcome");
      try {
        const Value a[] = {std::int64_t{o.seq}, std::int64_t{o.attempt}, at,
                           o.status ? Value(std::int64_t{o.status}) : Value(nullptr),
                           o.error.empty() ? Value(nullptr) : Value(o.error)};
        tx.exec("INSERT INTO delivery_attempt(message_seq, attempt, at, status, error) VALUES (?, ?, ?, ?, ?)", a);
        const Value u[] = {o.state, std::int64_t{o.attempt}, std::int64_t{o.next_attempt_ms},
                           o.error.empty() ? Value(nullptr) : Value(o.error), std::int64_t{o.seq}};
        tx.exec("UPDATE message SET state = ?, attempts = ?, next_attempt_ms = ?, last_error = ? WHERE seq = ?", u);
        if (o.drop_payload) {
          const Value d[] = {std::int64_t{o.seq}};
          tx.exec("UPDATE message_body SET payload = NULL WHERE seq = ?", d);
        }
        json body = {{"attempt", o.attempt}, {"status", o.status ? json(o.status) : json()}, {"state", o.state}};
        if (!o.error.empty()) body["error"] = o.error;
        if (o.drop_payload) body["payload"] = "dropped";
        MessageLog::append(tx, o.state == "delivering" ? "attempt" : o.state, o.subject, body);
        tx.exec("RELEASE outcome");
      } catch (const std::exception& e) {
        log::error("delivery.record_failed", {{"message", o.subject}, {"state", o.state}, {"error", e.what()}});
        tx.exec("ROLLBACK TO outcome");
        tx.exec("RELEASE outcome");
      }
    }
  };
  auto done = [self = shared_from_this(), taken, take_all](std::exception_ptr e) {
    // Never run (the transaction could not begin): what gathered is given up like a failed write.
    if (!taken->ran) taken->outcomes = take_all();
    if (e)
      for (const auto& o : taken->outcomes)
        log::error("delivery.record_failed", {{"message", o.subject}, {"state", o.state}});
    for (const auto& o : taken->outcomes) self->finish_delivery(o.seq);
  };
  Store* store = deps.store();
  try {
    if (!store) throw StoreError("the store is closing");
    store->write(std::move(work), std::move(done));
  } catch (const std::exception&) {
    for (const auto& o : take_all()) finish_delivery(o.seq);
  }
}

Exchange::Exchange(Dependencies dependencies, OutboundClient& client, ExchangeOptions options)
    : impl_(std::make_shared<Impl>(std::move(dependencies), client, options)) {
  // The stages see this context, never the exchange: what they need, and refuse/accepted callbacks.
  auto& x = *impl_;
  auto context = std::make_shared<pipeline::MessageContext>();
  context->store = x.deps.store;
  context->catalogue = x.deps.catalogue;
  context->registry_cache = x.deps.registry_cache;
  context->limits = x.deps.limits;
  context->metrics = x.deps.metrics;
  context->refuse = [metrics = x.deps.metrics, refusals = x.refusals](pipeline::Submission& s, HttpResponse r) {
    Impl::refuse(metrics, *refusals, s, std::move(r));
  };
  context->sealer = x.deps.sealer;
  context->certificates = x.certificates;
  context->full_seal = [certificates = x.certificates, store = x.deps.store](Transaction& tx, const std::string& stored,
                                                                             bool committed) {
    return expand_stored_seal(*certificates, store(), &tx, stored, committed);
  };
  context->accepted = [weak = std::weak_ptr<Impl>(impl_)] {
    if (auto x = weak.lock()) x->notify_deliverer();
  };
  std::vector<std::unique_ptr<pipeline::Stage>> stages;
  stages.push_back(pipeline::headers(context));
  stages.push_back(pipeline::access(context));
  stages.push_back(pipeline::contract(context));
  stages.push_back(pipeline::idempotency(context));
  stages.push_back(pipeline::seal(context));
  stages.push_back(pipeline::persist(context));
  x.pipeline = std::make_shared<pipeline::Pipeline>(context, std::move(stages));
}

Exchange::~Exchange() { stop(); }

void Exchange::stop() {
  std::unique_lock lock(impl_->mutex);
  if (impl_->stopping) return;
  impl_->stopping = true;
  lock.unlock();
  impl_->wake.notify_all();
  if (impl_->deliverer.joinable()) impl_->deliverer.join();
  // Let deliveries on the wire record their outcome (bounded: a timeout records a failure).
  lock.lock();
  impl_->settled.wait_for(lock, std::chrono::seconds(10), [&] { return impl_->in_flight.empty(); });
}

void Exchange::add_routes(Router& router) {
  auto impl = impl_;
  router.add("POST", "/v1/messages", [impl](HttpRequest& r, Reply reply) { impl->handle_submit(r, std::move(reply)); });
  router.add("GET", "/v1/messages/{id}",
             [impl](HttpRequest& r, Reply reply) { impl->handle_status(r, std::move(reply)); });
}

void Exchange::start_delivery() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->started) return;
  impl_->started = true;
  impl_->deliverer = std::thread([impl = impl_.get()] {
    name_this_thread("lgsp-deliver");
    impl->deliver_loop();
  });
}

}  // namespace lgsp::bus
