#include "lgsp/onestop/dossier_actions.hpp"

#include <algorithm>
#include <set>

namespace lgsp::onestop {
namespace {
using S = DossierStatus;

// Which roles may take which action. The status table says what may follow what; this says who. The
// receiving desk takes the dossier in, asks for what is missing and hands the result back; the specialist
// processes; the leader approves, stops, finishes and decides on withdrawals; the applicant may only ask to
// withdraw. Resuming by status ("resume_accepted") is the system's and the leader's: officials say
// "supplement_received" and the history picks the status.
const std::set<std::string, std::less<>> kReceiving = {
    "accept",          "refuse",           "request_supplement", "supplement_received", "start_processing",
    "request_payment", "payment_received", "request_withdrawal", "deliver_result"};
const std::set<std::string, std::less<>> kProcessing = {"start_processing", "request_supplement", "supplement_received",
                                                        "request_payment", "payment_received"};

ActionDecision refuse(const bus::ErrorCode& code, std::string reason) {
  ActionDecision d;
  d.refusal = &code;
  d.reason = std::move(reason);
  return d;
}

}  // namespace

const std::vector<std::string>& action_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& t : transition_table())
      if (std::find(out.begin(), out.end(), t.action) == out.end()) out.emplace_back(t.action);
    out.emplace_back("supplement_received");
    out.emplace_back("reject_withdrawal");
    return out;
  }();
  return names;
}

bool role_may(Role role, std::string_view action) {
  switch (role) {
    case Role::kSystem:
    case Role::kRemote:
    case Role::kLeader:
      return true;
    case Role::kReceiving:
      return kReceiving.count(action) > 0;
    case Role::kProcessing:
      return kProcessing.count(action) > 0;
    case Role::kCitizen:
      return action == "request_withdrawal";
    case Role::kAdmin:
      return false;
  }
  return false;
}

ActionDecision decide_action(Role role, const ActionContext& c, std::string_view action) {
  if (!role_may(role, action))
    return refuse(errors::kForbidden, "a " + to_string(role) + " may not " + std::string(action));
  std::string verb(action);
  if (c.paused_from && ((action == "supplement_received" && c.status == S::kSupplementRequested) ||
                        (action == "reject_withdrawal" && c.status == S::kWithdrawalRequested)))
    if (auto r = resume_action(*c.paused_from)) verb = std::string(*r);
  auto tr = find_transition(c.status, verb);
  // A resume goes back to the status the dossier paused from, and nowhere else.
  if (tr && verb.rfind("resume_", 0) == 0 && !(c.paused_from && tr->to == *c.paused_from)) tr.reset();
  if (!tr)
    return refuse(errors::kIllegalTransition, "the dossier is " + std::to_string(code(c.status)) + " (" +
                                                  std::string(name_en(c.status)) + "): '" + std::string(action) +
                                                  "' is not allowed");
  // From 5, refusing is for a dossier never accepted; one that was accepted is stopped instead.
  if (c.status == S::kSupplementRequested && verb == "stop" && c.paused_from && *c.paused_from == S::kNew)
    return refuse(errors::kIllegalTransition,
                  "the dossier was never accepted: refuse it (form 03) instead of stopping it");
  if (c.status == S::kSupplementRequested && verb == "refuse" && c.paused_from && *c.paused_from != S::kNew)
    return refuse(errors::kIllegalTransition,
                  "the dossier was accepted before the supplement was asked: stop it instead");
  if (verb == "finish" && !c.at_this_office)
    return refuse(errors::kConflict, "the current step is being done at another agency; finish after its result");
  if (verb == "finish" && !c.has_result)
    return refuse(errors::kConflict, "the dossier has no signed result document yet");
  ActionDecision d;
  d.transition = tr;
  d.verb = verb;
  return d;
}

std::vector<std::string> allowed_actions(Role role, const ActionContext& context) {
  std::vector<std::string> out;
  for (const auto& a : action_names())
    if (decide_action(role, context, a).allowed()) out.push_back(a);
  return out;
}

}  // namespace lgsp::onestop
