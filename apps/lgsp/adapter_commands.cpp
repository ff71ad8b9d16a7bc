// `lgsp adapter run|check|dlq|vxp`: the adapter runner (adapters/, docs/adapters.md), its dead letters, and the
// connector to the national document-exchange axis's agency list.
#include "cli.hpp"
#include "lgsp/adapters/runner.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/contracts/contract.hpp"
#include "vxp/vxp_adapter.hpp"

#include <nlohmann/json.hpp>

#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <memory>

namespace lgsp::cli {
namespace {

using adapters::AdapterConfigError;

// Every adapter command reads the same file and fails the same way on it.
template <typename Body>
int with_runner(const std::string& config, Body body) {
  std::unique_ptr<adapters::Runner> runner;
  try {
    runner = std::make_unique<adapters::Runner>(config);
  } catch (const AdapterConfigError& e) {
    return fail("adapter config " + config, e.what(), kExitUsage);
  } catch (const contracts::ContractError& e) {
    return fail("adapter config " + config, e.what(), kExitUsage);
  }
  return body(*runner);
}

int run_adapters(const std::string& config, const std::string& log_level) {
  try {
    bus::log::configure(log_level, {});
  } catch (const std::exception& e) {
    return fail("--log-level", e.what(), kExitUsage);
  }
  // Signals are taken synchronously by this thread; every thread started below inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return with_runner(config, [&](adapters::Runner& runner) {
    try {
      runner.start();
    } catch (const AdapterConfigError& e) {
      return fail("adapter", e.what(), kExitUsage);
    }
    std::cerr << "lgsp: adapters listening on " << runner.listen_address() << "\n";
    for (;;) {
      int sig = sigwaitinfo(&signals, nullptr);
      if (sig == SIGTERM || sig == SIGINT) {
        bus::log::info("adapters.signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
        break;
      }
    }
    runner.stop();
    return kExitOk;
  });
}

int check(const std::string& config) {
  return with_runner(config, [&](adapters::Runner& runner) {
    auto names = runner.adapter_names();
    std::cout << config << ": ok, " << names.size() << " adapter" << (names.size() == 1 ? "" : "s");
    for (std::size_t i = 0; i < names.size(); ++i) std::cout << (i ? ", " : ": ") << names[i];
    std::cout << "\n";
    return kExitOk;
  });
}

// One line, tabs between fields, no control characters (a reason may quote what a legacy system said).
std::string one_line(std::string text, std::size_t max = 200) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (text.size() > max) text = text.substr(0, max) + "…";
  return text;
}

struct ListOptions {
  std::string config;
  std::string adapter;
  bool json = false;
  std::int64_t after = 0;
  int limit = 100;
};

int list(const ListOptions& o) {
  return with_runner(o.config, [&](adapters::Runner& runner) {
    if (!o.adapter.empty() && !runner.find(o.adapter))
      return fail("--adapter", "no adapter '" + o.adapter + "' in " + o.config, kExitUsage);
    std::vector<adapters::DeadLetter> letters;
    if (runner.has_dead_letter_store()) {
      auto& store = runner.dead_letters();
      letters =
          o.adapter.empty() ? store.list_all(o.after, o.limit) : store.for_adapter(o.adapter).list(o.after, o.limit);
    }
    if (o.json) {
      auto out = nlohmann::json::array();
      for (const auto& d : letters)
        out.push_back({{"id", d.id},
                       {"adapter", d.adapter},
                       {"key", d.key},
                       {"reason", d.reason},
                       {"detail", d.detail},
                       {"payload_bytes", d.payload.size()},
                       {"created_at", d.created_at},
                       {"attempts", d.attempts}});
      std::cout << out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      for (const auto& d : letters)
        std::cout << d.id << "\t" << d.adapter << "\t" << d.created_at << "\t" << d.attempts << "\t" << one_line(d.key)
                  << "\t" << one_line(d.reason) << "\n";
    }
    return kExitOk;
  });
}

struct ReplayOptions {
  std::string config;
  std::string adapter;
  std::int64_t id = 0;
  bool all = false;
};

int replay(const ReplayOptions& o) {
  if (o.id <= 0 && !o.all) return fail("adapter dlq replay", "give a dead letter ID or --all", kExitUsage);
  return with_runner(o.config, [&](adapters::Runner& runner) {
    if (!o.adapter.empty() && !runner.find(o.adapter))
      return fail("--adapter", "no adapter '" + o.adapter + "' in " + o.config, kExitUsage);
    if (!runner.has_dead_letter_store())
      return fail("adapter dlq replay", "no dead letters in " + runner.state_dir().string(), kExitFailed);
    std::vector<std::int64_t> ids;
    if (o.all) {
      // The ids first: a letter that fails again stays, and must not be met twice.
      auto& store = runner.dead_letters();
      for (std::int64_t after = 0;;) {
        auto page = o.adapter.empty() ? store.list_all(after, 1000) : store.for_adapter(o.adapter).list(after, 1000);
        if (page.empty()) break;
        for (const auto& d : page) ids.push_back(d.id);
        after = page.back().id;
      }
    } else {
      auto letter = runner.dead_letters().get(o.id);
      if (!letter || (!o.adapter.empty() && letter->adapter != o.adapter))
        return fail(
            "adapter dlq replay",
            "no dead letter " + std::to_string(o.id) + (o.adapter.empty() ? "" : " of adapter '" + o.adapter + "'"),
            kExitFailed);
      ids.push_back(o.id);
    }
    std::size_t replayed = 0;
    std::size_t failed = 0;
    for (auto id : ids) {
      auto outcome = runner.replay(id);
      if (outcome.replayed) {
        ++replayed;
      } else {
        ++failed;
        std::cerr << "lgsp: dead letter " << id << " (" << outcome.adapter << ") : " << one_line(outcome.reason, 2048)
                  << "\n";
      }
    }
    std::cout << "replayed " << replayed << " dead letter" << (replayed == 1 ? "" : "s");
    if (failed) std::cout << ", " << failed << " failed again (kept)";
    std::cout << "\n";
    return failed ? kExitFailed : kExitOk;
  });
}

struct AgenciesOptions {
  std::string config;
  std::string adapter;
  bool json = false;
};

// `lgsp adapter vxp agencies`: getAgenciesList through a vxp adapter of the file (made, not started).
int vxp_agencies(const AgenciesOptions& o) {
  return with_runner(o.config, [&](adapters::Runner& runner) {
    adapters::VxpConnector* connector = nullptr;
    for (const auto& name : runner.adapter_names()) {
      auto* candidate = dynamic_cast<adapters::VxpConnector*>(runner.find(name));
      if (candidate && (o.adapter.empty() || name == o.adapter)) {
        if (connector) return fail("--adapter", "several vxp adapters in " + o.config + ": name one", kExitUsage);
        connector = candidate;
      }
    }
    if (!connector)
      return fail("adapter vxp agencies",
                  o.adapter.empty() ? "no vxp adapter in " + o.config : "no vxp adapter '" + o.adapter + "'",
                  kExitUsage);
    std::vector<adapters::VxpConnector::AgencyRow> rows;
    try {
      rows = connector->list_agencies();
    } catch (const std::exception& e) {
      return fail("adapter vxp agencies", e.what(), kExitFailed);
    }
    if (o.json) {
      auto out = nlohmann::json::array();
      for (const auto& r : rows)
        out.push_back({{"id", r.id}, {"code", r.code}, {"name", r.name}, {"pid", r.pid}, {"mail", r.mail}});
      std::cout << out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      for (const auto& r : rows)
        std::cout << one_line(r.code) << "\t" << one_line(r.name) << "\t" << one_line(r.pid) << "\n";
    }
    return kExitOk;
  });
}

}  // namespace

void add_adapter_commands(CLI::App& app, Runner& run) {
  auto* adapter = app.add_subcommand(
      "adapter", "Adapters for legacy systems: file drop, SOAP, REST mapping, database outbox, national axis (VXP)");
  adapter->require_subcommand(1);
  adapter->footer("One adapters.toml describes the runner, its node and every [[adapter]]; see docs/adapters.md.");
  {
    auto* cmd = adapter->add_subcommand("run", "Run the adapters of a config file until SIGTERM/SIGINT");
    auto config = std::make_shared<std::string>();
    auto level = std::make_shared<std::string>("info");
    cmd->add_option("--config", *config, "adapters.toml")->required()->type_name("FILE");
    cmd->add_option("--log-level", *level, "trace, debug, info, warn, error, critical or off [info]");
    cmd->footer(
        "Serves GET /healthz (503 while an adapter is not ok), GET /metrics (Prometheus) and each adapter's routes\n"
        "under /adapters/NAME/ on [runner] listen. Adapters start in file order; one that cannot start stops the\n"
        "others and the command exits 2 naming it. SIGTERM or SIGINT: finish requests in flight, stop, exit 0.");
    cmd->callback([&run, config, level] { run = [config, level] { return run_adapters(*config, *level); }; });
  }
  {
    auto* cmd = adapter->add_subcommand("check", "Read and check a config file without starting anything");
    auto config = std::make_shared<std::string>();
    cmd->add_option("--config", *config, "adapters.toml")->required()->type_name("FILE");
    cmd->footer(
        "Checks every key (unknown keys are refused), every adapter's kind and kind keys, the secrets' files and\n"
        "variables, the trust roots and node certificates and the contracts. Exit 0 when it would start, 2 with\n"
        "the reason otherwise.");
    cmd->callback([&run, config] { run = [config] { return check(*config); }; });
  }
  auto* dlq = adapter->add_subcommand("dlq", "The adapters' dead letters: work no adapter could hand on");
  dlq->require_subcommand(1);
  {
    auto* cmd = dlq->add_subcommand("list", "One line per dead letter: id, adapter, created, attempts, key, reason");
    auto o = std::make_shared<ListOptions>();
    cmd->add_option("--config", o->config, "adapters.toml")->required()->type_name("FILE");
    cmd->add_option("--adapter", o->adapter, "Only this adapter's letters")->type_name("NAME");
    cmd->add_flag("--json", o->json, "A JSON array instead of lines (payload_bytes instead of the payload)");
    cmd->add_option("--after", o->after, "Letters after this id (paging) [0]")->type_name("ID");
    cmd->add_option("--limit", o->limit, "At most this many letters, 1 to 10000 [100]")->check(CLI::Range(1, 10000));
    cmd->callback([&run, o] { run = [o] { return list(*o); }; });
  }
  {
    auto* cmd = dlq->add_subcommand("replay", "Send dead letters again through their adapter");
    auto o = std::make_shared<ReplayOptions>();
    cmd->add_option("--config", o->config, "adapters.toml")->required()->type_name("FILE");
    auto* id =
        cmd->add_option("ID", o->id, "The dead letter's id (see 'lgsp adapter dlq list')")->check(CLI::PositiveNumber);
    auto* all = cmd->add_flag("--all", o->all, "Every dead letter (of --adapter when given)");
    id->excludes(all);
    cmd->add_option("--adapter", o->adapter, "Only this adapter's letters")->type_name("NAME");
    cmd->footer(
        "Made from the config without starting the runner (it may be running): each letter goes to its adapter's\n"
        "replay(). A letter replayed is removed; one that fails again stays with the new reason and one more\n"
        "attempt. Exit 0 when every letter was replayed, 1 when one failed again or does not exist.");
    cmd->callback([&run, o] { run = [o] { return replay(*o); }; });
  }
  auto* vxp = adapter->add_subcommand("vxp", "The connector to the national document-exchange axis (VXP)");
  vxp->require_subcommand(1);
  {
    auto* cmd = vxp->add_subcommand("agencies", "The organs the axis connects (getAgenciesList): code, name, parent");
    auto o = std::make_shared<AgenciesOptions>();
    cmd->add_option("--config", o->config, "adapters.toml")->required()->type_name("FILE");
    cmd->add_option("--adapter", o->adapter, "The vxp adapter, when the file has several")->type_name("NAME");
    cmd->add_flag("--json", o->json, "A JSON array (id, code, name, pid, mail) instead of lines");
    cmd->footer(
        "Asks the axis with the adapter's system id and secret, as the runner would, without starting it. Register\n"
        "an organ it lists with 'lgsp edxml organ add CODE <the adapter's subsystem>' to send it documents.\n"
        "Exit 0 with the list, 1 when the axis does not answer as its API says, 2 on usage or configuration.");
    cmd->callback([&run, o] { run = [o] { return vxp_agencies(*o); }; });
  }
}

}  // namespace lgsp::cli
