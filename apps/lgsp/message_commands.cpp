// `lgsp dlq list|replay` and `lgsp log verify|export`: the dead-letter queue and the tamper-evident
// message log, worked on in the node's store (a running node sees replays at its next poll).
#include "cli.hpp"
#include "files.hpp"
#include "lgsp/bus/dead_letters.hpp"
#include "lgsp/bus/log_audit.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/trust.hpp"
#include "node_pins.hpp"
#include "strict_json.hpp"

#include <algorithm>
#include <iostream>
#include <memory>

namespace lgsp::cli {
namespace {

constexpr const char* kArchiveFormat = "lgsp-log-archive-v1";

template <typename Body>
int with_store(const NodeOptions& options, Body body) {
  try {
    auto config = options.load();
    auto store = open_node_store(config, false);  // never a new, empty store from the wrong folder
    return body(*store);
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  } catch (const bus::StoreError& e) {
    return fail("store", e.what(), kExitFailed);
  }
}

struct LogOptions {
  NodeOptions node;
  std::optional<std::int64_t> from;
  std::optional<std::int64_t> to;
  std::vector<std::string> trust;
  std::optional<std::string> archive;
  std::string out;
  std::vector<std::string> node_certs;
  std::optional<std::string> expect_head;
};

std::unique_ptr<signing::TrustStore> load_trust(const std::vector<std::string>& files) {
  if (files.empty()) return nullptr;
  signing::TrustPolicy policy;
  for (const auto& f : files)
    for (auto& c : signing::load_pem_certificates(f)) policy.anchors.push_back(std::move(c));
  policy.revocation = signing::RevocationMode::kNone;
  return std::make_unique<signing::TrustStore>(std::move(policy));
}

int report_chain(const bus::MessageLog::Check& check) {
  std::cerr << "lgsp: log record " << *check.first_bad << " : " << check.reason << "\n";
  return kExitFailed;
}

void print_notes(bool trusted, const NodePins& pins) {
  if (!trusted) std::cout << "note: seal certificates were not checked against a trusted root (give --trust)\n";
  std::cout << "seals pinned to " << pins.own << " own node certificate" << (pins.own == 1 ? "" : "s") << " and "
            << pins.peers << " registered peer node" << (pins.peers == 1 ? "" : "s") << "\n";
}

// The node's own sealing certificate must be known: a seal is valid only from a pinned node
// certificate. nullopt (after the message) when it is not.
std::optional<NodePins> own_pins_or_fail(const bus::Config* config, const LogOptions& o, int& exit_code) {
  NodePins pins;
  try {
    pins = own_node_pins(config, o.node_certs);
  } catch (const signing::SigningError& e) {
    exit_code = fail("--node-cert", e.what(), kExitUsage);
    return std::nullopt;
  }
  // A node that does not sign has no seals of its own: any seal in its log then counts as foreign.
  if (pins.own == 0 && !(config && !config->signing.enabled)) {
    exit_code = fail("log verify",
                     "the node's sealing certificate is unknown" +
                         (pins.token_note.empty() ? std::string() : " (" + pins.token_note + ")") +
                         ": give it with --node-cert FILE (PEM), or run where the node's token can be read",
                     kExitUsage);
    return std::nullopt;
  }
  return pins;
}

int verify_archive(const LogOptions& o) {
  if (o.expect_head) {
    if (!bus::LogHead::parse(*o.expect_head)) return fail("--expect-head", "give COUNT:HASH (64 hex)", kExitUsage);
  }
  std::optional<bus::Config> config;
  try {
    config = o.node.load();
  } catch (const bus::ConfigError&) {
    // Offline: the archive and --node-cert are enough.
  }
  int code = kExitOk;
  auto pins = own_pins_or_fail(config ? &*config : nullptr, o, code);
  if (!pins) return code;
  nlohmann::json archive;
  try {
    auto text = read_limited(*o.archive, std::size_t{4} << 30);
    if (!text) return fail(*o.archive, "larger than 4 GiB", kExitUsage);
    archive = parse_strict_json(*text);
    if (archive.value("format", "") != kArchiveFormat) return fail(*o.archive, "not an LGSP log archive", kExitFailed);
    std::vector<bus::LogRecord> records;
    for (const auto& r : archive.at("records")) records.push_back(bus::LogRecord::from_json(r));
    auto trust = load_trust(o.trust);
    // Archives written before seals were stored with a certificate reference have none.
    bus::SealCertificates certificates;
    if (archive.contains("certificates"))
      for (const auto& [sha, c] : archive.at("certificates").items())
        certificates.emplace(sha, bus::SealCertificate{c.at("cert").get<std::string>(), c.at("chain").dump()});
    auto check = bus::MessageLog::verify(records, archive.at("prev_hash").get<std::string>(), trust.get(), certificates,
                                         &pins->pins);
    if (!check.ok) return report_chain(check);
    if (o.expect_head) {
      auto expected = *bus::LogHead::parse(*o.expect_head);
      const bool holds = std::any_of(records.begin(), records.end(), [&](const bus::LogRecord& r) {
        return r.seq == expected.count && r.hash == expected.hash;
      });
      if (!holds)
        return fail("log",
                    "the archive does not hold record " + std::to_string(expected.count) +
                        " with the hash "
                        "the expected head names",
                    kExitFailed);
    }
    std::cout << "log intact: " << check.records << " records, " << check.seals << " seals verified\n";
    if (!records.empty()) std::cout << "head: " << bus::LogHead{records.back().seq, records.back().hash}.text() << "\n";
    print_notes(trust != nullptr, *pins);
    return kExitOk;
  } catch (const FileError& e) {
    return fail(e.file, e.why, kExitUsage);
  } catch (const signing::SigningError& e) {
    return fail("trust", e.what(), kExitUsage);
  } catch (const std::exception& e) {
    return fail(*o.archive, std::string("malformed archive: ") + e.what(), kExitFailed);
  }
}

int verify_log(const LogOptions& o) {
  if (o.archive) return verify_archive(o);
  bus::LogAuditOptions audit_options;
  audit_options.from = o.from;
  audit_options.to = o.to;
  if (o.expect_head) {
    audit_options.expect_head = bus::LogHead::parse(*o.expect_head);
    if (!audit_options.expect_head)
      return fail("--expect-head", "give COUNT:HASH as 'lgsp log head' prints it (HASH: 64 hex)", kExitUsage);
  }
  try {
    auto config = o.node.load();
    auto store = open_node_store(config, false);  // never a new, empty store from the wrong folder
    int code = kExitOk;
    auto pins = own_pins_or_fail(&config, o, code);
    if (!pins) return code;
    std::unique_ptr<signing::TrustStore> trust;
    try {
      trust = load_trust(o.trust);
    } catch (const signing::SigningError& e) {
      return fail("trust", e.what(), kExitUsage);
    }
    add_peer_pins(*store, *pins);
    audit_options.trust = trust.get();
    audit_options.pins = &pins->pins;
    auto audit = bus::audit_log(*store, audit_options);
    if (!audit.chain.ok) return report_chain(audit.chain);
    if (!audit.ok) return fail("log", audit.reason, kExitFailed);
    std::cout << "log intact: " << audit.chain.records << " records, " << audit.chain.seals << " seals verified\n";
    std::cout << "head: " << audit.head.text() << "\n";
    if (audit.last_sealed)
      std::cout << "last sealed head: " << audit.last_sealed->head.text() << " sealed at "
                << audit.last_sealed->sealed_at << " (" << audit.sealed_heads << " sealed heads verified)\n";
    else
      std::cout << "last sealed head: none\n";
    if (audit.messages_checked)
      std::cout << audit.messages << " stored messages agree with the log\n";
    else
      std::cout << "note: stored messages are checked against the log only without --from/--to\n";
    print_notes(trust != nullptr, *pins);
    return kExitOk;
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  } catch (const bus::StoreError& e) {
    return fail("store", e.what(), kExitFailed);
  }
}

int print_head(const NodeOptions& options) {
  return with_store(options, [&](bus::Store& store) {
    bus::LogHead head;
    store.read([&](bus::Transaction& tx) { head = bus::read_log_head(tx); });
    std::cout << head.text() << "\n";
    return kExitOk;
  });
}

int export_log(const LogOptions& o) {
  return with_store(o.node, [&](bus::Store& store) {
    std::string prev;
    auto records = bus::MessageLog::read(store, o.from, o.to, prev);
    // Refuse to archive a broken chain: the archive would carry the break as if it were the record.
    const auto certificates = bus::MessageLog::certificates(store);
    auto check = bus::MessageLog::verify(records, prev, nullptr, certificates);
    if (!check.ok)
      return fail("log record " + std::to_string(*check.first_bad), check.reason + " (not exported)", kExitFailed);
    nlohmann::json archive = {{"format", kArchiveFormat}, {"prev_hash", prev}, {"records", nlohmann::json::array()}};
    // Stored seals name their certificate by SHA-256: the archive carries them, so it verifies alone.
    nlohmann::json held = nlohmann::json::object();
    for (const auto& [sha, c] : certificates) held[sha] = {{"cert", c.cert}, {"chain", nlohmann::json::parse(c.chain)}};
    archive["certificates"] = held;
    for (const auto& r : records) archive["records"].push_back(r.to_json());
    if (!records.empty()) {
      archive["from"] = records.front().seq;
      archive["to"] = records.back().seq;
    }
    try {
      write_atomically(o.out, archive.dump(1));
    } catch (const FileError& e) {
      return fail(e.file, e.why, kExitFailed);
    }
    std::cout << "exported " << records.size() << " records to " << o.out << "\n";
    return kExitOk;
  });
}

}  // namespace

void add_message_commands(CLI::App& app, Runner& run) {
  auto* dlq = app.add_subcommand("dlq", "Dead-letter queue: messages whose delivery policy is exhausted");
  dlq->require_subcommand(1);
  {
    auto* list = dlq->add_subcommand("list", "One line per dead message: client, id, service, attempts, last error");
    auto options = std::make_shared<NodeOptions>();
    auto json = std::make_shared<bool>(false);
    options->add_to(*list, false);
    list->add_flag("--json", *json, "A JSON array instead of lines");
    list->callback([&run, options, json] {
      run = [options, json] {
        return with_store(*options, [&](bus::Store& store) {
          auto dead = bus::list_dead_letters(store);
          if (*json) {
            auto out = nlohmann::json::array();
            for (const auto& d : dead) out.push_back(d.to_json());
            std::cout << out.dump(1) << "\n";
          } else {
            for (const auto& d : dead)
              std::cout << d.client << "\t" << d.message_id << "\t" << d.service << "\t" << d.attempts << "\t"
                        << d.last_error << "\n";
          }
          return kExitOk;
        });
      };
    });
  }
  {
    auto* replay = dlq->add_subcommand("replay", "Put dead messages back in the delivery queue (logged)");
    auto options = std::make_shared<NodeOptions>();
    auto id = std::make_shared<std::string>();
    auto client = std::make_shared<std::string>();
    auto all = std::make_shared<bool>(false);
    options->add_to(*replay, false);
    auto* id_opt = replay->add_option("ID", *id, "LGSP-Message-Id of the dead message");
    replay->add_option("--client", *client,
                       "The sending subsystem, when several used the same id; with --all, only its messages");
    auto* all_opt = replay->add_flag("--all", *all, "Every dead message");
    id_opt->excludes(all_opt);
    replay->callback([&run, options, id, client, all] {
      run = [options, id, client, all] {
        if (id->empty() && !*all) return fail("dlq replay", "give a message ID or --all", kExitUsage);
        return with_store(*options, [&](bus::Store& store) {
          try {
            auto n = bus::replay_dead_letters(store, *all ? "" : *id, *client);
            std::cout << "replayed " << n << " message" << (n == 1 ? "" : "s") << "\n";
            return kExitOk;
          } catch (const std::invalid_argument& e) {
            std::cerr << "lgsp: " << e.what() << "\n";
            return kExitFailed;
          }
        });
      };
    });
  }

  auto* log = app.add_subcommand("log", "The tamper-evident message log");
  log->require_subcommand(1);
  {
    auto* verify = log->add_subcommand("verify", "Recompute the hash chain and check every seal in it");
    auto o = std::make_shared<LogOptions>();
    o->node.add_to(*verify, false);
    verify->add_option("--from", o->from, "First record (seq) [1]");
    verify->add_option("--to", o->to, "Last record (seq) [the latest]");
    verify->add_option("--trust", o->trust, "Trusted root(s) for the node's sealing certificate, PEM; repeatable")
        ->type_name("PEM");
    verify->add_option("--archive", o->archive, "Verify an archive from 'lgsp log export' instead of the store")
        ->type_name("FILE");
    verify
        ->add_option("--node-cert", o->node_certs,
                     "The node's sealing certificate, PEM (pinned); repeatable. Default: read from the node's "
                     "token ([signing] module and token, no PIN needed)")
        ->type_name("PEM");
    verify
        ->add_option("--expect-head", o->expect_head,
                     "A head kept elsewhere ('lgsp log head' or a previous verify printed it): record COUNT "
                     "must still be there with HASH")
        ->type_name("COUNT:HASH");
    verify->footer(
        "Only seals by a pinned node certificate count: the node's own (its token, or --node-cert) and the\n"
        "registered peer nodes' (peer_node); another certificate under the same root breaks the record.\n"
        "Over the whole log (no --from/--to) the stored messages are checked against the log (payload\n"
        "SHA-256, client, service, state, attempts, seal), and every sealed head (table log_head) must\n"
        "still name a record of the log. Prints the head (COUNT:HASH) and the last sealed head.\n"
        "Exit codes: 0 intact, 1 broken (the first broken record, or what else is wrong, on stderr), 2 usage.");
    verify->callback([&run, o] { run = [o] { return verify_log(*o); }; });
  }
  {
    auto* head = log->add_subcommand("head", "Print the log's head, COUNT:HASH, to keep elsewhere for --expect-head");
    auto options = std::make_shared<NodeOptions>();
    options->add_to(*head, false);
    head->callback([&run, options] { run = [options] { return print_head(*options); }; });
  }
  {
    auto* exp = log->add_subcommand("export", "Write records to a self-contained archive for offline checking");
    auto o = std::make_shared<LogOptions>();
    o->node.add_to(*exp, false);
    exp->add_option("--from", o->from, "First record (seq) [1]");
    exp->add_option("--to", o->to, "Last record (seq) [the latest]");
    exp->add_option("--out", o->out, "Archive file (JSON)")->required()->type_name("FILE");
    exp->callback([&run, o] { run = [o] { return export_log(*o); }; });
  }
}

}  // namespace lgsp::cli
