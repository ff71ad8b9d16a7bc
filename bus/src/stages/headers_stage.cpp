// Stage 1 of POST /v1/messages: the LGSP headers are present and well formed, and there is a payload.
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

class HeadersStage : public Exchange::Impl::Stage {
 public:
  using Exchange::Impl::Stage::Stage;
  void process(const SubmissionPtr& s, const Next& next) override {
    auto& r = s->request;
    s->service_id = r.header("lgsp-service").value_or("");
    s->message_id = r.header("lgsp-message-id").value_or("");
    s->conversation = r.header("lgsp-conversation-id").value_or("");
    if (!Registry::is_service_id(s->service_id))
      return x.refuse(*s, problem(errors::kMissingHeader, "LGSP-Service must name a service MEMBER/SUBSYSTEM/code/vN"));
    if (!is_wire_id(s->message_id))
      return x.refuse(*s, problem(errors::kMissingHeader, "LGSP-Message-Id is required: " + std::string(kWireIdRule)));
    if (!s->conversation.empty() && !is_wire_id(s->conversation))
      return x.refuse(*s, problem(errors::kMissingHeader, "LGSP-Conversation-Id: " + std::string(kWireIdRule)));
    if (r.body.empty()) return x.refuse(*s, problem(errors::kContract, "the message has no payload"));
    next(s);
  }
};

}  // namespace

std::unique_ptr<Exchange::Impl::Stage> stages::headers(Exchange::Impl& x) { return std::make_unique<HeadersStage>(x); }

}  // namespace lgsp::bus
