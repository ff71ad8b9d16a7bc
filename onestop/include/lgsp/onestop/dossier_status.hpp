// Dossier status codes exactly as the national portal's TrangThaiHoSo, and the one table of legal transitions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lgsp::onestop {

enum class DossierStatus : int {
  kNew = 1,                  // Mới đăng ký
  kAccepted = 2,             // Được tiếp nhận
  kNotAccepted = 3,          // Không được tiếp nhận
  kProcessing = 4,           // Đang xử lý
  kSupplementRequested = 5,  // Yêu cầu bổ sung giấy tờ
  kPaymentRequested = 6,     // Yêu cầu thực hiện nghĩa vụ tài chính
  kWithdrawalRequested = 7,  // Công dân yêu cầu rút hồ sơ
  kStopped = 8,              // Dừng xử lý
  kFinished = 9,             // Đã xử lý xong
  kResultDelivered = 10,     // Đã trả kết quả
};

// 1..10; nullopt for anything else.
std::optional<DossierStatus> status_from_code(int code);
inline int code(DossierStatus s) { return static_cast<int>(s); }
// Short English name ("supplement_requested") and the portal's Vietnamese name ("Yêu cầu bổ sung giấy tờ").
std::string_view name_en(DossierStatus s);
std::string_view name_vi(DossierStatus s);
bool is_terminal(DossierStatus s);  // nothing may follow (3, 8, 10)

struct Transition {
  DossierStatus from;
  DossierStatus to;
  std::string_view action;  // the API verb that makes it, e.g. "accept", "request_supplement"
};

// Every legal transition, in one place (the reasons for each row are at the table in dossier_status.cpp).
//
// Statuses 5 (supplement requested), 6 (payment requested) and 7 (withdrawal requested) are pauses: the dossier
// waits for the applicant or for a decision and then goes back to where it was. So that every (from, action)
// pair names exactly one row and find_transition needs nothing but the current status, going back is one action
// per destination, "resume_new" (→ 1), "resume_accepted" (→ 2), "resume_processing" (→ 4), "resume_supplement"
// (→ 5), "resume_payment" (→ 6), rather than one "supplement_received" or "reject_withdrawal" whose target would
// depend on history. Payment is the exception: "payment_received" always leads to 4, because whether the fee was
// asked at acceptance or a financial obligation was found during processing, once paid the work goes on. The
// dossier service, which keeps the history, turns the official's "supplement received" or
// "withdrawal rejected" into resume_action(status before the pause).
//
// The table is necessary, not sufficient: from 5, "refuse" (→ 3) is for a dossier that was never accepted and
// "stop" (→ 8) for one that was; the dossier service checks that against the history.
const std::vector<Transition>& transition_table();
// The action that returns a paused dossier to `before_pause` ("resume_accepted" for kAccepted); nullopt for a
// status nothing resumes to (3, 7, 8, 9, 10).
std::optional<std::string_view> resume_action(DossierStatus before_pause);
// The statuses reachable from `from` in one step, in code order.
std::vector<DossierStatus> allowed_next(DossierStatus from);
bool is_allowed(DossierStatus from, DossierStatus to);
// The transition an action makes from `from`, if that action is legal there.
std::optional<Transition> find_transition(DossierStatus from, std::string_view action);

}  // namespace lgsp::onestop
