// Message, payload, seal and log record in one group-committed transaction; then 202.
#include "stage.hpp"

#include "lgsp/bus/log.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/metrics.hpp"
#include "lgsp/bus/repositories.hpp"
#include "lgsp/bus/seal_certificates.hpp"

#include <chrono>

namespace lgsp::bus::pipeline {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class PersistStage : public Stage {
 public:
  explicit PersistStage(std::shared_ptr<const MessageContext> context) : x_(std::move(context)) {}

  void process(const SubmissionPtr& s, const Next&) override {
    Store* store = x_->store();
    if (!store) return x_->refuse(*s, problem(errors::kNotReady, "the store is closing"));
    // What the transaction found: a copy of this message accepted meanwhile (its receipt), if any.
    auto raced = std::make_shared<std::optional<Accepted>>();
    // The answer carries the full seal (with the node's certificates, a few KiB); the message row
    // and the log record carry the stored form, which names the certificate by its SHA-256, and
    // the certificate goes into seal_certificate once (in the same transaction as the first
    // message that names it, so a stored seal never names a certificate the store lacks).
    auto receipt_text = std::make_shared<std::string>(s->receipt.to_text(s->seal.text));
    const bool stored_form = !s->seal.stored.empty() && s->seal.certificate;
    const bool new_certificate = stored_form && !x_->certificates->holds(s->seal.cert_sha256, *s->seal.certificate);
    auto work = [x = x_, s, raced, receipt_text, stored_form, new_certificate](Transaction& tx) {
      const auto& r = s->receipt;
      const std::string content_type = s->request.header("content-type").value_or("application/octet-stream");
      Blob payload{std::vector<std::uint8_t>(s->request.body.begin(), s->request.body.end())};
      const auto& messages = repositories(tx).messages;
      auto seq = messages.accept(
          tx, NewMessage{r.message_id, r.client, r.service,
                         s->conversation.empty() ? std::nullopt : std::optional<std::string>(s->conversation),
                         content_type, r.payload_sha256, r.accepted_at, now_ms()});
      // A copy of this message accepted meanwhile (two sends racing past the idempotency stage) makes
      // the insert do nothing; the stored receipt answers instead.
      if (!seq) {
        *raced = find_accepted(tx, s->caller.client, s->message_id, [&x](Transaction& t, const std::string& stored) {
          return x->full_seal(t, stored, /*tx_committed=*/false);
        });
        return;
      }
      if (new_certificate) store_seal_certificate(tx, s->seal.cert_sha256, *s->seal.certificate);
      const std::string& seal = stored_form ? s->seal.stored : s->seal.text;
      messages.store_body(tx, *seq, std::move(payload), seal);
      const std::string record = stored_form ? r.to_text(seal) : *receipt_text;
      if (s->caller.via_node.empty()) {
        MessageLog::append_text(tx, "accepted", r.client + " " + r.message_id, record);
      } else {
        json body = json::parse(record);
        body["via_node"] = s->caller.via_node;
        MessageLog::append(tx, "accepted", r.client + " " + r.message_id, body);
      }
    };
    const auto submitted = Clock::now();
    try {
      store->write(std::move(work),
                   [x = x_, s, raced, submitted, receipt_text, new_certificate](std::exception_ptr error) {
                     if (x->metrics)
                       x->metrics->observe_log_append(std::chrono::duration<double>(Clock::now() - submitted).count());
                     if (error) {
                       std::string why = "the message could not be stored";
                       try {
                         std::rethrow_exception(error);
                       } catch (const SealCertificateMissing& e) {
                         // A copy raced past the idempotency stage and its stored seal cannot be expanded: the
                         // same 500 the repeat gets there, not "try again".
                         return x->refuse(*s, problem(errors::kInternal, e.what()));
                       } catch (const std::exception& e) {
                         why += std::string(": ") + e.what();
                       }
                       log::error("exchange.persist_failed", {{"message_id", s->message_id}, {"error", why}});
                       // Nothing was acknowledged: the client may send it again.
                       return x->refuse(*s, problem(errors::kNotReady, why));
                     }
                     if (*raced) {
                       auto conflict = conflict_with(**raced, s->message_id, s->service_id, s->receipt.payload_sha256);
                       if (!conflict.empty()) return x->refuse(*s, problem(kMessageIdConflict, conflict));
                       return s->reply((*raced)->answer());
                     }
                     if (new_certificate) x->certificates->remember(s->seal.cert_sha256, *s->seal.certificate);
                     if (x->metrics) x->metrics->count_message("accepted", "");
                     HttpResponse accepted;
                     accepted.status = 202;
                     accepted.body = std::move(*receipt_text);
                     s->reply(std::move(accepted));
                     if (x->accepted) x->accepted();
                   });
    } catch (const StoreError& e) {
      x_->refuse(*s, problem(errors::kNotReady, e.what()));
    }
  }

 private:
  std::shared_ptr<const MessageContext> x_;
};

}  // namespace

std::unique_ptr<Stage> persist(std::shared_ptr<const MessageContext> context) {
  return std::make_unique<PersistStage>(std::move(context));
}

}  // namespace lgsp::bus::pipeline
