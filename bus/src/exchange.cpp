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
      const auto& messages = repositories(tx).messages;
      auto m = messages.find_status(tx, client, id);
      if (!m) return;
      json attempts = json::array();
      for (auto& a : messages.attempts(tx, m->seq))
        attempts.push_back({{"attempt", a.attempt},
                            {"at", a.at},
                            {"status", a.status ? json(*a.status) : json()},
                            {"error", a.error ? json(*a.error) : json()}});
      out = {{"message_id", id},
             {"client", client},
             {"service", m->service},
             {"state", m->state},
             {"accepted_at", m->accepted_at},
             {"receipt",
              Receipt{id, m->service, client, m->accepted_at, m->payload_sha256, json::parse(full_seal(&tx, m->seal))}
                  .to_json()},
             {"last_error", m->last_error ? json(*m->last_error) : json()},
             {"conversation", m->conversation ? json(*m->conversation) : json()},
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
    std::vector<DueMessage> due;
    const bool claims = !options.claim_as.empty();
    try {
      // Due messages whose conversation has nothing older still undelivered (that one goes first). A dead
      // message is undelivered too: it holds back the rest of its conversation until it is replayed (or the
      // later ones would overtake it, and a replay would send it beside them).
      if (!claims) {
        store->read([&](Transaction& tx) { due = repositories(tx).messages.due(tx, now_ms(), room + busy); });
      } else {
        // Several nodes on one database: claimed for this node, so no other node sends them meanwhile. Our
        // own deliveries on the wire hold unexpired claims, so they are not claimed again: `room` is enough.
        // A claim left by this node id before (a restart after a crash) is given up first, not waited out.
        if (!claims_released)
          store->write([&](Transaction& tx) { repositories(tx).messages.release_claims(tx, options.claim_as); }).get();
        claims_released = true;
        store
            ->write([&](Transaction& tx) {
              due = repositories(tx).messages.claim_due(tx, now_ms(), room, options.claim_as, options.lease.count());
            })
            .get();
      }
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
        for (const auto& message : due) {
          auto [it, fresh] = services.try_emplace(message.service);
          if (fresh) it->second = registry.find_service(it->first);
        }
      });
    } catch (const std::exception& e) {
      log::error("delivery.query_failed", {{"error", e.what()}});
      due.clear();
    }
    lock.lock();
    for (auto& message : due) {
      if (stopping || in_flight.size() >= options.max_in_flight) break;
      const std::int64_t seq = message.seq;
      // (A claim is taken after the outcomes before it were committed: nothing claimed is finished already.)
      if (in_flight.count(seq) || (!claims && finished_during_query.count(seq))) continue;
      in_flight.insert(seq);
      lock.unlock();
      const auto& service = services[message.service];
      deliver(std::move(message), service);
      lock.lock();
    }
  }
}

void Exchange::Impl::deliver(DueMessage m, const std::optional<Service>& service) {
  const std::int64_t seq = m.seq;
  const std::string& message_id = m.id;
  const std::string& client_id = m.client;
  const std::string service_id = m.service;
  const int attempts = static_cast<int>(m.attempts);
  const int replayed_after = static_cast<int>(m.replayed_after);
  const std::string subject = client_id + " " + message_id;
  RetryPolicy retry = service ? service->retry : RetryPolicy{};
  const bool keep_payload = service ? service->keep_payload : true;
  if (!service || !m.payload) {
    return record_outcome(seq, service_id, attempts, replayed_after, retry, keep_payload, 0,
                          !service ? "the service is no longer registered" : "the payload is no longer stored",
                          subject);
  }
  std::string seal;
  try {
    seal = full_seal(nullptr, m.seal);
  } catch (const SealCertificateMissing& e) {
    // Not sent: the receiver could not verify it. Retried, so restoring the row lets it go out.
    return record_outcome(seq, service_id, attempts, replayed_after, retry, keep_payload, 0, e.what(), subject);
  } catch (const std::exception& e) {
    // The store could not be read (or is closing): not an attempt; the message is due again.
    log::error("delivery.seal_unavailable", {{"message_id", message_id}, {"error", e.what()}});
    return finish_delivery(seq);
  }
  const auto& payload = m.payload->bytes;
  OutboundRequest out;
  out.url = service->endpoint;
  out.body.assign(payload.begin(), payload.end());
  out.timeout = std::chrono::milliseconds(service->timeout_ms);
  out.headers = {{"Content-Type", m.content_type},    {"LGSP-Client", client_id},
                 {"LGSP-Service", service_id},        {"LGSP-Message-Id", message_id},
                 {"LGSP-Accepted-At", m.accepted_at}, {"LGSP-Payload-SHA256", m.payload_sha256},
                 {"LGSP-Signature", std::move(seal)}};
  if (m.conversation) out.headers.emplace_back("LGSP-Conversation-Id", *m.conversation);
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
  // On a shared store an outcome is recorded only under this node's claim (DeliveryState::claimed_by).
  const auto claimed_by = options.claim_as.empty() ? std::nullopt : std::optional<std::string>(options.claim_as);
  auto work = [taken, take_all, claimed_by](Transaction& tx) {
    taken->ran = true;
    taken->outcomes = take_all();
    const std::string at = utc_now_rfc3339();
    for (const auto& o : taken->outcomes) {
      // A failing outcome rolls back only itself: its message stays queued and is delivered again.
      auto failed = tx.try_in_savepoint([&] {
        const auto& messages = repositories(tx).messages;
        const auto status = o.status ? std::optional<std::int64_t>(o.status) : std::nullopt;
        const auto error = o.error.empty() ? std::nullopt : std::optional<std::string>(o.error);
        if (!messages.set_delivery_state(tx, {o.seq, o.state, o.attempt, o.next_attempt_ms, error, claimed_by}) &&
            claimed_by) {
          // The lease ran out and another node took the message over: its outcome is the one that counts.
          log::warn("delivery.claim_lost", {{"message", o.subject}, {"state", o.state}});
          return;
        }
        messages.record_attempt(tx, {o.seq, o.attempt, at, status, error});
        if (o.drop_payload) messages.drop_payload(tx, o.seq);
        json body = {{"attempt", o.attempt}, {"status", o.status ? json(o.status) : json()}, {"state", o.state}};
        if (!o.error.empty()) body["error"] = o.error;
        if (o.drop_payload) body["payload"] = "dropped";
        MessageLog::append(tx, o.state == "delivering" ? "attempt" : o.state, o.subject, body);
      });
      if (failed) {
        std::string why = "unknown error";
        try {
          std::rethrow_exception(failed);
        } catch (const std::exception& e) {
          why = e.what();
        } catch (...) {
        }
        log::error("delivery.record_failed", {{"message", o.subject}, {"state", o.state}, {"error", why}});
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
  lock.unlock();
  // Claims this node still holds (claimed, not sent) go back at once rather than after the lease.
  if (!impl_->options.claim_as.empty() && impl_->started) {
    try {
      if (Store* store = impl_->deps.store())
        store->write([&](Transaction& tx) { repositories(tx).messages.release_claims(tx, impl_->options.claim_as); })
            .get();
    } catch (const std::exception& e) {
      log::warn("delivery.release_failed", {{"error", e.what()}});
    }
  }
}

void Exchange::add_routes(Router& router) {
  auto impl = impl_;
  router.add("POST", "/v1/messages", [impl](HttpRequest& r, Reply reply) { impl->handle_submit(r, std::move(reply)); });
  router.add("GET", "/v1/messages/{id}",
             [impl](HttpRequest& r, Reply reply) { impl->handle_status(r, std::move(reply)); });
}

void Exchange::submit(HttpRequest request, Reply reply) { impl_->handle_submit(request, std::move(reply)); }

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
