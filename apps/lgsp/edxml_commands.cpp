// `lgsp edxml organ|send|status|inbox`: edXML document exchange through the node (docs/edxml.md). `send` posts to a
// running node; the others work on the node's store, like `lgsp dlq`.
#include "cli.hpp"
#include "files.hpp"
#include "lgsp/bus/edxml_gateway.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/outbound_client.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/repositories.hpp"
#include "lgsp/bus/repositories/edxml_repository.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>

namespace lgsp::cli {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxPackageBytes = 64 * 1024 * 1024;

template <typename Body>
int with_store(const NodeOptions& options, Body body) {
  try {
    auto config = options.load();
    auto store = open_node_store(config, false);
    return body(*store);
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  } catch (const bus::StoreError& e) {
    return fail("store", e.what(), kExitFailed);
  }
}

// The "admin" record of an organ change, in the change's transaction (as registry commands record theirs).
void log_organ_change(bus::Transaction& tx, const std::string& command, const json& options) {
  const json record = {{"who", local_user()}, {"via", "cli"}, {"command", command}, {"options", options}};
  bus::MessageLog::append(tx, "admin", record["who"].get<std::string>(), record);
}

int organ_add(const NodeOptions& options, const std::string& organ, const std::string& subsystem,
              const std::string& name) {
  if (organ.empty() || organ.size() > 64) return fail("ORGAN-ID", "must be 1 to 64 characters", kExitUsage);
  if (!bus::Registry::is_subsystem_id(subsystem))
    return fail("SUBSYSTEM", "'" + subsystem + "' is not MEMBER/NAME", kExitUsage);
  return with_store(options, [&](bus::Store& store) {
    bool known = false;
    store
        .write([&](bus::Transaction& tx) {
          known = bus::repositories(tx).registry.subsystem_exists(tx, subsystem);
          if (!known) return;
          bus::edxml_repository(tx).put_organ(tx, {organ, subsystem, name.empty() ? organ : name, ""});
          // Where an organ's documents go is routing, like the registry: the change is logged as the registry's.
          log_organ_change(tx, "edxml organ add", {{"organ", organ}, {"subsystem", subsystem}, {"name", name}});
        })
        .get();
    if (!known) return fail("SUBSYSTEM", "no subsystem '" + subsystem + "' (lgsp subsystem add)", kExitFailed);
    std::cout << organ << " -> " << subsystem << "\n";
    return kExitOk;
  });
}

int organ_remove(const NodeOptions& options, const std::string& organ) {
  return with_store(options, [&](bus::Store& store) {
    bool removed = false;
    store
        .write([&](bus::Transaction& tx) {
          removed = bus::edxml_repository(tx).remove_organ(tx, organ);
          if (removed) log_organ_change(tx, "edxml organ remove", {{"organ", organ}});
        })
        .get();
    if (!removed) return fail("ORGAN-ID", "no organ '" + organ + "'", kExitFailed);
    return kExitOk;
  });
}

int organ_list(const NodeOptions& options, bool as_json) {
  return with_store(options, [&](bus::Store& store) {
    std::vector<bus::EdxmlOrgan> organs;
    store.read([&](bus::Transaction& tx) { organs = bus::edxml_repository(tx).organs(tx, 100000); });
    json out = json::array();
    for (const auto& o : organs) {
      if (as_json)
        out.push_back({{"organ_id", o.organ_id}, {"subsystem", o.subsystem}, {"name", o.name}});
      else
        std::cout << o.organ_id << "\t" << o.subsystem << "\t" << o.name << "\n";
    }
    if (as_json) std::cout << out.dump(2) << "\n";
    return kExitOk;
  });
}

int status(const NodeOptions& options, const std::string& document_id, bool as_json) {
  return with_store(options, [&](bus::Store& store) {
    std::vector<bus::EdxmlDelivery> deliveries;
    std::vector<bus::EdxmlStatus> statuses;
    store.read([&](bus::Transaction& tx) {
      deliveries = bus::edxml_repository(tx).deliveries(tx, document_id, 1000);
      statuses = bus::edxml_repository(tx).statuses(tx, document_id, 1000);
    });
    if (deliveries.empty()) return fail(document_id, "no such edXML document on this node", kExitFailed);
    if (as_json) {
      json d = json::array(), s = json::array();
      for (const auto& x : deliveries)
        d.push_back({{"kind", x.kind},
                     {"from_organ", x.from_organ},
                     {"to_organ", x.to_organ},
                     {"service", x.service},
                     {"message_id", x.message_id},
                     {"accepted_at", x.accepted_at}});
      for (const auto& x : statuses)
        s.push_back({{"from_organ", x.from_organ},
                     {"status_code", x.status_code},
                     {"description", x.description},
                     {"timestamp", x.timestamp},
                     {"recorded_at", x.recorded_at}});
      std::cout << json{{"document_id", document_id}, {"deliveries", d}, {"statuses", s}}.dump(2) << "\n";
      return kExitOk;
    }
    for (const auto& x : deliveries)
      std::cout << x.accepted_at << "\t" << x.kind << "\t" << x.from_organ << " -> " << x.to_organ << "\t"
                << x.message_id << "\n";
    for (const auto& x : statuses)
      std::cout << x.recorded_at << "\tstatus " << x.status_code << "\t" << x.from_organ << "\t" << x.description
                << "\n";
    return kExitOk;
  });
}

int inbox(const NodeOptions& options, const std::string& organ, std::int64_t limit, bool as_json) {
  return with_store(options, [&](bus::Store& store) {
    std::vector<bus::EdxmlDelivery> rows;
    store.read([&](bus::Transaction& tx) { rows = bus::edxml_repository(tx).inbox(tx, organ, limit); });
    json out = json::array();
    for (const auto& x : rows) {
      if (as_json)
        out.push_back({{"document_id", x.document_id},
                       {"from_organ", x.from_organ},
                       {"subject", x.subject},
                       {"message_id", x.message_id},
                       {"accepted_at", x.accepted_at}});
      else
        std::cout << x.accepted_at << "\t" << x.document_id << "\t" << x.from_organ << "\t" << x.subject << "\n";
    }
    if (as_json) std::cout << out.dump(2) << "\n";
    return kExitOk;
  });
}

int send(const std::string& file, std::string node_url, const std::string& client, std::string api_key,
         const std::string& ca) {
  auto body = read_limited(file, kMaxPackageBytes);
  if (!body) return fail(file, "cannot read the package (or it is over 64 MiB)", kExitUsage);
  if (api_key.empty())
    if (const char* k = std::getenv("LGSP_API_KEY")) api_key = k;
  while (!node_url.empty() && node_url.back() == '/') node_url.pop_back();
  bus::OutboundClient http(bus::OutboundTls{ca, "", ""}, 1, kMaxPackageBytes);
  bus::OutboundRequest request;
  request.method = "POST";
  request.url = node_url + "/v1/edxml/messages";
  request.timeout = std::chrono::seconds(60);
  request.headers = {{"Content-Type", "application/xml"}, {"LGSP-Client", client}};
  if (!api_key.empty()) request.headers.emplace_back("Authorization", "Bearer " + api_key);
  request.body = std::move(*body);
  auto r = http.send_sync(std::move(request));
  if (!r.ok()) return fail(node_url, r.error.empty() ? "no answer" : r.error, kExitFailed);
  std::cout << r.body << "\n";
  if (r.status == 202) return kExitOk;
  auto problem = json::parse(r.body, nullptr, false);
  std::cerr << "lgsp: " << file << " : HTTP " << r.status
            << (problem.is_object() ? " " + problem.value("code", "") + ": " + problem.value("detail", "") : "")
            << "\n";
  return kExitFailed;
}

}  // namespace

void add_edxml_exchange_commands(CLI::App& edxml, Runner& run) {
  {
    auto* organ = edxml.add_subcommand("organ", "Which subsystem handles an organ id's edXML (docs/edxml.md)");
    organ->require_subcommand(1);
    auto options = std::make_shared<NodeOptions>();
    auto id = std::make_shared<std::string>();
    auto subsystem = std::make_shared<std::string>();
    auto name = std::make_shared<std::string>();
    auto* add = organ->add_subcommand("add", "Register (or move) an organ id to a subsystem");
    add->add_option("ORGAN-ID", *id, "QCVN 102 OrganId, e.g. 000.00.21.H41")->required();
    add->add_option("SUBSYSTEM", *subsystem, "MEMBER/NAME")->required();
    add->add_option("--name", *name, "The organ's name [ORGAN-ID]");
    options->add_to(*add, false);
    add->callback(
        [&run, options, id, subsystem, name] { run = [=] { return organ_add(*options, *id, *subsystem, *name); }; });
    auto r_options = std::make_shared<NodeOptions>();
    auto r_id = std::make_shared<std::string>();
    auto* remove = organ->add_subcommand("remove", "Remove an organ id");
    remove->add_option("ORGAN-ID", *r_id, "The organ id")->required();
    r_options->add_to(*remove, false);
    remove->callback([&run, r_options, r_id] { run = [=] { return organ_remove(*r_options, *r_id); }; });
    auto l_options = std::make_shared<NodeOptions>();
    auto l_json = std::make_shared<bool>(false);
    auto* list = organ->add_subcommand("list", "List organ ids and their subsystems");
    list->add_flag("--json", *l_json, "A JSON array instead of lines");
    l_options->add_to(*list, false);
    list->callback([&run, l_options, l_json] { run = [=] { return organ_list(*l_options, *l_json); }; });
  }
  {
    auto* cmd = edxml.add_subcommand("send", "Send an edXML package or status reply through a node");
    auto file = std::make_shared<std::string>();
    auto node = std::make_shared<std::string>("http://127.0.0.1:8080");
    auto client = std::make_shared<std::string>();
    auto key = std::make_shared<std::string>();
    auto ca = std::make_shared<std::string>();
    cmd->add_option("FILE", *file, "The package (edXML:edXML) or status reply (edXML:Status)")->required();
    cmd->add_option("--node", *node, "The node's public URL [http://127.0.0.1:8080]");
    cmd->add_option("--client", *client, "LGSP-Client: the sending subsystem MEMBER/NAME")->required();
    cmd->add_option("--api-key", *key, "The client's API key [$LGSP_API_KEY]");
    cmd->add_option("--ca", *ca, "PEM roots for an https node [the system's]");
    cmd->footer("Prints the node's answer (one receipt per addressee). Exit 0 accepted, 1 refused, 2 usage.");
    cmd->callback(
        [&run, file, node, client, key, ca] { run = [=] { return send(*file, *node, *client, *key, *ca); }; });
  }
  {
    auto* cmd = edxml.add_subcommand("status", "A document's copies and the status replies recorded against it");
    auto options = std::make_shared<NodeOptions>();
    auto id = std::make_shared<std::string>();
    auto as_json = std::make_shared<bool>(false);
    cmd->add_option("DOCUMENT-ID", *id, "The DocumentId, e.g. 000.12.31.H41,2025/11/20,155/UBND-VP")->required();
    cmd->add_flag("--json", *as_json, "JSON instead of lines");
    options->add_to(*cmd, false);
    cmd->callback([&run, options, id, as_json] { run = [=] { return status(*options, *id, *as_json); }; });
  }
  {
    auto* cmd = edxml.add_subcommand("inbox", "Packages addressed to an organ id, newest first");
    auto options = std::make_shared<NodeOptions>();
    auto id = std::make_shared<std::string>();
    auto limit = std::make_shared<std::int64_t>(50);
    auto as_json = std::make_shared<bool>(false);
    cmd->add_option("ORGAN-ID", *id, "The addressee's organ id")->required();
    cmd->add_option("--limit", *limit, "At most this many [50]")->check(CLI::Range(1, 10000));
    cmd->add_flag("--json", *as_json, "A JSON array instead of lines");
    options->add_to(*cmd, false);
    cmd->callback(
        [&run, options, id, limit, as_json] { run = [=] { return inbox(*options, *id, *limit, *as_json); }; });
  }
}

}  // namespace lgsp::cli
