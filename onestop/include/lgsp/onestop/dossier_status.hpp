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

// Every legal transition, in one place.
const std::vector<Transition>& transition_table();
// The statuses reachable from `from` in one step, in code order.
std::vector<DossierStatus> allowed_next(DossierStatus from);
bool is_allowed(DossierStatus from, DossierStatus to);
// The transition an action makes from `from`, if that action is legal there.
std::optional<Transition> find_transition(DossierStatus from, std::string_view action);

}  // namespace lgsp::onestop
