// `lgsp member|subsystem|service|acl|apikey|node ...` and `lgsp admin token|cert ...`: the registry and the
// admin API's credentials, edited in the node's store. A running node sees the changes at once (it reads the
// registry from the same store). Each command refuses a store that does not exist unless given --init.
#include "cli.hpp"
#include "files.hpp"
#include "lgsp/bus/admin_credentials.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/registry.hpp"

#include <pwd.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>

namespace lgsp::cli {

std::string local_user() {
  if (const auto* pw = ::getpwuid(::geteuid())) return pw->pw_name;
  return "uid " + std::to_string(::geteuid());
}

namespace {

// Opens the store (and the catalogue, to check service contracts) and runs `body` on it.
template <typename Body>
int with_store(const NodeOptions& options, bool init, Body body) {
  try {
    auto config = options.load();
    auto catalogue = contracts::Catalogue::load(config.contracts.dir);
    auto store = open_node_store(config, init);
    body(*store, catalogue);
    return kExitOk;
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  } catch (const contracts::ContractError& e) {
    return fail("contract " + std::string(e.what()).substr(0, std::string(e.what()).find(" : ")),
                std::string(e.what()).substr(std::string(e.what()).find(" : ") + 3), kExitUsage);
  } catch (const bus::RegistryError& e) {
    std::cerr << "lgsp: " << e.what() << "\n";
    return kExitFailed;
  } catch (const bus::StoreError& e) {
    return fail("store", e.what(), kExitFailed);
  }
}

// The options a command was given, for the log record of the change it makes (file names, not contents).
nlohmann::json given_options(const CLI::App& cmd) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto* o : cmd.get_options()) {
    const std::string name = o->get_name();
    if (o->count() == 0 || name == "--config" || name == "--data-dir" || name == "--init" || name == "--help") continue;
    auto results = o->results();
    out[name] = results.size() == 1 ? nlohmann::json(results[0]) : nlohmann::json(results);
  }
  return out;
}

// A PEM file is a few KiB; 1 MiB leaves room for a chain and refuses anything absurd.
std::string read_certificate(const std::string& file) {
  auto text = read_limited(file, 1 << 20);
  if (!text) throw bus::RegistryError(bus::RegistryError::Kind::invalid, "certificate " + file, "larger than 1 MiB");
  return *text;
}

struct StoreCommandOptions {
  NodeOptions node;
  bool init = false;
};

// Adds a subcommand whose options are the store options (and --init) plus whatever `setup` declares.
CLI::App* store_command(CLI::App& parent, const std::string& name, const std::string& help, Runner& run,
                        std::function<void(CLI::App&)> setup,
                        std::function<void(CLI::App&, bus::Store&, const contracts::Catalogue&)> body) {
  auto* cmd = parent.add_subcommand(name, help);
  auto options = std::make_shared<StoreCommandOptions>();
  options->node.add_to(*cmd, false);
  cmd->add_flag("--init", options->init,
                "Create the store if it does not exist (otherwise a missing store is an error: exit 2)");
  setup(*cmd);
  cmd->callback([&run, cmd, options, body] {
    run = [=] {
      return with_store(options->node, options->init, [&](bus::Store& store, const contracts::Catalogue& catalogue) {
        body(*cmd, store, catalogue);
      });
    };
  });
  return cmd;
}

// A registry command; a change it makes is recorded in the message log (kind "admin") with the local account.
CLI::App* command(CLI::App& parent, const std::string& name, const std::string& help, Runner& run,
                  std::function<void(CLI::App&)> setup, std::function<void(bus::Registry&)> body) {
  const std::string path = parent.get_name() + " " + name;
  return store_command(parent, name, help, run, std::move(setup),
                       [path, body](CLI::App& cmd, bus::Store& store, const contracts::Catalogue& catalogue) {
                         bus::Registry registry(store, &catalogue);
                         nlohmann::json record = {
                             {"who", local_user()}, {"via", "cli"}, {"command", path}, {"options", given_options(cmd)}};
                         registry.on_change([record](bus::Transaction& tx) {
                           bus::MessageLog::append(tx, "admin", record["who"].get<std::string>(), record);
                         });
                         body(registry);
                       });
}

// The admin credentials in `store`, their changes recorded like the registry's.
bus::AdminCredentials logged_credentials(CLI::App& cmd, bus::Store& store) {
  bus::AdminCredentials credentials(store);
  nlohmann::json record = {{"who", local_user()},
                           {"via", "cli"},
                           {"command", "admin " + cmd.get_parent()->get_name() + " " + cmd.get_name()},
                           {"options", given_options(cmd)}};
  credentials.on_change([record](bus::Transaction& tx) {
    bus::MessageLog::append(tx, "admin", record["who"].get<std::string>(), record);
  });
  return credentials;
}

CLI::App* group(CLI::App& app, const std::string& name, const std::string& help) {
  auto* g = app.add_subcommand(name, help);
  g->require_subcommand(1);
  return g;
}

}  // namespace

void add_registry_commands(CLI::App& app, Runner& run) {
  {
    auto* g = group(app, "member", "Members: agencies on the bus, by agency code");
    auto code = std::make_shared<std::string>();
    auto name = std::make_shared<std::string>();
    command(
        *g, "add", "Add a member: lgsp member add 000.00.13.H29 --name 'UBND phường Bến Thành'", run,
        [=](CLI::App& c) {
          c.add_option("CODE", *code, "Agency code NNN.NN.NN.XNN")->required();
          c.add_option("--name", *name, "Agency name")->required();
        },
        [=](bus::Registry& r) {
          r.add_member(*code, *name);
          std::cout << "member " << *code << " added\n";
        });
    command(
        *g, "list", "List members", run, [](CLI::App&) {},
        [](bus::Registry& r) {
          for (const auto& m : r.members()) std::cout << m.code << "\t" << m.name << "\n";
        });
  }
  {
    auto* g = group(app, "subsystem", "Subsystems: one system of a member, MEMBER/SUBSYSTEM");
    auto id = std::make_shared<std::string>();
    command(
        *g, "add", "Add a subsystem: lgsp subsystem add 000.00.13.H29/MOTCUA", run,
        [=](CLI::App& c) { c.add_option("ID", *id, "MEMBER/SUBSYSTEM")->required(); },
        [=](bus::Registry& r) {
          r.add_subsystem(*id);
          std::cout << "subsystem " << *id << " added\n";
        });
    command(
        *g, "list", "List subsystems", run, [](CLI::App&) {},
        [](bus::Registry& r) {
          for (const auto& s : r.subsystems()) std::cout << s.id << "\n";
        });
    auto* cert = g->add_subcommand("cert", "Client certificates (mutual TLS) that authenticate a subsystem");
    cert->require_subcommand(1);
    auto pem_file = std::make_shared<std::string>();
    command(
        *cert, "add", "Bind a client certificate (PEM) to a subsystem; prints its SHA-256 fingerprint", run,
        [=](CLI::App& c) {
          c.add_option("ID", *id, "MEMBER/SUBSYSTEM")->required();
          c.add_option("PEM", *pem_file, "Certificate file")->required()->check(CLI::ExistingFile);
        },
        [=](bus::Registry& r) { std::cout << r.add_certificate(*id, read_certificate(*pem_file)) << "\n"; });
    command(
        *cert, "list", "List bound certificates: fingerprint, subsystem", run, [](CLI::App&) {},
        [](bus::Registry& r) {
          for (const auto& [fp, sub] : r.certificates()) std::cout << fp << "\t" << sub << "\n";
        });
    auto fingerprint = std::make_shared<std::string>();
    command(
        *cert, "remove", "Unbind a certificate by its fingerprint", run,
        [=](CLI::App& c) { c.add_option("FINGERPRINT", *fingerprint, "SHA-256 hex (from 'cert list')")->required(); },
        [=](bus::Registry& r) {
          r.remove_certificate(*fingerprint);
          std::cout << "certificate " << *fingerprint << " removed\n";
        });
  }
  {
    auto* g = group(app, "node", "Peer LGSP nodes that forward messages for their member systems (mutual TLS)");
    auto name = std::make_shared<std::string>();
    auto pem_file = std::make_shared<std::string>();
    command(
        *g, "add", "Register a peer node by its TLS certificate: lgsp node add ward-bennghe node-b.pem", run,
        [=](CLI::App& c) {
          c.add_option("NAME", *name, "Node name (lower case)")->required();
          c.add_option("PEM", *pem_file, "The node's TLS certificate")->required()->check(CLI::ExistingFile);
        },
        [=](bus::Registry& r) { std::cout << r.add_peer_node(*name, read_certificate(*pem_file)) << "\n"; });
    command(
        *g, "list", "List peer nodes: name, certificate fingerprint", run, [](CLI::App&) {},
        [](bus::Registry& r) {
          for (const auto& [n, fp] : r.peer_nodes()) std::cout << n << "\t" << fp << "\n";
        });
    command(
        *g, "remove", "Forget a peer node", run, [=](CLI::App& c) { c.add_option("NAME", *name)->required(); },
        [=](bus::Registry& r) {
          r.remove_peer_node(*name);
          std::cout << "node " << *name << " removed\n";
        });
  }
  {
    auto* g = group(app, "service", "Services: MEMBER/SUBSYSTEM/CODE/vN bound to a contract and an endpoint");
    auto svc = std::make_shared<bus::Service>();
    auto no_payload = std::make_shared<bool>(false);
    command(
        *g, "add", "Add a service", run,
        [=](CLI::App& c) {
          c.add_option("SERVICE_ID", svc->id, "MEMBER/SUBSYSTEM/CODE/vN")->required();
          c.add_option("--contract", svc->request_contract, "Request contract NAME@vN")->required();
          c.add_option("--response-contract", svc->response_contract, "Response contract NAME@vN (sync services)");
          c.add_option("--endpoint", svc->endpoint, "Delivery URL of the provider")->required();
          c.add_option("--timeout-ms", svc->timeout_ms, "Per-attempt timeout [30000]");
          c.add_option("--max-attempts", svc->retry.max_attempts, "Delivery attempts before the dead-letter queue [8]");
          c.add_option("--initial-backoff-ms", svc->retry.initial_backoff_ms, "First retry delay [500]");
          c.add_option("--max-backoff-ms", svc->retry.max_backoff_ms, "Longest retry delay [300000]");
          c.add_flag("--drop-payload", *no_payload, "Keep only the digest of delivered payloads (personal data)");
        },
        [=](bus::Registry& r) {
          bus::Service s = *svc;
          s.keep_payload = !*no_payload;
          r.add_service(s);
          std::cout << "service " << s.id << " added\n";
        });
    struct Update {
      std::optional<std::string> contract, response_contract, endpoint;
      std::optional<int> timeout_ms, max_attempts, initial_backoff_ms, max_backoff_ms;
      bool keep_payload = false, drop_payload = false;
    };
    auto up = std::make_shared<Update>();
    command(
        *g, "update", "Change a service: only the options given change (--response-contract '' removes it)", run,
        [=](CLI::App& c) {
          c.add_option("SERVICE_ID", svc->id, "MEMBER/SUBSYSTEM/CODE/vN")->required();
          c.add_option("--contract", up->contract, "Request contract NAME@vN");
          c.add_option("--response-contract", up->response_contract, "Response contract NAME@vN ('' for none)");
          c.add_option("--endpoint", up->endpoint, "Delivery URL of the provider");
          c.add_option("--timeout-ms", up->timeout_ms, "Per-attempt timeout");
          c.add_option("--max-attempts", up->max_attempts, "Delivery attempts before the dead-letter queue");
          c.add_option("--initial-backoff-ms", up->initial_backoff_ms, "First retry delay");
          c.add_option("--max-backoff-ms", up->max_backoff_ms, "Longest retry delay");
          auto* keep = c.add_flag("--keep-payload", up->keep_payload, "Keep delivered payloads");
          c.add_flag("--drop-payload", up->drop_payload, "Keep only the digest of delivered payloads")->excludes(keep);
        },
        [=](bus::Registry& r) {
          auto current = r.find_service(svc->id);
          if (!current)
            throw bus::RegistryError(bus::RegistryError::Kind::not_found, "service " + svc->id, "does not exist");
          bus::Service s = *current;
          if (up->contract) s.request_contract = *up->contract;
          if (up->response_contract) s.response_contract = *up->response_contract;
          if (up->endpoint) s.endpoint = *up->endpoint;
          if (up->timeout_ms) s.timeout_ms = *up->timeout_ms;
          if (up->max_attempts) s.retry.max_attempts = *up->max_attempts;
          if (up->initial_backoff_ms) s.retry.initial_backoff_ms = *up->initial_backoff_ms;
          if (up->max_backoff_ms) s.retry.max_backoff_ms = *up->max_backoff_ms;
          if (up->keep_payload) s.keep_payload = true;
          if (up->drop_payload) s.keep_payload = false;
          r.update_service(s);
          std::cout << "service " << s.id << " updated\n";
        });
    command(
        *g, "remove", "Remove a service and its ACL grants (refused while messages to it are undelivered)", run,
        [=](CLI::App& c) { c.add_option("SERVICE_ID", svc->id, "MEMBER/SUBSYSTEM/CODE/vN")->required(); },
        [=](bus::Registry& r) {
          auto grants = r.remove_service(svc->id);
          std::cout << "service " << svc->id << " removed (" << grants << " grant(s) revoked)\n";
        });
    command(
        *g, "list", "List services", run, [](CLI::App&) {},
        [](bus::Registry& r) {
          for (const auto& s : r.services())
            std::cout << s.id << "\t" << s.request_contract
                      << (s.response_contract.empty() ? "" : " -> " + s.response_contract) << "\t" << s.endpoint
                      << "\n";
        });
  }
  {
    auto* g = group(app, "acl", "Access control: which client subsystem may call which service");
    auto client = std::make_shared<std::string>();
    auto service = std::make_shared<std::string>();
    auto args = [=](CLI::App& c) {
      c.add_option("CLIENT_SUBSYSTEM", *client, "MEMBER/SUBSYSTEM")->required();
      c.add_option("SERVICE_ID", *service, "MEMBER/SUBSYSTEM/CODE/vN")->required();
    };
    command(*g, "grant", "Allow a client subsystem to call a service", run, args, [=](bus::Registry& r) {
      r.grant(*client, *service);
      std::cout << "granted " << *client << " -> " << *service << "\n";
    });
    command(*g, "revoke", "Withdraw a grant", run, args, [=](bus::Registry& r) {
      r.revoke(*client, *service);
      std::cout << "revoked " << *client << " -> " << *service << "\n";
    });
    command(
        *g, "list", "List grants", run, [](CLI::App&) {},
        [](bus::Registry& r) {
          for (const auto& gr : r.grants()) std::cout << gr.client << "\t" << gr.service << "\n";
        });
  }
  {
    auto* g = group(app, "apikey", "API keys for local adapters (Authorization: Bearer)");
    auto subsystem = std::make_shared<std::string>();
    auto id = std::make_shared<std::string>();
    command(
        *g, "create", "Create a key for a subsystem; it is printed once, only its hash is kept", run,
        [=](CLI::App& c) { c.add_option("CLIENT_SUBSYSTEM", *subsystem, "MEMBER/SUBSYSTEM")->required(); },
        [=](bus::Registry& r) { std::cout << r.create_api_key(*subsystem) << "\n"; });
    command(
        *g, "list", "List keys (id, subsystem, created, state)", run, [](CLI::App&) {},
        [](bus::Registry& r) {
          for (const auto& k : r.api_keys())
            std::cout << k.id << "\t" << k.subsystem << "\t" << k.created_at << "\t"
                      << (k.revoked ? "revoked" : "active") << "\n";
        });
    command(
        *g, "revoke", "Revoke a key by its id", run,
        [=](CLI::App& c) { c.add_option("ID", *id, "Key id (from 'lgsp apikey list')")->required(); },
        [=](bus::Registry& r) {
          r.revoke_api_key(*id);
          std::cout << "apikey " << *id << " revoked\n";
        });
  }
  {
    auto* g = group(app, "admin", "Who may use the admin API (admin.listen): tokens and pinned client certificates");
    auto* tokens = g->add_subcommand("token", "Admin bearer tokens, each with a name and a role");
    tokens->require_subcommand(1);
    auto name = std::make_shared<std::string>();
    auto role = std::make_shared<std::string>();
    auto id = std::make_shared<std::string>();
    auto role_option = [=](CLI::App& c) {
      c.add_option("--role", *role, "registry-admin (every change) or auditor (reads and the log check)")
          ->required()
          ->check(CLI::IsMember({"registry-admin", "auditor"}));
    };
    store_command(
        *tokens, "create",
        "Create a token: lgsp admin token create --role auditor --name alice; it is printed once, only its hash "
        "is kept",
        run,
        [=](CLI::App& c) {
          role_option(c);
          c.add_option("--name", *name, "Who holds it (recorded with every change made with it)")->required();
        },
        [=](CLI::App& cmd, bus::Store& store, const contracts::Catalogue&) {
          std::cout << logged_credentials(cmd, store).create_token(*name, bus::admin_role_from_string(*role)) << "\n";
        });
    store_command(
        *tokens, "list", "List tokens (id, name, role, created, state)", run, [](CLI::App&) {},
        [](CLI::App&, bus::Store& store, const contracts::Catalogue&) {
          for (const auto& t : bus::AdminCredentials(store).tokens())
            std::cout << t.id << "\t" << t.name << "\t" << bus::to_string(t.role) << "\t" << t.created_at << "\t"
                      << (t.revoked ? "revoked" : "active") << "\n";
        });
    store_command(
        *tokens, "revoke", "Revoke a token by its id", run,
        [=](CLI::App& c) { c.add_option("ID", *id, "Token id (from 'lgsp admin token list')")->required(); },
        [=](CLI::App& cmd, bus::Store& store, const contracts::Catalogue&) {
          logged_credentials(cmd, store).revoke_token(*id);
          std::cout << "admin token " << *id << " revoked\n";
        });
    auto* certs = g->add_subcommand("cert", "Admin client certificates (mutual TLS, with [tls] client_ca), pinned");
    certs->require_subcommand(1);
    auto pem_file = std::make_shared<std::string>();
    store_command(
        *certs, "add", "Pin a client certificate (PEM) to a name and role; prints its SHA-256 fingerprint", run,
        [=](CLI::App& c) {
          c.add_option("NAME", *name, "Who holds it")->required();
          c.add_option("PEM", *pem_file, "Certificate file")->required()->check(CLI::ExistingFile);
          role_option(c);
        },
        [=](CLI::App& cmd, bus::Store& store, const contracts::Catalogue&) {
          std::cout << logged_credentials(cmd, store)
                           .add_certificate(*name, bus::admin_role_from_string(*role), read_certificate(*pem_file))
                    << "\n";
        });
    store_command(
        *certs, "list", "List pinned certificates: fingerprint, name, role", run, [](CLI::App&) {},
        [](CLI::App&, bus::Store& store, const contracts::Catalogue&) {
          for (const auto& c : bus::AdminCredentials(store).certificates())
            std::cout << c.id << "\t" << c.name << "\t" << bus::to_string(c.role) << "\n";
        });
    store_command(
        *certs, "remove", "Unpin a certificate by its fingerprint", run,
        [=](CLI::App& c) { c.add_option("FINGERPRINT", *id, "SHA-256 hex (from 'lgsp admin cert list')")->required(); },
        [=](CLI::App& cmd, bus::Store& store, const contracts::Catalogue&) {
          logged_credentials(cmd, store).remove_certificate(*id);
          std::cout << "admin certificate " << *id << " removed\n";
        });
  }
}

}  // namespace lgsp::cli
