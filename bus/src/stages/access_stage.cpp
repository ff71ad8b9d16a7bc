// Who is calling (API key, client certificate, peer node), for whom (LGSP-Client), which service, ACL.
#include "stage.hpp"

#include "lgsp/bus/caller.hpp"
#include "lgsp/bus/registry.hpp"

namespace lgsp::bus::pipeline {
namespace {

class AccessStage : public Stage {
 public:
  explicit AccessStage(std::shared_ptr<const StageContext> context) : x_(std::move(context)) {}

  void process(const SubmissionPtr& s, const Next& next) override {
    Store* store = x_->store();
    const auto* catalogue = x_->catalogue();
    if (!store || !catalogue) return x_->refuse(*s, problem(errors::kNotReady, "the store is not open yet"));
    // Registry reads come from SQLite's page cache under WAL: no I/O wait, so they run here.
    Registry registry(*store, catalogue, x_->registry_cache.get());
    auto who = identify_caller(s->request, registry, s->service_id);
    if (auto* refusal = std::get_if<HttpResponse>(&who)) return x_->refuse(*s, std::move(*refusal));
    s->caller = std::get<Caller>(std::move(who));
    next(s);
  }

 private:
  std::shared_ptr<const StageContext> x_;
};

}  // namespace

std::unique_ptr<Stage> access(std::shared_ptr<const StageContext> context) {
  return std::make_unique<AccessStage>(std::move(context));
}

}  // namespace lgsp::bus::pipeline
