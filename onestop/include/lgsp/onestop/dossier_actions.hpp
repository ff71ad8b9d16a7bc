// Who may take which action on a dossier, and what it makes of it: the one table that the dossier service
// enforces (OneStopOffice::act) and that a dossier's `allowed_actions` lists, so the two cannot drift.
#pragma once

#include "lgsp/onestop/actor.hpp"
#include "lgsp/onestop/dossier_status.hpp"
#include "lgsp/onestop/errors.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::onestop {

// What the decision needs to know about the dossier beyond its status.
struct ActionContext {
  DossierStatus status = DossierStatus::kNew;
  std::optional<DossierStatus> paused_from;  // the status before the current pause (5, 6, 7), if any
  bool at_this_office = true;                // the current step is done here, not at another agency
  bool has_result = false;                   // a signed result document is on file
};

// The outcome of checking one action: the transition it makes (with the verb it stands for: the officials'
// "supplement_received" is resume_action(paused_from)), or the refusal (code and reason).
struct ActionDecision {
  std::optional<Transition> transition;
  std::string verb;
  const bus::ErrorCode* refusal = nullptr;
  std::string reason;
  bool allowed() const { return transition.has_value(); }
};

// Whether `role` may ever take `action` (the status aside): checked first, so a role learns nothing of a
// dossier it may not act on.
bool role_may(Role role, std::string_view action);
// Role, status table, pause history and the finishing preconditions, in the order act() reports them.
ActionDecision decide_action(Role role, const ActionContext& context, std::string_view action);
// Every action `role` may take now, i.e. exactly those for which decide_action allows, in table order.
std::vector<std::string> allowed_actions(Role role, const ActionContext& context);
// Every action name act() knows: the table's verbs and the two officials' words for resuming.
const std::vector<std::string>& action_names();

}  // namespace lgsp::onestop
