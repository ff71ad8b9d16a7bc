// `lgsp member|subsystem|service|acl|apikey ...`: the registry, edited in the node's store.
// A running node sees the changes at once (it reads the registry from the same store).
#include "cli.hpp"
#include "files.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/registry.hpp"

#include <iostream>
#include <memory>

namespace lgsp::cli {
namespace {

// Opens the store (and the catalogue, to check service contracts) and runs `body` on the registry.
template <typename Body>
int with_registry(const NodeOptions& options, Body body) {
  try {
    auto config = options.load();
    auto catalogue = contracts::Catalogue::load(config.contracts.dir);
    auto store = bus::open_embedded_store(config);
    bus::Registry registry(*store, &catalogue);
    body(registry);
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

// A PEM file is a few KiB; 1 MiB leaves room for a chain and refuses anything absurd.
std::string read_certificate(const std::string& file) {
  auto text = read_limited(file, 1 << 20);
  if (!text) throw bus::RegistryError(bus::RegistryError::Kind::invalid, "certificate " + file, "larger than 1 MiB");
  return *text;
}

// Adds a subcommand whose options are the store options plus whatever `setup` declares.
CLI::App* command(CLI::App& parent, const std::string& name, const std::string& help, Runner& run,
                  std::function<void(CLI::App&)> setup, std::function<void(bus::Registry&)> body) {
  auto* cmd = parent.add_subcommand(name, help);
  auto options = std::make_shared<NodeOptions>();
  options->add_to(*cmd, false);
  setup(*cmd);
  cmd->callback([&run, options, body] { run = [=] { return with_registry(*options, body); }; });
  return cmd;
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
        *g, "add", "Add a member: lgsp member add 000.00.13.H29 --name 'UBND phường Phúc Xá'", run,
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
        *g, "add", "Register a peer node by its TLS certificate: lgsp node add ward-phuhoi node-b.pem", run,
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
}

}  // namespace lgsp::cli
