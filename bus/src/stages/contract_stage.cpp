// The payload satisfies the service's request contract (400 with the validator's error list). A call
// without a body (GET, DELETE) has nothing to validate; a POST or PUT is validated even when empty.
// Inbound traffic is checked with the receive profile (docs/contracts.md): the variants of the standard real
// producers send are accepted, kept on the submission and counted per contract and variant.
#include "stage.hpp"

#include "lgsp/bus/metrics.hpp"
#include "lgsp/contracts/catalogue.hpp"

#include <set>

namespace lgsp::bus::pipeline {
namespace {

class ContractStage : public Stage {
 public:
  explicit ContractStage(std::shared_ptr<const StageContext> context) : x_(std::move(context)) {}

  void process(const SubmissionPtr& s, const Next& next) override {
    const auto& r = s->request;
    if (r.body.empty() && r.method != "POST" && r.method != "PUT") return next(s);
    const auto* catalogue = x_->catalogue();
    const auto* contract = catalogue ? catalogue->find(s->caller.service.request_contract) : nullptr;
    if (!contract)
      return x_->refuse(*s, problem(errors::kInternal, "contract " + s->caller.service.request_contract + " is gone"));
    auto result = contract->validate(r.body, x_->limits, contracts::Profile::receive);
    if (!result.valid())
      return x_->refuse(*s, problem(errors::kContract, "the payload does not satisfy " + contract->id(),
                                    contracts::to_json(result.errors)));
    if (x_->metrics) {
      std::set<std::string> seen;  // once per variant and message, however often it occurs
      for (const auto& w : result.warnings)
        if (seen.insert(w.variant).second) x_->metrics->count_contract_variant(contract->id(), w.variant);
    }
    s->contract_warnings = std::move(result.warnings);
    next(s);
  }

 private:
  std::shared_ptr<const StageContext> x_;
};

}  // namespace

std::unique_ptr<Stage> contract(std::shared_ptr<const StageContext> context) {
  return std::make_unique<ContractStage>(std::move(context));
}

}  // namespace lgsp::bus::pipeline
