// A repeated message id gets its original receipt (200) or a conflict (409).
#include "stage.hpp"

#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/metrics.hpp"

namespace lgsp::bus::pipeline {
namespace {

// A repeated id from the same client gets the original receipt (200) and is not delivered again; the
// same id with another payload, or for another service, is a conflict (409). The persist stage checks
// again inside the transaction, for two copies racing each other.
class IdempotencyStage : public Stage {
 public:
  explicit IdempotencyStage(std::shared_ptr<const MessageContext> context) : x_(std::move(context)) {}

  void process(const SubmissionPtr& s, const Next& next) override {
    Store* store = x_->store();
    if (!store) return x_->refuse(*s, problem(errors::kNotReady, "the store is closing"));
    const std::string digest = sha256_hex(s->request.body);
    std::optional<Accepted> existing;
    const auto& full_seal = x_->full_seal;
    store->read([&](Transaction& tx) {
      existing = find_accepted(tx, s->caller.client, s->message_id,
                               [&](Transaction& t, const std::string& stored) { return full_seal(t, stored, true); });
    });
    if (existing) {
      auto conflict = conflict_with(*existing, s->message_id, s->service_id, digest);
      if (!conflict.empty()) return x_->refuse(*s, problem(kMessageIdConflict, conflict));
      if (x_->metrics) x_->metrics->count_message("repeated", "");
      return s->reply(existing->answer());
    }
    s->receipt.message_id = s->message_id;
    s->receipt.service = s->service_id;
    s->receipt.client = s->caller.client;
    s->receipt.payload_sha256 = digest;
    next(s);
  }

 private:
  std::shared_ptr<const MessageContext> x_;
};

}  // namespace

std::unique_ptr<Stage> idempotency(std::shared_ptr<const MessageContext> context) {
  return std::make_unique<IdempotencyStage>(std::move(context));
}

}  // namespace lgsp::bus::pipeline
