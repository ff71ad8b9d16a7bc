#include "lgsp/bus/exchange.hpp"

#include "lgsp/bus/caller.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/metrics.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/contracts/catalogue.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace lgsp::bus {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr ErrorCode kMessageIdConflict{"LGSP-409-MESSAGE-ID", 409, "This message id was used with a different payload",
                                       "Mã thông điệp đã được dùng cho một nội dung khác"};
constexpr ErrorCode kUnknownMessage{"LGSP-404-MESSAGE", 404, "No such message for this client",
                                    "Không có thông điệp này của hệ thống gọi"};

// Seconds since an RFC 3339 UTC time written by utc_rfc3339 (0 when it cannot be read).
double age_seconds(const std::string& at) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(at.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const double then = static_cast<double>(timegm(&tm)) + ms / 1000.0;
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return std::max(0.0, now - then);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Message and conversation ids: what a header can safely carry and a log line can safely show.
bool is_token(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '@';
  });
}

// What an earlier acceptance of (client, message id) recorded. A repeat gets its receipt only if it
// repeats the message: the same payload for the same service.
struct Accepted {
  std::string payload_sha256;
  std::string service;
  std::string receipt;  // JSON text
};

std::optional<Accepted> find_accepted(Transaction& tx, const std::string& client, const std::string& id) {
  const Value key[] = {client, id};
  auto rows = tx.query(
      "SELECT m.payload_sha256, m.service, m.accepted_at, b.seal FROM message m JOIN message_body b"
      " ON b.seq = m.seq WHERE m.client = ? AND m.id = ?",
      key);
  if (rows.empty()) return std::nullopt;
  Receipt r{id,
            as_text(rows[0][1]),
            client,
            as_text(rows[0][2]),
            as_text(rows[0][0]),
            nlohmann::json::parse(as_text(rows[0][3]))};
  return Accepted{r.payload_sha256, r.service, r.to_json().dump()};
}

// Empty when the submission repeats `a`; otherwise why the id conflicts.
std::string conflict_with(const Accepted& a, const std::string& id, const std::string& service,
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
  Receipt receipt;
};
using SubmissionPtr = std::shared_ptr<Submission>;
using Next = std::function<void(const SubmissionPtr&)>;

}  // namespace

struct Exchange::Impl : std::enable_shared_from_this<Exchange::Impl> {
  Dependencies deps;
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
  class HeadersStage;
  class AccessStage;
  class ContractStage;
  class IdempotencyStage;
  class SealStage;
  class PersistStage;
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
  Clock::time_point queues_measured{};

  Impl(Dependencies d, OutboundClient& c, ExchangeOptions o) : deps(std::move(d)), client(c), options(o) {}

  void run(std::size_t i, const SubmissionPtr& s) {
    if (i >= stages.size()) return;
    try {
      stages[i]->process(s, [this, i](const SubmissionPtr& next) { run(i + 1, next); });
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
  void deliver(std::int64_t seq, const Row& row);
  void record_outcome(std::int64_t seq, const std::string& service_id, int attempts, int replayed_after,
                      const RetryPolicy& retry, bool keep_payload, unsigned status, const std::string& error,
                      const std::string& subject);
};

class Exchange::Impl::HeadersStage : public Stage {
 public:
  using Stage::Stage;
  void process(const SubmissionPtr& s, const Next& next) override {
    auto& r = s->request;
    s->service_id = r.header("lgsp-service").value_or("");
    s->message_id = r.header("lgsp-message-id").value_or("");
    s->conversation = r.header("lgsp-conversation-id").value_or("");
    if (!Registry::is_service_id(s->service_id))
      return x.refuse(*s, problem(errors::kMissingHeader, "LGSP-Service must name a service MEMBER/SUBSYSTEM/code/vN"));
    if (!is_token(s->message_id))
      return x.refuse(*s, problem(errors::kMissingHeader,
                                  "LGSP-Message-Id is required: 1 to 128 characters of A-Z a-z 0-9 - _ . : @"));
    if (!s->conversation.empty() && !is_token(s->conversation))
      return x.refuse(
          *s, problem(errors::kMissingHeader, "LGSP-Conversation-Id: 1 to 128 characters of A-Z a-z 0-9 - _ . : @"));
    if (r.body.empty()) return x.refuse(*s, problem(errors::kContract, "the message has no payload"));
    next(s);
  }
};

class Exchange::Impl::AccessStage : public Stage {
 public:
  using Stage::Stage;
  void process(const SubmissionPtr& s, const Next& next) override {
    Store* store = x.deps.store();
    const auto* catalogue = x.deps.catalogue();
    if (!store || !catalogue) return x.refuse(*s, problem(errors::kNotReady, "the store is not open yet"));
    // Registry reads come from SQLite's page cache under WAL: no I/O wait, so they run here.
    Registry registry(*store, catalogue);
    auto who = identify_caller(s->request, registry, s->service_id);
    if (auto* refusal = std::get_if<HttpResponse>(&who)) return x.refuse(*s, std::move(*refusal));
    s->caller = std::get<Caller>(std::move(who));
    next(s);
  }
};

class Exchange::Impl::ContractStage : public Stage {
 public:
  using Stage::Stage;
  void process(const SubmissionPtr& s, const Next& next) override {
    const auto* contract = x.deps.catalogue()->find(s->caller.service.request_contract);
    if (!contract)
      return x.refuse(*s, problem(errors::kInternal, "contract " + s->caller.service.request_contract + " is gone"));
    auto result = contract->validate(s->request.body, x.deps.limits);
    if (!result.valid())
      return x.refuse(*s, problem(errors::kContract, "the payload does not satisfy " + contract->id(),
                                  contracts::to_json(result.errors)));
    next(s);
  }
};

// A repeated id from the same client gets the original receipt (200) and is not delivered again; the
// same id with another payload, or for another service, is a conflict (409). PersistStage checks again inside the
// transaction, for two copies racing each other.
class Exchange::Impl::IdempotencyStage : public Stage {
 public:
  using Stage::Stage;
  void process(const SubmissionPtr& s, const Next& next) override {
    const std::string digest = sha256_hex(s->request.body);
    std::optional<Accepted> existing;
    x.deps.store()->read([&](Transaction& tx) { existing = find_accepted(tx, s->caller.client, s->message_id); });
    if (existing) {
      auto conflict = conflict_with(*existing, s->message_id, s->service_id, digest);
      if (!conflict.empty()) return x.refuse(*s, problem(kMessageIdConflict, conflict));
      if (x.deps.metrics) x.deps.metrics->count_message("repeated", "");
      return s->reply(HttpResponse::json(200, json::parse(existing->receipt)));
    }
    s->receipt.message_id = s->message_id;
    s->receipt.service = s->service_id;
    s->receipt.client = s->caller.client;
    s->receipt.payload_sha256 = digest;
    next(s);
  }
};

class Exchange::Impl::SealStage : public Stage {
 public:
  using Stage::Stage;
  void process(const SubmissionPtr& s, const Next& next) override {
    Sealer* sealer = x.deps.sealer();
    std::string why;
    if (!sealer || !sealer->ready(why))
      return x.refuse(*s, problem(errors::kSigningUnavailable, why.empty() ? "signing is disabled on this node" : why));
    s->receipt.accepted_at = utc_now_rfc3339();
    // `keep` holds the exchange (and so this stage) alive until the HSM answers.
    sealer->seal(s->receipt.leaf(), [this, keep = x.shared_from_this(), s, next](json seal, std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          return x.refuse(*s, problem(errors::kSigningUnavailable, e.what()));
        }
      }
      s->receipt.signature = std::move(seal);
      next(s);
    });
  }
};

class Exchange::Impl::PersistStage : public Stage {
 public:
  using Stage::Stage;
  void process(const SubmissionPtr& s, const Next&) override {
    Store* store = x.deps.store();
    if (!store) return x.refuse(*s, problem(errors::kNotReady, "the store is closing"));
    // What the transaction found: a copy of this message accepted meanwhile (its receipt), if any.
    auto raced = std::make_shared<std::optional<Accepted>>();
    // Serialized once here (the seal carries the node's certificates, a few KiB): the same text goes
    // into the message row, the log record and the answer.
    auto receipt_text = std::make_shared<std::string>(s->receipt.to_json().dump());
    auto work = [s, raced, receipt_text](Transaction& tx) {
      const auto& r = s->receipt;
      const std::string content_type = s->request.header("content-type").value_or("application/octet-stream");
      Blob payload{std::vector<std::uint8_t>(s->request.body.begin(), s->request.body.end())};
      const Value m[] = {r.message_id,  r.client,
                         r.service,     s->conversation.empty() ? Value(nullptr) : Value(s->conversation),
                         content_type,  r.payload_sha256,
                         r.accepted_at, std::int64_t{now_ms()}};
      tx.exec(
          "INSERT INTO message(id, client, service, conversation, content_type, payload_sha256, accepted_at,"
          " state, next_attempt_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 'accepted', ?) ON CONFLICT (client, id) DO NOTHING",
          m);
      // A copy of this message accepted meanwhile (two sends racing past IdempotencyStage) makes the
      // insert do nothing; the stored receipt answers instead.
      if (tx.changes() == 0) {
        *raced = find_accepted(tx, s->caller.client, s->message_id);
        return;
      }
      const Value b[] = {tx.last_insert_id(), std::move(payload), r.signature.dump()};
      tx.exec("INSERT INTO message_body(seq, payload, seal) VALUES (?, ?, ?)", b);
      if (s->caller.via_node.empty()) {
        MessageLog::append_text(tx, "accepted", r.client + " " + r.message_id, *receipt_text);
      } else {
        json body = r.to_json();
        body["via_node"] = s->caller.via_node;
        MessageLog::append(tx, "accepted", r.client + " " + r.message_id, body);
      }
    };
    auto self = x.shared_from_this();
    const auto submitted = Clock::now();
    try {
      store->write(std::move(work), [self, s, raced, submitted, receipt_text](std::exception_ptr error) {
        if (self->deps.metrics)
          self->deps.metrics->observe_log_append(std::chrono::duration<double>(Clock::now() - submitted).count());
        if (error) {
          std::string why = "the message could not be stored";
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            why += std::string(": ") + e.what();
          }
          log::error("exchange.persist_failed", {{"message_id", s->message_id}, {"error", why}});
          // Nothing was acknowledged: the client may send it again.
          return self->refuse(*s, problem(errors::kNotReady, why));
        }
        if (*raced) {
          auto conflict = conflict_with(**raced, s->message_id, s->service_id, s->receipt.payload_sha256);
          if (!conflict.empty()) return self->refuse(*s, problem(kMessageIdConflict, conflict));
          return s->reply(HttpResponse::json(200, json::parse((*raced)->receipt)));
        }
        if (self->deps.metrics) self->deps.metrics->count_message("accepted", "");
        HttpResponse accepted;
        accepted.status = 202;
        accepted.body = std::move(*receipt_text);
        s->reply(std::move(accepted));
        self->notify_deliverer();
      });
    } catch (const StoreError& e) {
      x.refuse(*s, problem(errors::kNotReady, e.what()));
    }
  }
};

void Exchange::Impl::handle_status(HttpRequest& request, Reply reply) {
  Store* store = deps.store();
  if (!store) return reply(problem(errors::kNotReady, "the store is not open yet"));
  Registry registry(*store, deps.catalogue());
  auto who = authenticate_client(request, registry);
  if (auto* refusal = std::get_if<HttpResponse>(&who)) return reply(std::move(*refusal));
  const std::string client = std::get<Caller>(who).client;
  const std::string id = request.path_params["id"];
  json out;
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
                               json::parse(as_text(rows[0][4]))}
                           .to_json()},
           {"last_error", std::holds_alternative<std::string>(rows[0][5]) ? json(as_text(rows[0][5])) : json()},
           {"conversation", std::holds_alternative<std::string>(rows[0][6]) ? json(as_text(rows[0][6])) : json()},
           {"attempts", attempts}};
  });
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
      // Due messages whose conversation has nothing older still undelivered (that one goes first).
      store->read([&](Transaction& tx) {
        const Value p[] = {std::int64_t{now_ms()}, room + busy};
        due = tx.query(
            "SELECT m.seq, m.id, m.client, m.service, m.conversation, m.content_type, b.payload, m.accepted_at,"
            " b.seal, m.attempts, m.payload_sha256, m.replayed_after FROM message m JOIN message_body b ON b.seq = "
            "m.seq"
            " WHERE m.state IN ('accepted','delivering') AND m.next_attempt_ms <= ?"
            " AND (m.conversation IS NULL OR NOT EXISTS (SELECT 1 FROM message p WHERE p.client = m.client"
            "  AND p.conversation = m.conversation AND p.state IN ('accepted','delivering') AND p.seq < m.seq))"
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
    lock.lock();
    for (const auto& row : due) {
      if (stopping || in_flight.size() >= options.max_in_flight) break;
      const std::int64_t seq = as_int(row[0]);
      if (in_flight.count(seq) || finished_during_query.count(seq)) continue;
      in_flight.insert(seq);
      lock.unlock();
      deliver(seq, row);
      lock.lock();
    }
  }
}

void Exchange::Impl::deliver(std::int64_t seq, const Row& row) {
  const std::string message_id = as_text(row[1]);
  const std::string client_id = as_text(row[2]);
  const std::string service_id = as_text(row[3]);
  const int attempts = static_cast<int>(as_int(row[9]));
  const int replayed_after = static_cast<int>(as_int(row[11]));
  const std::string subject = client_id + " " + message_id;
  std::optional<Service> service;
  if (Store* store = deps.store()) service = Registry(*store, nullptr).find_service(service_id);
  RetryPolicy retry = service ? service->retry : RetryPolicy{};
  const bool keep_payload = service ? service->keep_payload : true;
  if (!service || !std::holds_alternative<Blob>(row[6])) {
    return record_outcome(seq, service_id, attempts, replayed_after, retry, keep_payload, 0,
                          !service ? "the service is no longer registered" : "the payload is no longer stored",
                          subject);
  }
  const auto& payload = std::get<Blob>(row[6]).bytes;
  OutboundRequest out;
  out.url = service->endpoint;
  out.body.assign(payload.begin(), payload.end());
  out.timeout = std::chrono::milliseconds(service->timeout_ms);
  out.headers = {{"Content-Type", as_text(row[5])},     {"LGSP-Client", client_id},
                 {"LGSP-Service", service_id},          {"LGSP-Message-Id", message_id},
                 {"LGSP-Accepted-At", as_text(row[7])}, {"LGSP-Payload-SHA256", as_text(row[10])},
                 {"LGSP-Signature", as_text(row[8])}};
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
  auto finish = [self = shared_from_this(), seq] {
    {
      std::lock_guard lock(self->mutex);
      self->in_flight.erase(seq);
      self->finished_during_query.insert(seq);
    }
    self->settled.notify_all();
    self->wake.notify_one();
  };
  Store* store = deps.store();
  if (!store) return finish();  // stopping: the message stays queued and is delivered after restart
  auto work = [=](Transaction& tx) {
    const std::string at = utc_now_rfc3339();
    const Value a[] = {std::int64_t{seq}, std::int64_t{attempt}, at,
                       status ? Value(std::int64_t{status}) : Value(nullptr),
                       error.empty() ? Value(nullptr) : Value(error)};
    tx.exec("INSERT INTO delivery_attempt(message_seq, attempt, at, status, error) VALUES (?, ?, ?, ?, ?)", a);
    const Value u[] = {state, std::int64_t{attempt}, std::int64_t{next}, error.empty() ? Value(nullptr) : Value(error),
                       std::int64_t{seq}};
    tx.exec("UPDATE message SET state = ?, attempts = ?, next_attempt_ms = ?, last_error = ? WHERE seq = ?", u);
    if (delivered && !keep_payload) {
      const Value d[] = {std::int64_t{seq}};
      tx.exec("UPDATE message_body SET payload = NULL WHERE seq = ?", d);
    }
    json body = {{"attempt", attempt}, {"status", status ? json(status) : json()}, {"state", state}};
    if (!error.empty()) body["error"] = error;
    if (delivered && !keep_payload) body["payload"] = "dropped";
    MessageLog::append(tx, delivered ? "delivered" : dead ? "dead" : "attempt", subject, body);
  };
  try {
    store->write(std::move(work), [finish, subject, state](std::exception_ptr e) {
      if (e) log::error("delivery.record_failed", {{"message", subject}, {"state", state}});
      finish();
    });
  } catch (const std::exception&) {
    finish();
  }
}

Exchange::Exchange(Dependencies dependencies, OutboundClient& client, ExchangeOptions options)
    : impl_(std::make_shared<Impl>(std::move(dependencies), client, options)) {
  auto& x = *impl_;
  x.stages.push_back(std::make_unique<Impl::HeadersStage>(x));
  x.stages.push_back(std::make_unique<Impl::AccessStage>(x));
  x.stages.push_back(std::make_unique<Impl::ContractStage>(x));
  x.stages.push_back(std::make_unique<Impl::IdempotencyStage>(x));
  x.stages.push_back(std::make_unique<Impl::SealStage>(x));
  x.stages.push_back(std::make_unique<Impl::PersistStage>(x));
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
  impl_->deliverer = std::thread([impl = impl_.get()] { impl->deliver_loop(); });
}

}  // namespace lgsp::bus
