// The pipeline runner and the helpers the message stages share.
#include "stage.hpp"

#include "lgsp/bus/log.hpp"
#include "lgsp/bus/repositories.hpp"
#include "lgsp/bus/seal_certificates.hpp"

namespace lgsp::bus::pipeline {

void Pipeline::run(const SubmissionPtr& s, std::size_t i) {
  if (i >= stages_.size()) return;
  try {
    stages_[i]->process(s, [self = shared_from_this(), i](const SubmissionPtr& next) { self->run(next, i + 1); });
  } catch (const SealCertificateMissing& e) {
    context_->refuse(*s, problem(errors::kInternal, e.what()));
  } catch (const StoreError& e) {
    // A stage's read failed (the database is gone, a disk error): nothing was accepted, the client may
    // send again, as when the persist stage's write fails.
    log::error("pipeline.store_failed", {{"stage", i}, {"error", e.what()}});
    context_->refuse(*s, problem(errors::kNotReady, std::string("the store is unavailable: ") + e.what()));
  } catch (const std::exception& e) {
    log::error("pipeline.stage_failed", {{"stage", i}, {"error", e.what()}});
    context_->refuse(*s, problem(errors::kInternal, "the request could not be processed"));
  }
}

std::optional<Accepted> find_accepted(Transaction& tx, const std::string& client, const std::string& id,
                                      const SealExpander& full_seal) {
  auto stored = repositories(tx).messages.find_accepted(tx, client, id);
  if (!stored) return std::nullopt;
  Receipt r{id, stored->service, client, stored->accepted_at, stored->payload_sha256, nullptr};
  // The stored seal is compact JSON text (as dump() wrote it): spliced into the receipt unparsed.
  return Accepted{r.payload_sha256, r.service, r.to_text(full_seal(tx, stored->seal))};
}

std::string conflict_with(const Accepted& a, const std::string& id, const std::string& service,
                          const std::string& digest) {
  if (a.service != service) return "message id '" + id + "' was accepted for service " + a.service + ", not " + service;
  if (a.payload_sha256 != digest)
    return "message id '" + id + "' was accepted with payload " + a.payload_sha256 + ", not " + digest;
  return {};
}

}  // namespace lgsp::bus::pipeline
