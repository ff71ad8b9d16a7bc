#include "lgsp/onestop/dossier_status.hpp"

#include <algorithm>

namespace lgsp::onestop {

namespace {
using S = DossierStatus;

// One row per (from, action); a unit test checks that no pair repeats.
//
// Why the rows are what they are:
// - 1 (filed online, not yet checked): the receiving official accepts, refuses (not within the agency's remit, or
//   not eligible: Mẫu 03), asks for a supplement (Mẫu 02); the applicant may withdraw. Nothing is processed, stopped
//   or finished before acceptance.
// - 2 and 4: processing may pause for a supplement, a payment or a withdrawal request, may be stopped (Mẫu 05) or
//   finished. 2 → 9 directly is for procedures settled at the counter (same-day results). Once accepted a dossier
//   is never "refused" (3); ending it is "stop" (8), which is what the refusal slip would misstate.
// - 5: resumes to the status it paused from (1, 2 or 4: see the header); if the supplement never comes the dossier
//   is refused (never accepted) or stopped (accepted); the applicant may still withdraw.
// - 6: paid → processing; not paid in time → stop; the applicant may withdraw.
// - 7: the agency approves (→ 8, stopped at the applicant's request) or rejects the withdrawal, which resumes the
//   status before the request (1, 2, 4, 5 or 6).
// - 9 → 10 when the result is handed over (counter, post or portal download).
// - 3, 8 and 10 are terminal: a new request is a new dossier with a new code.
const std::vector<Transition> kTable = {
    {S::kNew, S::kAccepted, "accept"},
    {S::kNew, S::kNotAccepted, "refuse"},
    {S::kNew, S::kSupplementRequested, "request_supplement"},
    {S::kNew, S::kWithdrawalRequested, "request_withdrawal"},

    {S::kAccepted, S::kProcessing, "start_processing"},
    {S::kAccepted, S::kSupplementRequested, "request_supplement"},
    {S::kAccepted, S::kPaymentRequested, "request_payment"},
    {S::kAccepted, S::kWithdrawalRequested, "request_withdrawal"},
    {S::kAccepted, S::kStopped, "stop"},
    {S::kAccepted, S::kFinished, "finish"},

    {S::kProcessing, S::kSupplementRequested, "request_supplement"},
    {S::kProcessing, S::kPaymentRequested, "request_payment"},
    {S::kProcessing, S::kWithdrawalRequested, "request_withdrawal"},
    {S::kProcessing, S::kStopped, "stop"},
    {S::kProcessing, S::kFinished, "finish"},

    {S::kSupplementRequested, S::kNew, "resume_new"},
    {S::kSupplementRequested, S::kAccepted, "resume_accepted"},
    {S::kSupplementRequested, S::kProcessing, "resume_processing"},
    {S::kSupplementRequested, S::kNotAccepted, "refuse"},
    {S::kSupplementRequested, S::kWithdrawalRequested, "request_withdrawal"},
    {S::kSupplementRequested, S::kStopped, "stop"},

    {S::kPaymentRequested, S::kProcessing, "payment_received"},
    {S::kPaymentRequested, S::kWithdrawalRequested, "request_withdrawal"},
    {S::kPaymentRequested, S::kStopped, "stop"},

    {S::kWithdrawalRequested, S::kNew, "resume_new"},
    {S::kWithdrawalRequested, S::kAccepted, "resume_accepted"},
    {S::kWithdrawalRequested, S::kProcessing, "resume_processing"},
    {S::kWithdrawalRequested, S::kSupplementRequested, "resume_supplement"},
    {S::kWithdrawalRequested, S::kPaymentRequested, "resume_payment"},
    {S::kWithdrawalRequested, S::kStopped, "approve_withdrawal"},

    {S::kFinished, S::kResultDelivered, "deliver_result"},
};
}  // namespace

std::optional<DossierStatus> status_from_code(int c) {
  if (c < 1 || c > 10) return std::nullopt;
  return static_cast<DossierStatus>(c);
}

std::string_view name_en(DossierStatus s) {
  switch (s) {
    case S::kNew:
      return "new";
    case S::kAccepted:
      return "accepted";
    case S::kNotAccepted:
      return "not_accepted";
    case S::kProcessing:
      return "processing";
    case S::kSupplementRequested:
      return "supplement_requested";
    case S::kPaymentRequested:
      return "payment_requested";
    case S::kWithdrawalRequested:
      return "withdrawal_requested";
    case S::kStopped:
      return "stopped";
    case S::kFinished:
      return "finished";
    case S::kResultDelivered:
      return "result_delivered";
  }
  return "unknown";
}

std::string_view name_vi(DossierStatus s) {
  switch (s) {
    case S::kNew:
      return "Mới đăng ký";
    case S::kAccepted:
      return "Được tiếp nhận";
    case S::kNotAccepted:
      return "Không được tiếp nhận";
    case S::kProcessing:
      return "Đang xử lý";
    case S::kSupplementRequested:
      return "Yêu cầu bổ sung giấy tờ";
    case S::kPaymentRequested:
      return "Yêu cầu thực hiện nghĩa vụ tài chính";
    case S::kWithdrawalRequested:
      return "Công dân yêu cầu rút hồ sơ";
    case S::kStopped:
      return "Dừng xử lý";
    case S::kFinished:
      return "Đã xử lý xong";
    case S::kResultDelivered:
      return "Đã trả kết quả";
  }
  return "Không xác định";
}

bool is_terminal(DossierStatus s) { return s == S::kNotAccepted || s == S::kStopped || s == S::kResultDelivered; }

const std::vector<Transition>& transition_table() { return kTable; }

std::vector<DossierStatus> allowed_next(DossierStatus from) {
  std::vector<DossierStatus> next;
  for (const auto& t : kTable)
    if (t.from == from) next.push_back(t.to);
  std::sort(next.begin(), next.end(), [](S a, S b) { return code(a) < code(b); });
  next.erase(std::unique(next.begin(), next.end()), next.end());
  return next;
}

bool is_allowed(DossierStatus from, DossierStatus to) {
  return std::any_of(kTable.begin(), kTable.end(), [&](const Transition& t) { return t.from == from && t.to == to; });
}

std::optional<Transition> find_transition(DossierStatus from, std::string_view action) {
  for (const auto& t : kTable)
    if (t.from == from && t.action == action) return t;
  return std::nullopt;
}

std::optional<std::string_view> resume_action(DossierStatus before_pause) {
  switch (before_pause) {
    case S::kNew:
      return "resume_new";
    case S::kAccepted:
      return "resume_accepted";
    case S::kProcessing:
      return "resume_processing";
    case S::kSupplementRequested:
      return "resume_supplement";
    case S::kPaymentRequested:
      return "resume_payment";
    default:
      return std::nullopt;
  }
}

}  // namespace lgsp::onestop
