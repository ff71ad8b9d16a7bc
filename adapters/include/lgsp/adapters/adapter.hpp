// The one interface every adapter kind implements (file drop, SOAP, REST mapping, database outbox), and
// what the runner (`lgsp adapter run`) hands each adapter: its node connection, its dead-letter list, its
// metrics, its routes on the runner's listener and its own state folder.
#pragma once

#include "lgsp/adapters/adapter_config.hpp"
#include "lgsp/adapters/dead_letters.hpp"
#include "lgsp/adapters/delivery.hpp"
#include "lgsp/adapters/node_client.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::bus {
class Router;
}
namespace lgsp::contracts {
class Catalogue;
}

namespace lgsp::adapters {

// Counters an adapter reports; exported by the runner at GET /metrics as
// lgsp_adapter_<name>_total{adapter="<adapter name>",kind="<kind>"} and gauges as lgsp_adapter_<name>{...}.
class AdapterMetrics {
 public:
  virtual ~AdapterMetrics() = default;
  // Adds `by` to counter `name` (snake_case, e.g. "sent", "refused", "dead_lettered", "delivered").
  virtual void count(std::string_view name, std::uint64_t by = 1) = 0;
  // Sets gauge `name` (e.g. "backlog", "oldest_pending_seconds").
  virtual void gauge(std::string_view name, double value) = 0;
};

struct Health {
  bool ok = true;
  std::string detail;        // one line: why not ok, or a short status ("watching /srv/in, 0 pending")
  std::int64_t backlog = 0;  // work waiting (files, rows, retries); -1 when not known
};

// What the runner gives an adapter when it starts.
struct AdapterContext {
  NodeClient& node;                       // this adapter's own identity on the node
  DeadLetters& dead_letters;              // this adapter's dead-letter list (persistent)
  AdapterMetrics& metrics;                // this adapter's counters and gauges
  const contracts::Catalogue& catalogue;  // the node's contracts (schemas for mappings and WSDLs)
  const DeliveryVerifier& deliveries;     // checks the node's seal on a delivery pushed to this adapter
  bus::Router& router;                    // add routes under route_prefix only
  std::string route_prefix;               // "/adapters/<name>" on the runner's listener
  std::string public_base_url;            // "http://HOST:PORT" the runner listens on (for WSDL addresses)
  std::filesystem::path state_dir;        // <runner.state_dir>/<name>/, created, this adapter's alone
  const std::atomic<bool>& stopping;      // set when the runner is stopping
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  // The [[adapter]] table's `name`: unique in the file, [a-z0-9-]{1,64}.
  virtual const std::string& name() const = 0;
  // "filedrop", "soap", "rest", "db-outbox".
  virtual std::string_view kind() const = 0;
  // Adds routes, starts the adapter's own threads (watchers, pollers, retry loops) and returns. Throws
  // AdapterConfigError when what the config names cannot be used (a folder not writable, a contract
  // unknown, a mapping that does not fit the schema): the runner then refuses to start.
  virtual void start(AdapterContext& context) = 0;
  // Stops its threads after the work in hand is finished or safely left for the next start. Idempotent.
  virtual void stop() = 0;
  virtual Health health() const = 0;
  // Sends a dead letter again (its `payload` and `detail` as this adapter recorded them). Returns an
  // empty string on success, or why it failed again (the letter then stays in the list).
  virtual std::string replay(const DeadLetter& letter) = 0;
  // `lgsp adapter dlq replay` runs in its own process, possibly beside a running runner: it calls this
  // instead of start() and then replay(). Keep what replay() needs from `context` (the node client, the
  // catalogue, the state folder) WITHOUT adding routes or starting threads, watchers or pollers (the
  // running runner owns those). The default refuses, so a kind that does not override it cannot be
  // replayed from the command line (the letter stays, with that reason).
  virtual void prepare_replay(AdapterContext& context);
};

// Makes an adapter of one kind from its [[adapter]] table. Reads every key it knows through `table`
// (which refuses the keys nobody read, as the node's config does), throws AdapterConfigError with the
// key's path for a bad value. Does not touch files or the network (that is start()).
using AdapterFactory = std::function<std::unique_ptr<Adapter>(ConfigTable& table)>;

// The factory for `kind`, or null when no such kind exists. The list of kinds is in kinds.cpp.
const AdapterFactory* find_adapter_kind(std::string_view kind);
std::vector<std::string> adapter_kinds();

// Adds a kind that only a test program knows (a probe adapter to test the runner before or without the
// real kinds). Never called by the lgsp program; a built-in kind of the same name wins.
void register_adapter_kind_for_tests(std::string kind, AdapterFactory factory);

}  // namespace lgsp::adapters
