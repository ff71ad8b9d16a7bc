// `lgsp portal sync|import-procedures|status|dlq list|dlq replay`: the national portal (DVCQG) sync job and
// its operations (docs/portal.md).
#include "cli.hpp"

#include "lgsp/adapters/adapter_config.hpp"
#include "lgsp/bus/http_server.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/portal/catalogue.hpp"
#include "lgsp/portal/sync_job.hpp"

#include <signal.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <iostream>
#include <memory>

namespace lgsp::cli {
namespace {
using nlohmann::json;

std::atomic<bool> g_stopping{false};
extern "C" void on_stop_signal(int) { g_stopping = true; }

struct PortalOptions {
  std::string config;
  bool once = false;
  bool json = false;
  std::int64_t after = 0;
  int limit = 100;
  std::int64_t id = 0;
  bool all = false;
};

// Loads portal.toml; a config error is exit 2 with "<path>: <why>".
std::optional<portal::PortalConfig> load(const std::string& file, int& exit_code) {
  try {
    return portal::PortalConfig::load(file);
  } catch (const adapters::AdapterConfigError& e) {
    exit_code = fail("config", e.what(), kExitUsage);
  } catch (const bus::ConfigError& e) {
    exit_code = fail_config(e);
  }
  return std::nullopt;
}

int sync(const PortalOptions& o) {
  int code = kExitUsage;
  auto config = load(o.config, code);
  if (!config) return code;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  bool terminal = isatty(STDERR_FILENO) == 1;
  auto listen = config->metrics_listen;
  portal::SyncJob job(std::move(*config), std::cerr, terminal);
  std::unique_ptr<bus::HttpServer> server;
  bus::Router router;
  if (listen) {
    router.add("GET", "/metrics", [&job](bus::HttpRequest&, bus::Reply reply) {
      reply(bus::HttpResponse::text(200, job.metrics_text(), "text/plain; version=0.0.4; charset=utf-8"));
    });
    bus::HttpServerOptions options;
    options.listen = *listen;
    server = std::make_unique<bus::HttpServer>(options, router);
    try {
      server->start();
    } catch (const bus::ConfigError& e) {
      return fail_config(e);
    }
    bus::log::info("portal.metrics_listening", {{"address", server->local_endpoint().to_string()}});
  }
  int rc = job.run(o.once, g_stopping);
  if (server) (void)server->drain(std::chrono::seconds(2));
  return rc;
}

int status(const PortalOptions& o) {
  int code = kExitUsage;
  auto config = load(o.config, code);
  if (!config) return code;
  portal::SyncState state(config->sync.state_dir / "portal-sync.db", config->sync.dead_letters_max);
  auto st = state.stats();
  json out = {{"checkpoint", st.checkpoint},          {"confirmed", st.confirmed},
              {"already_there", st.already_there},    {"refused", st.refused},
              {"dead_letters", st.letters},           {"dead_letters_dropped", st.letters_dropped},
              {"last_success_at", st.last_success_at}};
  if (auto p = state.pending())
    out["pending"] = {
        {"outbox_id", p->outbox_id}, {"reason", p->reason}, {"since", p->since}, {"attempts", p->attempts}};
  else
    out["pending"] = nullptr;
  std::cout << out.dump(2) << "\n";
  return kExitOk;
}

int dlq_list(const PortalOptions& o) {
  int code = kExitUsage;
  auto config = load(o.config, code);
  if (!config) return code;
  portal::SyncState state(config->sync.state_dir / "portal-sync.db", config->sync.dead_letters_max);
  auto letters = state.letters(o.after, o.limit);
  if (o.json) {
    json out = json::array();
    for (const auto& l : letters)
      out.push_back({{"id", l.id},
                     {"outbox_id", l.outbox_id},
                     {"dossier_code", l.dossier_code},
                     {"service", l.service},
                     {"error_code", l.error_code},
                     {"reason", l.reason},
                     {"at", l.at},
                     {"attempts", l.attempts}});
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& l : letters)
    std::cout << l.id << "\t" << l.outbox_id << "\t" << l.dossier_code << "\t" << l.service << "\t" << l.attempts
              << "\t" << l.error_code << "\t" << l.reason << "\n";
  return kExitOk;
}

int dlq_replay(const PortalOptions& o) {
  int code = kExitUsage;
  auto config = load(o.config, code);
  if (!config) return code;
  portal::SyncJob job(std::move(*config), std::cerr, false);
  std::vector<std::int64_t> ids;
  if (o.all) {
    for (std::int64_t after = 0;;) {
      auto page = job.state().letters(after, 1000);
      for (const auto& l : page) ids.push_back(l.id);
      if (page.size() < 1000) break;
      after = page.back().id;
    }
  } else {
    ids.push_back(o.id);
  }
  bool failed = false;
  for (auto id : ids) {
    auto outcome = job.replay(id);
    if (outcome.kind == portal::RecordOutcome::Kind::superseded) {
      std::cout << id << "\tsuperseded\t" << outcome.reason << "\n";
      continue;
    }
    bool ok = outcome.kind == portal::RecordOutcome::Kind::confirmed;
    failed = failed || !ok;
    std::cout << id << "\t" << (ok ? "confirmed" : "failed") << (ok ? "" : "\t" + outcome.reason) << "\n";
  }
  return failed ? kExitFailed : kExitOk;
}

int import_procedures(const PortalOptions& o) {
  int code = kExitUsage;
  auto config = load(o.config, code);
  if (!config) return code;
  try {
    auto summary = portal::import_catalogue(*config);
    std::cout << summary.dump(2) << "\n";
    return summary.value("failed", 0) == 0 ? kExitOk : kExitFailed;
  } catch (const std::exception& e) {
    return fail("import-procedures", e.what(), kExitFailed);
  }
}

}  // namespace

void add_portal_commands(CLI::App& app, Runner& run) {
  auto* portal = app.add_subcommand("portal", "The national public service portal (DVCQG): sync job and catalogue");
  portal->require_subcommand(1);
  portal->footer(
      "One portal.toml names the office, the portal, the state folder and the metrics listener; see "
      "docs/portal.md.");
  {
    auto* cmd = portal->add_subcommand("sync", "Send the office's portal outbox to DVCQG, oldest first, exactly once");
    auto o = std::make_shared<PortalOptions>();
    cmd->add_option("--config", o->config, "portal.toml")->required()->type_name("FILE");
    cmd->add_flag("--once", o->once, "Stop when the outbox is read to its end (still waits while the portal is down)");
    cmd->footer(
        "Resumable: the checkpoint (<state_dir>/portal-sync.db) moves after each confirmation; killed at any moment,\n"
        "a restart sends nothing the portal confirmed twice and skips nothing. A refused record becomes a dead\n"
        "letter (lgsp portal dlq list); an answer the API does not describe leaves the record pending with the\n"
        "reason (lgsp portal status). Progress bar on a terminal, one JSON line per batch otherwise; GET /metrics\n"
        "on [metrics] listen. SIGTERM/SIGINT: finish the record in flight and exit 0.");
    cmd->callback([&run, o] { run = [o] { return sync(*o); }; });
  }
  {
    auto* cmd = portal->add_subcommand(
        "import-procedures", "Import the national procedure catalogue (LayDanhSachTTHC, LayThuTuc) into the office");
    auto o = std::make_shared<PortalOptions>();
    cmd->add_option("--config", o->config, "portal.toml")->required()->type_name("FILE");
    cmd->footer(
        "Codes and statuses are mapped by [catalogue] codes / statuses / channels. Prints the summary; exit 1\n"
        "when a procedure could not be read or mapped.");
    cmd->callback([&run, o] { run = [o] { return import_procedures(*o); }; });
  }
  {
    auto* cmd = portal->add_subcommand("status", "The checkpoint, counters and the record waiting (JSON)");
    auto o = std::make_shared<PortalOptions>();
    cmd->add_option("--config", o->config, "portal.toml")->required()->type_name("FILE");
    cmd->callback([&run, o] { run = [o] { return status(*o); }; });
  }
  auto* dlq = portal->add_subcommand("dlq", "Records the portal refused, with its error");
  dlq->require_subcommand(1);
  {
    auto* cmd =
        dlq->add_subcommand("list", "One line per letter: id, outbox id, dossier, service, attempts, code, reason");
    auto o = std::make_shared<PortalOptions>();
    cmd->add_option("--config", o->config, "portal.toml")->required()->type_name("FILE");
    cmd->add_flag("--json", o->json, "A JSON array instead of lines");
    cmd->add_option("--after", o->after, "Letters after this id (paging) [0]")->type_name("ID");
    cmd->add_option("--limit", o->limit, "At most this many letters, 1 to 10000 [100]")->check(CLI::Range(1, 10000));
    cmd->callback([&run, o] { run = [o] { return dlq_list(*o); }; });
  }
  {
    auto* cmd = dlq->add_subcommand("replay", "Send dead letters to the portal again");
    auto o = std::make_shared<PortalOptions>();
    cmd->add_option("--config", o->config, "portal.toml")->required()->type_name("FILE");
    auto* id = cmd->add_option("ID", o->id, "The letter's id (see 'lgsp portal dlq list')")->check(CLI::PositiveNumber);
    auto* all = cmd->add_flag("--all", o->all, "Every letter, oldest first");
    id->excludes(all);
    cmd->footer(
        "Replay a DongBoHoSoMC before its CapNhatTienDoHoSoMC. A letter confirmed is removed; one that fails\n"
        "again stays with the new reason. Exit 0 when every letter was confirmed, 1 otherwise.");
    cmd->callback([&run, o] { run = [o] { return dlq_replay(*o); }; });
  }
}

}  // namespace lgsp::cli
