// Stage 2: who is calling (API key, client certificate, peer node), for whom (LGSP-Client), which service, ACL.
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

class AccessStage : public Exchange::Impl::Stage {
 public:
  using Exchange::Impl::Stage::Stage;
  void process(const SubmissionPtr& s, const Next& next) override {
    Store* store = x.deps.store();
    const auto* catalogue = x.deps.catalogue();
    if (!store || !catalogue) return x.refuse(*s, problem(errors::kNotReady, "the store is not open yet"));
    // Registry reads come from SQLite's page cache under WAL: no I/O wait, so they run here.
    Registry registry(*store, catalogue, x.deps.registry_cache.get());
    auto who = identify_caller(s->request, registry, s->service_id);
    if (auto* refusal = std::get_if<HttpResponse>(&who)) return x.refuse(*s, std::move(*refusal));
    s->caller = std::get<Caller>(std::move(who));
    next(s);
  }
};

}  // namespace

std::unique_ptr<Exchange::Impl::Stage> stages::access(Exchange::Impl& x) { return std::make_unique<AccessStage>(x); }

}  // namespace lgsp::bus
