// Stage 5: the receipt is sealed by the node's batch signer (HSM), by callback.
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

class SealStage : public Exchange::Impl::Stage {
 public:
  using Exchange::Impl::Stage::Stage;
  void process(const SubmissionPtr& s, const Next& next) override {
    Sealer* sealer = x.deps.sealer();
    std::string why;
    if (!sealer || !sealer->ready(why))
      return x.refuse(*s, problem(errors::kSigningUnavailable, why.empty() ? "signing is disabled on this node" : why));
    s->receipt.accepted_at = utc_now_rfc3339();
    // `keep` holds the exchange (and so this stage) alive until the HSM answers.
    sealer->seal(s->receipt.leaf(), [this, keep = x.shared_from_this(), s, next](Seal seal, std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          return x.refuse(*s, problem(errors::kSigningUnavailable, e.what()));
        }
      }
      s->seal = std::move(seal);
      next(s);
    });
  }
};

}  // namespace

std::unique_ptr<Exchange::Impl::Stage> stages::seal(Exchange::Impl& x) { return std::make_unique<SealStage>(x); }

}  // namespace lgsp::bus
