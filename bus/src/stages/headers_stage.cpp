// The LGSP headers are present and well formed, and there is a payload (as the route requires).
#include "stage.hpp"

#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/wire_ids.hpp"

namespace lgsp::bus::pipeline {
namespace {

class HeadersStage : public Stage {
 public:
  HeadersStage(std::shared_ptr<const StageContext> context, HeadersRule rule) : x_(std::move(context)), rule_(rule) {}

  void process(const SubmissionPtr& s, const Next& next) override {
    auto& r = s->request;
    if (rule_.service_from_header) s->service_id = r.header("lgsp-service").value_or("");
    const auto message_id = r.header("lgsp-message-id");
    s->message_id = message_id.value_or("");
    s->conversation = r.header("lgsp-conversation-id").value_or("");
    if (rule_.service_from_header && !Registry::is_service_id(s->service_id))
      return x_->refuse(*s,
                        problem(errors::kMissingHeader, "LGSP-Service must name a service MEMBER/SUBSYSTEM/code/vN"));
    if (rule_.message_id_required && !is_wire_id(s->message_id))
      return x_->refuse(*s,
                        problem(errors::kMissingHeader, "LGSP-Message-Id is required: " + std::string(kWireIdRule)));
    if (!rule_.message_id_required && message_id && !is_wire_id(*message_id))
      return x_->refuse(*s,
                        problem(errors::kMissingHeader, "LGSP-Message-Id, when given: " + std::string(kWireIdRule)));
    // An empty LGSP-Conversation-Id is none.
    if (!s->conversation.empty() && !is_wire_id(s->conversation))
      return x_->refuse(*s, problem(errors::kMissingHeader, "LGSP-Conversation-Id: " + std::string(kWireIdRule)));
    if (rule_.payload_required && r.body.empty())
      return x_->refuse(*s, problem(errors::kContract, "the message has no payload"));
    next(s);
  }

 private:
  std::shared_ptr<const StageContext> x_;
  HeadersRule rule_;
};

}  // namespace

std::unique_ptr<Stage> headers(std::shared_ptr<const StageContext> context, HeadersRule rule) {
  return std::make_unique<HeadersStage>(std::move(context), rule);
}

}  // namespace lgsp::bus::pipeline
