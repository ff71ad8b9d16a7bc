// Stage 3: the payload satisfies the service's request contract (400 with the validator's error list).
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

class ContractStage : public Exchange::Impl::Stage {
 public:
  using Exchange::Impl::Stage::Stage;
  void process(const SubmissionPtr& s, const Next& next) override {
    const auto* contract = x.deps.catalogue()->find(s->caller.service.request_contract);
    if (!contract)
      return x.refuse(*s, problem(errors::kInternal, "contract " + s->caller.service.request_contract + " is gone"));
    auto result = contract->validate(s->request.body, x.deps.limits);
    if (!result.valid())
      return x.refuse(*s, problem(errors::kContract, "the payload does not satisfy " + contract->id(),
                                  contracts::to_json(result.errors)));
    next(s);
  }
};

}  // namespace

std::unique_ptr<Exchange::Impl::Stage> stages::contract(Exchange::Impl& x) {
  return std::make_unique<ContractStage>(x);
}

}  // namespace lgsp::bus
