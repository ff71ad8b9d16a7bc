// The receipt is sealed by the node's batch signer (HSM), by callback.
#include "stage.hpp"

#include "lgsp/bus/timestamp.hpp"

namespace lgsp::bus::pipeline {
namespace {

class SealStage : public Stage {
 public:
  explicit SealStage(std::shared_ptr<const MessageContext> context) : x_(std::move(context)) {}

  void process(const SubmissionPtr& s, const Next& next) override {
    Sealer* sealer = x_->sealer ? x_->sealer() : nullptr;
    std::string why;
    if (!sealer || !sealer->ready(why))
      return x_->refuse(*s,
                        problem(errors::kSigningUnavailable, why.empty() ? "signing is disabled on this node" : why));
    s->receipt.accepted_at = utc_now_rfc3339();
    // `next` holds the pipeline (and so this stage) alive until the HSM answers; `x` the context.
    sealer->seal(s->receipt.leaf(), [x = x_, s, next](Seal seal, std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          return x->refuse(*s, problem(errors::kSigningUnavailable, e.what()));
        }
      }
      s->seal = std::move(seal);
      next(s);
    });
  }

 private:
  std::shared_ptr<const MessageContext> x_;
};

}  // namespace

std::unique_ptr<Stage> seal(std::shared_ptr<const MessageContext> context) {
  return std::make_unique<SealStage>(std::move(context));
}

}  // namespace lgsp::bus::pipeline
