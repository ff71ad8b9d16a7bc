// Stage 4: a repeated message id gets its original receipt (200) or a conflict (409).
#include "../exchange_impl.hpp"

#include "lgsp/bus/log.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/metrics.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/timestamp.hpp"
#include "lgsp/contracts/catalogue.hpp"

namespace lgsp::bus {
namespace {

using namespace exchange_detail;
using nlohmann::json;

// A repeated id from the same client gets the original receipt (200) and is not delivered again; the
// same id with another payload, or for another service, is a conflict (409). PersistStage checks again inside the
// transaction, for two copies racing each other.
class IdempotencyStage : public Exchange::Impl::Stage {
 public:
  using Exchange::Impl::Stage::Stage;
  void process(const SubmissionPtr& s, const Next& next) override {
    const std::string digest = sha256_hex(s->request.body);
    std::optional<Accepted> existing;
    x.deps.store()->read([&](Transaction& tx) {
      existing = find_accepted(tx, s->caller.client, s->message_id, x.expander(/*tx_committed=*/true));
    });
    if (existing) {
      auto conflict = conflict_with(*existing, s->message_id, s->service_id, digest);
      if (!conflict.empty()) return x.refuse(*s, problem(kMessageIdConflict, conflict));
      if (x.deps.metrics) x.deps.metrics->count_message("repeated", "");
      return s->reply(existing->answer());
    }
    s->receipt.message_id = s->message_id;
    s->receipt.service = s->service_id;
    s->receipt.client = s->caller.client;
    s->receipt.payload_sha256 = digest;
    next(s);
  }
};

}  // namespace

std::unique_ptr<Exchange::Impl::Stage> stages::idempotency(Exchange::Impl& x) {
  return std::make_unique<IdempotencyStage>(x);
}

}  // namespace lgsp::bus
