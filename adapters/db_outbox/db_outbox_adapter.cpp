#include "db_outbox_adapter.hpp"

#include "cursor_file.hpp"
#include "db_errors.hpp"
#include "inbox_store.hpp"
#include "outbox_store.hpp"
#include "pg.hpp"

#include "lgsp/adapters/backoff.hpp"
#include "lgsp/adapters/errors.hpp"
#include "lgsp/bus/http.hpp"
#include "lgsp/bus/request_handler.hpp"
#include "lgsp/bus/router.hpp"
#include "lgsp/bus/wire_ids.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

namespace lgsp::adapters {
namespace {

using namespace std::chrono_literals;
using db::PgConnection;
using db::PgError;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kNoCursor = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kBacklogCap = 1000000;  // counting beyond this costs more than it tells

struct OutboxSettings {
  db::OutboxTable table;
  std::string service;
  std::string content_type;
  int batch = 100;
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds gap_wait{1000};
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  bool start_at_end = false;
};

struct InboxSettings {
  db::InboxTable table;
  bool create_table = false;
  std::string service;  // empty: any service the node delivers here
  unsigned workers = 2;
};

std::string bounded(std::string s, std::size_t max = 300) {
  if (s.size() > max) s = s.substr(0, max) + "...";
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return s;
}

template <typename Make>
auto identifiers(ConfigTable& table, const std::string& key, Make make) {
  try {
    return make();
  } catch (const std::invalid_argument& e) {
    throw AdapterConfigError(table.where(key), e.what());
  }
}

class DbOutboxAdapter final : public Adapter {
 public:
  explicit DbOutboxAdapter(ConfigTable& table) {
    name_ = table.required_string("name");
    conninfo_ = table.required_secret("connection");
    if (auto t = table.optional_table("outbox")) {
      OutboxSettings s;
      s.table.table = t->required_string("table");
      s.table.key_column = t->required_string("key_column");
      s.table.payload_column = t->string("payload_column", "");
      s.table.columns = t->strings("columns");
      s.table.message_id_column = t->string("message_id_column", "");
      s.table.conversation_column = t->string("conversation_column", "");
      if (!s.table.payload_column.empty() && !s.table.columns.empty())
        throw AdapterConfigError(t->where("columns"), "give payload_column or columns, not both");
      s.service = t->required_string("service");
      s.content_type = t->string("content_type", "application/json");
      s.batch = static_cast<int>(t->integer("batch", 100, 1, 10000));
      s.poll_interval = t->milliseconds("poll_interval_ms", 1000ms, 10ms, 3600000ms);
      s.gap_wait = t->milliseconds("gap_wait_ms", 1000ms, 0ms, 600000ms);
      s.initial_backoff = t->milliseconds("initial_backoff_ms", 500ms, 10ms, 600000ms);
      s.max_backoff = t->milliseconds("max_backoff_ms", 30000ms, 10ms, 3600000ms);
      s.start_at_end = t->choice("start_from", {"beginning", "end"}, "beginning") == "end";
      store_.emplace(identifiers(*t, "table", [&] { return db::OutboxStore(s.table); }));
      outbox_ = std::move(s);
    }
    if (auto t = table.optional_table("inbox")) {
      InboxSettings s;
      s.table.table = t->required_string("table");
      s.create_table = t->boolean("create_table", false);
      s.service = t->string("service", "");
      s.workers = static_cast<unsigned>(t->integer("workers", 2, 1, 64));
      const auto columns = t->string_map("columns");
      static const std::vector<std::string> kKnown = {"message_id",  "client",  "service",     "conversation_id",
                                                      "accepted_at", "payload", "content_type"};
      for (const auto& [key, column] : columns) {
        if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end())
          throw AdapterConfigError(t->where("columns") + "." + key,
                                   "not one of message_id, client, service, conversation_id, accepted_at, payload, "
                                   "content_type");
        std::string* target[] = {&s.table.message_id,  &s.table.client,  &s.table.service,     &s.table.conversation_id,
                                 &s.table.accepted_at, &s.table.payload, &s.table.content_type};
        *target[std::find(kKnown.begin(), kKnown.end(), key) - kKnown.begin()] = column;
      }
      inbox_store_.emplace(identifiers(*t, "table", [&] { return db::InboxStore(s.table); }));
      inbox_ = std::move(s);
    }
    if (!outbox_ && !inbox_)
      throw AdapterConfigError(table.where("outbox"),
                               "a db-outbox adapter needs [adapter.outbox], [adapter.inbox] or both");
  }

  ~DbOutboxAdapter() override { stop(); }

  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "db-outbox"; }

  // A replay only sends the letter through the node: no poller, no routes, no database.
  void prepare_replay(AdapterContext& context) override { context_ = &context; }

  void start(AdapterContext& context) override {
    context_ = &context;
    if (outbox_) {
      const auto& t = outbox_->table;
      cursor_.emplace(context.state_dir / "cursor", t.table + "." + t.key_column);
      try {
        cursor_value_ = cursor_->load().value_or(kNoCursor);
      } catch (const std::exception& e) {
        throw AdapterConfigError("adapter '" + name_ + "'", e.what());
      }
    }
    // A database that answers is checked now (a missing table or column stops the start); one that does not
    // answer yet is waited for, as it would be after a restart of the database.
    try {
      PgConnection probe(conninfo_);
      if (inbox_ && inbox_->create_table) inbox_store_->create(probe);
      if (store_) store_->prepare(probe);
      if (inbox_store_) inbox_store_->prepare(probe);
    } catch (const PgError& e) {
      if (!e.connection_lost()) throw AdapterConfigError("adapter '" + name_ + "'", e.what());
      set_health(false, std::string("database unreachable: ") + e.what());
      spdlog::warn("adapter {}: {}; retrying", name_, bounded(e.what()));
    }
    if (inbox_) {
      workers_ = std::make_unique<bus::WorkerRoutes>(inbox_->workers, bus::RouteErrors{"adapter.db-outbox", {}, {}});
      context.router.add("POST", context.route_prefix + "/deliveries",
                         workers_->handler([this](bus::HttpRequest& request) { return deliver(request); }));
    }
    if (outbox_) poller_ = std::thread([this] { poll(); });
  }

  void stop() override {
    {
      std::lock_guard lock(wake_mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (poller_.joinable()) poller_.join();
    if (workers_) workers_->join();
  }

  Health health() const override {
    std::lock_guard lock(health_mutex_);
    Health h = health_;
    h.backlog = backlog_;
    if (h.ok && outbox_)
      h.detail = "cursor " +
                 (cursor_value_ == kNoCursor ? std::string("at the start") : std::to_string(cursor_value_)) + ", " +
                 std::to_string(backlog_) + " rows waiting";
    if (h.ok && !outbox_) h.detail = "writing deliveries into " + inbox_->table.table;
    return h;
  }

  std::string replay(const DeadLetter& letter) override {
    OutgoingMessage message;
    try {
      const auto detail = json::parse(letter.detail);
      message.service = detail.at("service").get<std::string>();
      message.message_id = detail.at("message_id").get<std::string>();
      message.conversation_id = detail.value("conversation_id", "");
      message.content_type = detail.value("content_type", "application/json");
    } catch (const json::exception&) {
      return "the dead letter's detail is not what this adapter wrote";
    }
    message.body = letter.payload;
    const auto outcome = context_->node.send(message);
    if (outcome.acknowledged()) {
      context_->metrics.count(outcome.kind == SendOutcome::Kind::accepted ? "sent" : "repeated");
      return "";
    }
    return outcome.describe();
  }

 private:
  bool stopping() const { return stop_ || (context_ != nullptr && context_->stopping.load()); }

  // Sleeps up to `d`, waking at once on stop.
  void pause(std::chrono::milliseconds d) {
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, d, [this] { return stopping(); });
  }

  void set_health(bool ok, const std::string& detail) {
    std::lock_guard lock(health_mutex_);
    health_.ok = ok;
    health_.detail = bounded(detail);
  }

  // A key that does not follow the cursor may be a row whose transaction has not committed yet (keys come
  // from a sequence before commit): it passes once it has been seen for gap_wait, by which time such a
  // transaction has committed or rolled back.
  bool gap_passed(std::int64_t key, std::chrono::milliseconds& wait) {
    if (cursor_value_ == kNoCursor || key == cursor_value_ + 1 || outbox_->gap_wait.count() == 0) return true;
    const auto now = Clock::now();
    const auto seen = first_seen_.emplace(key, now).first->second;
    if (now - seen >= outbox_->gap_wait) return true;
    wait = std::chrono::duration_cast<std::chrono::milliseconds>(outbox_->gap_wait - (now - seen)) + 1ms;
    return false;
  }

  void poll() {
    std::unique_ptr<PgConnection> connection;
    Backoff backoff(outbox_->initial_backoff,
                    outbox_->max_backoff);  // jittered: adapters restarted together spread out
    while (!stopping()) {
      std::chrono::milliseconds wait = outbox_->poll_interval;
      try {
        if (!connection) {
          connection = std::make_unique<PgConnection>(conninfo_);
          store_->prepare(*connection);
          if (cursor_value_ == kNoCursor && outbox_->start_at_end) {
            cursor_value_ = store_->last_key(*connection);
            cursor_->store(cursor_value_);
          }
          set_health(true, "");
        }
        const auto rows = store_->after(*connection, cursor_value_, outbox_->batch);
        std::size_t done = 0;
        for (const auto& row : rows) {
          if (stopping()) return;
          if (!gap_passed(row.key, wait)) break;
          if (!send_row(row)) return;  // stopping while the node was down: the row waits for the next start
          cursor_->store(row.key);     // only now: a crash before this sends the row again (the node says 200)
          cursor_value_ = row.key;
          first_seen_.erase(first_seen_.begin(), first_seen_.upper_bound(row.key));
          context_->metrics.gauge("cursor", static_cast<double>(row.key));
          ++done;
        }
        if (first_seen_.size() > 100000) first_seen_.clear();
        const auto waiting = store_->backlog(*connection, cursor_value_, kBacklogCap);
        {
          std::lock_guard lock(health_mutex_);
          backlog_ = waiting;
        }
        context_->metrics.gauge("backlog", static_cast<double>(waiting));
        backoff.reset();
        if (done == static_cast<std::size_t>(outbox_->batch)) continue;  // more may be there at once
      } catch (const PgError& e) {
        context_->metrics.count("database_errors");
        set_health(false, std::string("database: ") + e.what());
        wait = backoff.next();
        spdlog::warn("adapter {}: {}; retrying in {} ms", name_, bounded(e.what()), wait.count());
        connection.reset();                // a statement error on a live connection is retried on a fresh one too
      } catch (const std::exception& e) {  // the cursor could not be written: nothing moves until it can
        set_health(false, e.what());
        spdlog::error("adapter {}: {}", name_, bounded(e.what()));
        wait = backoff.next();
      }
      pause(wait);
    }
  }

  // Sends one row until the node acknowledges or refuses it; false when stopping first.
  bool send_row(const db::OutboxRow& row) {
    OutgoingMessage message;
    message.service = outbox_->service;
    message.message_id = row.message_id.value_or(name_ + "-" + std::to_string(row.key));
    message.conversation_id = row.conversation_id.value_or("");
    message.content_type = outbox_->content_type;
    message.body = row.payload;
    const std::string key = "row " + std::to_string(row.key);
    const json detail = {{"service", message.service},
                         {"message_id", message.message_id},
                         {"conversation_id", message.conversation_id},
                         {"content_type", message.content_type},
                         {"key", row.key}};
    for (const auto* id : {&message.message_id, &message.conversation_id}) {
      if (id->empty() && id == &message.conversation_id) continue;
      if (!bus::is_wire_id(*id)) {
        context_->dead_letters.add(key, "the id '" + bounded(*id, 140) + "' is not " + std::string(bus::kWireIdRule),
                                   message.body, detail.dump());
        context_->metrics.count("dead_lettered");
        return true;
      }
    }
    Backoff backoff(outbox_->initial_backoff, outbox_->max_backoff);
    while (!stopping()) {
      const auto outcome = context_->node.send(message);
      switch (outcome.kind) {
        case SendOutcome::Kind::accepted:
        case SendOutcome::Kind::repeated:
          context_->metrics.count(outcome.kind == SendOutcome::Kind::accepted ? "sent" : "repeated");
          set_health(true, "");
          return true;
        case SendOutcome::Kind::refused:
          context_->dead_letters.add(key, outcome.describe(), message.body, detail.dump());
          context_->metrics.count("refused");
          context_->metrics.count("dead_lettered");
          spdlog::warn("adapter {}: {} refused: {}", name_, key, bounded(outcome.describe()));
          return true;
        case SendOutcome::Kind::unavailable: {
          context_->metrics.count("node_unavailable");
          set_health(false, "node unavailable: " + outcome.describe());
          pause(backoff.next(outcome.retry_after));  // the node's Retry-After, when longer, wins
          break;
        }
      }
    }
    return false;
  }

  bus::HttpResponse deliver(bus::HttpRequest& request) {
    auto verified = context_->deliveries.verify(request);
    if (auto* refusal = std::get_if<DeliveryRefusal>(&verified)) {
      context_->metrics.count("deliveries_refused");
      return bus::problem(errors::kDeliverySeal, bounded(refusal->reason));
    }
    const auto& d = std::get<Delivery>(verified);
    if (!inbox_->service.empty() && d.service != inbox_->service) {
      context_->metrics.count("deliveries_refused");
      return bus::problem(db::errors::kWrongService, "this adapter takes deliveries of " + inbox_->service +
                                                         " only, not of " + bounded(d.service, 200));
    }
    const db::InboxRecord record{d.message_id,  d.client, d.service,     d.conversation_id,
                                 d.accepted_at, d.body,   d.content_type};
    std::lock_guard lock(inbox_mutex_);
    for (int attempt = 0;; ++attempt) {
      try {
        if (!inbox_connection_) {
          inbox_connection_ = std::make_unique<PgConnection>(conninfo_);
          if (inbox_->create_table) inbox_store_->create(*inbox_connection_);
          inbox_store_->prepare(*inbox_connection_);
        }
        // Committed when this returns: only then does the node hear 2xx.
        const bool stored = inbox_store_->store(*inbox_connection_, record);
        context_->metrics.count(stored ? "stored" : "duplicates");
        return bus::HttpResponse::json(200, {{"message_id", d.message_id}, {"stored", stored}});
      } catch (const PgError& e) {
        context_->metrics.count("database_errors");
        inbox_connection_.reset();
        // A connection that died since the last delivery is made again once at once; after that the node's
        // own retries (with backoff) wait for the database.
        if (e.connection_lost() && attempt == 0) continue;
        spdlog::warn("adapter {}: delivery {} not stored: {}", name_, bounded(d.message_id, 140), bounded(e.what()));
        return bus::problem(e.connection_lost() ? db::errors::kDatabaseUnavailable : db::errors::kDatabaseRefused,
                            bounded(e.what()));
      }
    }
  }

  std::string name_;
  std::string conninfo_;
  std::optional<OutboxSettings> outbox_;
  std::optional<InboxSettings> inbox_;
  std::optional<db::OutboxStore> store_;
  std::optional<db::InboxStore> inbox_store_;
  std::optional<db::CursorFile> cursor_;
  AdapterContext* context_ = nullptr;

  std::thread poller_;
  std::atomic<std::int64_t> cursor_value_{kNoCursor};
  std::map<std::int64_t, Clock::time_point> first_seen_;  // poller thread only
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};

  std::unique_ptr<bus::WorkerRoutes> workers_;
  std::mutex inbox_mutex_;
  std::unique_ptr<PgConnection> inbox_connection_;

  mutable std::mutex health_mutex_;
  Health health_;
  std::int64_t backlog_ = -1;
};

}  // namespace

std::unique_ptr<Adapter> make_db_outbox_adapter(ConfigTable& table) { return std::make_unique<DbOutboxAdapter>(table); }

}  // namespace lgsp::adapters
