// The request pipelines' stages and the narrow context each sees (Envoy's filter callbacks, not the
// connection manager): POST /v1/messages and /v1/call run the same header, access and contract stages,
// so they ask the same questions and give the same answers. Not a public header.
#pragma once

#include "lgsp/bus/caller.hpp"
#include "lgsp/bus/http.hpp"
#include "lgsp/bus/provider_path.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/sealer.hpp"
#include "lgsp/bus/store.hpp"
#include "lgsp/contracts/validation.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::contracts {
class Catalogue;
}

namespace lgsp::bus {

class Metrics;
class RegistryCache;
class SealCertificateCache;

namespace pipeline {

inline constexpr ErrorCode kMessageIdConflict{"LGSP-409-MESSAGE-ID", 409,
                                              "This message id was used with a different payload",
                                              "Mã thông điệp đã được dùng cho một nội dung khác"};

// One request on its way through a pipeline.
struct Submission {
  HttpRequest request;
  Reply reply;
  std::string service_id;
  std::string message_id;    // /v1/call: empty when the client gave none
  std::string conversation;  // empty: none
  Caller caller;             // filled by the access stage
  // Variants of the standard the payload uses, as the contract stage's receive profile reported them (at most
  // contracts::kMaxWarnings); empty for a strictly conforming payload.
  std::vector<contracts::ValidationWarning> contract_warnings;
  // POST /v1/messages
  Receipt receipt;  // its signature stays null: the seal travels as text (`seal`)
  Seal seal;        // compact JSON, as the signer wrote it (full, and as stored)
  // /v1/call
  ProviderPath provider_path;
  std::string query;
};
using SubmissionPtr = std::shared_ptr<Submission>;
using Next = std::function<void(const SubmissionPtr&)>;

// What the shared stages may use, and nothing more.
struct StageContext {
  std::function<Store*()> store;  // null while the store is opening
  std::function<const contracts::Catalogue*()> catalogue;
  std::shared_ptr<RegistryCache> registry_cache;  // null: no cache
  contracts::ParseLimits limits;
  Metrics* metrics = nullptr;  // may be null
  // Answers the submission with a refusal and records it (counted; a bounded sample is stored).
  std::function<void(Submission& s, HttpResponse refusal)> refuse;
};

// What the message-only stages (idempotency, seal, persist) use besides.
struct MessageContext : StageContext {
  std::function<Sealer*()> sealer;  // null when signing is disabled
  std::shared_ptr<SealCertificateCache> certificates;
  // A stored seal made whole (its certificate read through `tx` when this process has not seen it);
  // `tx_committed` false for the writer's open transaction. Throws SealCertificateMissing.
  std::function<std::string(Transaction& tx, const std::string& stored, bool tx_committed)> full_seal;
  // A message was stored and acknowledged: the deliverer may take it.
  std::function<void()> accepted;
};

// Each stage answers (refusing or accepting) or passes the submission on, now or later from another thread.
class Stage {
 public:
  virtual ~Stage() = default;
  virtual void process(const SubmissionPtr& s, const Next& next) = 0;
};

// Runs the stages in order. A stage that throws refuses the submission with a 500 (logged). Held by
// shared_ptr: a stage answering later (HSM, store) keeps the pipeline alive through its `next`.
class Pipeline : public std::enable_shared_from_this<Pipeline> {
 public:
  Pipeline(std::shared_ptr<const StageContext> context, std::vector<std::unique_ptr<Stage>> stages)
      : context_(std::move(context)), stages_(std::move(stages)) {}
  void run(const SubmissionPtr& s, std::size_t from = 0);

 private:
  std::shared_ptr<const StageContext> context_;
  std::vector<std::unique_ptr<Stage>> stages_;
};

// What the headers stage asks of a route.
struct HeadersRule {
  bool service_from_header = true;  // LGSP-Service (messages); false: an earlier stage set it (call: the URL)
  bool message_id_required = true;  // false: LGSP-Message-Id may be absent, but when given it must be valid
  bool payload_required = true;     // an empty body is a contract refusal
};

// Stage factories, one file each in bus/src/stages/. Adding a stage is a file there, a factory here and
// one line where the pipeline is built (Exchange::Exchange, CallProxy::CallProxy).
std::unique_ptr<Stage> headers(std::shared_ptr<const StageContext> context, HeadersRule rule = {});
std::unique_ptr<Stage> access(std::shared_ptr<const StageContext> context);
std::unique_ptr<Stage> contract(std::shared_ptr<const StageContext> context);
std::unique_ptr<Stage> idempotency(std::shared_ptr<const MessageContext> context);
std::unique_ptr<Stage> seal(std::shared_ptr<const MessageContext> context);
std::unique_ptr<Stage> persist(std::shared_ptr<const MessageContext> context);

// What an earlier acceptance of (client, message id) recorded. A repeat gets its receipt only if it
// repeats the message: the same payload for the same service.
struct Accepted {
  std::string payload_sha256;
  std::string service;
  std::string receipt;  // JSON text

  // The stored receipt as the answer to a repeated message.
  HttpResponse answer() const {
    HttpResponse r;
    r.status = 200;
    r.body = receipt;
    return r;
  }
};
using SealExpander = std::function<std::string(Transaction& tx, const std::string& stored)>;
std::optional<Accepted> find_accepted(Transaction& tx, const std::string& client, const std::string& id,
                                      const SealExpander& full_seal);
// Empty when the submission repeats `a`; otherwise why the id conflicts.
std::string conflict_with(const Accepted& a, const std::string& id, const std::string& service,
                          const std::string& digest);

}  // namespace pipeline
}  // namespace lgsp::bus
