// `lgsp verify-receipt`: check a node's seal offline, on a message receipt or a proxied call record.
#include "cli.hpp"
#include "files.hpp"
#include "lgsp/bus/call_proxy.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/trust.hpp"
#include "node_pins.hpp"
#include "strict_json.hpp"

#include <filesystem>
#include <iostream>
#include <memory>

namespace lgsp::cli {
namespace {

struct ReceiptOptions {
  std::string receipt;
  std::optional<std::string> payload;
  std::vector<std::string> trust;
  std::vector<std::string> crl;
  // The form a receiver has: the LGSP-Signature header and the message's own headers.
  std::optional<std::string> seal_header;
  std::optional<std::string> message_id, client, service, accepted_at, payload_sha256;
  // Whose seals count: these node certificates, or the node whose store (and token) is named.
  std::vector<std::string> node_certs;
  NodeOptions node;
};

constexpr std::size_t kMaxJson = 16 * 1024 * 1024;

std::string read_whole(const std::string& file, std::size_t limit) {
  auto text = read_limited(file, limit);
  if (!text) throw FileError(file, "larger than " + std::to_string(limit) + " bytes");
  return *text;
}

// The leaf the record's fields make, and the digest the record claims for the payload (receipts) or
// the request (calls).
bus::Sha256 leaf_of(const nlohmann::json& record, std::string& claimed_digest) {
  if (record.contains("call_id")) {
    auto call = bus::CallSeal::from_json(record);
    claimed_digest = call.request_sha256;
    return call.leaf();
  }
  auto receipt = bus::Receipt::from_json(record);
  claimed_digest = receipt.payload_sha256;
  return receipt.leaf();
}

// The receipt a receiver rebuilds from the delivered headers. Usage errors give nullopt with `why`.
std::optional<nlohmann::json> record_from_headers(const ReceiptOptions& o, std::string& why) {
  for (const auto& [name, value] : {std::pair{"--message-id", &o.message_id}, std::pair{"--client", &o.client},
                                    std::pair{"--service", &o.service}, std::pair{"--accepted-at", &o.accepted_at}})
    if (!*value) {
      why = std::string("--seal-header needs ") + name;
      return std::nullopt;
    }
  if (!o.payload_sha256 && !o.payload) {
    why = "--seal-header needs --payload or --payload-sha256";
    return std::nullopt;
  }
  std::string digest;
  if (o.payload_sha256) {
    digest = *o.payload_sha256;
  } else {
    digest = bus::sha256_hex(read_whole(*o.payload, std::size_t{1} << 32));
  }
  nlohmann::json seal;
  try {
    seal = parse_strict_json(*o.seal_header);
  } catch (const DuplicateKey&) {
    throw;
  } catch (const std::exception&) {
    seal = nlohmann::json();  // verify_seal says the seal is not a JSON object
  }
  return nlohmann::json{{"message_id", *o.message_id},   {"client", *o.client},      {"service", *o.service},
                        {"accepted_at", *o.accepted_at}, {"payload_sha256", digest}, {"signature", seal}};
}

int run_verify_receipt(const ReceiptOptions& o) {
  nlohmann::json record;
  std::string claimed;
  bus::Sha256 leaf;
  const std::string what = o.seal_header ? std::string("message ") + o.message_id.value_or("") : "receipt " + o.receipt;
  if (o.seal_header.has_value() == !o.receipt.empty())
    return fail("verify-receipt", "give either --receipt or --seal-header", kExitUsage);
  // A seal that verifies with the certificate it carries proves nothing about who made it: the
  // certificate must chain to a trusted root and be a pinned node certificate.
  if (o.trust.empty())
    return fail("verify-receipt", "give --trust ROOT.pem: the node's certificate must chain to a trusted root",
                kExitUsage);
  const bool from_store = o.node.data_dir || o.node.config_file;
  if (o.node_certs.empty() && !from_store)
    return fail("verify-receipt",
                "give --node-cert FILE (the sealing node's certificate, PEM; repeatable) or --data-dir DIR (the "
                "node's store: its own token's certificate and its registered peer nodes')",
                kExitUsage);
  NodePins pins;
  try {
    std::optional<bus::Config> config;
    if (from_store) {
      config = o.node.load();
      if (!std::filesystem::exists(config->store.data_dir / "lgsp.db"))
        return fail(config->store.data_dir.string(), "no node store here (lgsp.db)", kExitUsage);
    }
    pins = own_node_pins(config ? &*config : nullptr, o.node_certs);
    if (config) {
      auto store = bus::open_embedded_store(*config);
      add_peer_pins(*store, pins);
    }
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  } catch (const bus::StoreError& e) {
    return fail("store", e.what(), kExitUsage);
  } catch (const signing::SigningError& e) {
    return fail("--node-cert", e.what(), kExitUsage);
  }
  if (pins.pins.empty())
    return fail("verify-receipt",
                "no node certificate to pin" +
                    (pins.token_note.empty() ? std::string() : " (" + pins.token_note + ")") +
                    ": give --node-cert FILE",
                kExitUsage);
  if (!o.seal_header && (o.message_id || o.client || o.service || o.accepted_at || o.payload_sha256))
    return fail("verify-receipt",
                "--message-id, --client, --service, --accepted-at, --payload-sha256 go with --seal-header", kExitUsage);
  try {
    if (o.seal_header) {
      std::string why;
      auto rebuilt = record_from_headers(o, why);
      if (!rebuilt) return fail("verify-receipt", why, kExitUsage);
      record = std::move(*rebuilt);
    } else {
      record = parse_strict_json(read_whole(o.receipt, kMaxJson));
    }
    leaf = leaf_of(record, claimed);
  } catch (const FileError& e) {
    return fail(e.file, e.why, kExitUsage);
  } catch (const DuplicateKey& e) {
    return fail(what, e.what(), kExitFailed);
  } catch (const std::exception& e) {
    return fail(what, std::string("not a receipt or call record: ") + e.what(), kExitFailed);
  }
  if (o.payload) {
    std::string payload;
    try {
      payload = read_whole(*o.payload, std::size_t{1} << 32);
    } catch (const FileError& e) {
      return fail(e.file, e.why, kExitUsage);
    }
    if (bus::sha256_hex(payload) != claimed)
      return fail(what, "the payload " + *o.payload + " is not the one the receipt names", kExitFailed);
  }
  std::unique_ptr<signing::TrustStore> trust;
  try {
    {
      signing::TrustPolicy policy;
      for (const auto& f : o.trust)
        for (auto& c : signing::load_pem_certificates(f)) policy.anchors.push_back(std::move(c));
      policy.revocation = o.crl.empty() ? signing::RevocationMode::kNone : signing::RevocationMode::kCrl;
      for (const auto& f : o.crl) policy.crls.push_back(signing::load_crl(f));
      trust = std::make_unique<signing::TrustStore>(std::move(policy));
    }
  } catch (const signing::SigningError& e) {
    return fail("trust", e.what(), kExitUsage);
  }
  auto check = bus::verify_seal(leaf, record.value("signature", nlohmann::json()), trust.get(), &pins.pins);
  if (!check.valid) return fail(what, check.reason, kExitFailed);
  std::cout << "valid: sealed by " << check.signer << " at " << check.signed_at << " (batch of " << check.batch_size
            << ", root " << check.root << ")\n";
  return kExitOk;
}

}  // namespace

void add_receipt_command(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("verify-receipt", "Verify a node's seal on a receipt or a proxied call record");
  auto o = std::make_shared<ReceiptOptions>();
  cmd->add_option("--receipt", o->receipt,
                  "JSON receipt {message_id, service, client, accepted_at, payload_sha256, signature} or call "
                  "record {call_id, client, service, at, request_sha256, response_sha256, status, signature}")
      ->type_name("FILE");
  cmd->add_option("--seal-header", o->seal_header,
                  "Instead of --receipt: the LGSP-Signature header of a delivered message (compact JSON), with "
                  "--message-id, --client, --service, --accepted-at and --payload or --payload-sha256")
      ->type_name("JSON");
  cmd->add_option("--message-id", o->message_id, "LGSP-Message-Id of the delivered message (with --seal-header)");
  cmd->add_option("--client", o->client, "LGSP-Client of the delivered message (with --seal-header)");
  cmd->add_option("--service", o->service, "LGSP-Service of the delivered message (with --seal-header)");
  cmd->add_option("--accepted-at", o->accepted_at, "LGSP-Accepted-At of the delivered message (with --seal-header)");
  cmd->add_option("--payload-sha256", o->payload_sha256,
                  "LGSP-Payload-SHA256 (hex), when the body is not at hand (with --seal-header)");
  cmd->add_option("--payload", o->payload, "The message payload (or call request body) to check against the digest")
      ->type_name("FILE");
  cmd->add_option("--trust", o->trust,
                  "Trusted root certificate(s) for the node's certificate, PEM; repeatable (required)")
      ->type_name("PEM");
  cmd->add_option("--node-cert", o->node_certs,
                  "A node certificate whose seals count (the sealing node's, pinned), PEM; repeatable")
      ->type_name("PEM");
  o->node.add_to(*cmd, false);
  cmd->add_option("--crl", o->crl, "CRL to check the node's certificate against (with --trust); repeatable")
      ->type_name("FILE");
  cmd->footer(
      "A delivered message carries the seal in its LGSP-Signature header: pass it with --seal-header and the\n"
      "LGSP-Message-Id, LGSP-Client, LGSP-Service and LGSP-Accepted-At headers, and the body with --payload.\n"
      "A seal counts only when its certificate chains to --trust AND is a pinned node certificate: one given\n"
      "with --node-cert, or (with --data-dir/--config) the node's own token certificate and its registered\n"
      "peer nodes'. Another certificate under the same root (another agency's seal key) is refused.\n"
      "A receipt with a key given twice in one object is refused.\n"
      "Exit codes: 0 valid, 1 invalid (reason on stderr), 2 usage (also: no --trust, no pinned certificate).");
  cmd->callback([&run, o] { run = [o] { return run_verify_receipt(*o); }; });
}

}  // namespace lgsp::cli
