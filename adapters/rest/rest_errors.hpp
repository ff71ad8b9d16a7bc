// The rest adapter's answers (to the legacy caller, to the node), English and Vietnamese like the node's.
#pragma once

#include "lgsp/adapters/errors.hpp"
#include "lgsp/bus/errors.hpp"

namespace lgsp::adapters::rest::errors {
inline constexpr bus::ErrorCode kMapping{"LGSP-422-MAPPING", 422, "The record cannot be mapped to the contract",
                                         "Không ánh xạ được bản ghi sang hợp đồng dịch vụ"};
inline constexpr bus::ErrorCode kAnswerMapping{"LGSP-502-MAPPING", 502, "The answer cannot be mapped back",
                                               "Không ánh xạ được kết quả trả về"};
inline constexpr bus::ErrorCode kNodeUnavailable{"LGSP-503-NODE", 503, "The bus node is unavailable; send again later",
                                                 "Nút trục tích hợp không sẵn sàng, vui lòng gửi lại sau"};
inline constexpr bus::ErrorCode kLegacyRefused{"LGSP-422-LEGACY", 422, "The legacy system refused the request",
                                               "Hệ thống cũ từ chối yêu cầu"};
inline constexpr bus::ErrorCode kLegacyFailed{"LGSP-502-LEGACY", 502, "The legacy system failed", "Hệ thống cũ bị lỗi"};
inline constexpr bus::ErrorCode kLegacyUnavailable{"LGSP-503-LEGACY", 503,
                                                   "The legacy system is unavailable; the node sends again later",
                                                   "Hệ thống cũ không sẵn sàng, nút trục sẽ gửi lại sau"};
inline constexpr bus::ErrorCode kLegacyTimeout{"LGSP-504-LEGACY", 504, "The legacy system did not answer in time",
                                               "Hệ thống cũ không trả lời kịp thời hạn"};
// The wrong-service refusal is the runner-wide adapters::errors::kWrongService.
using adapters::errors::kWrongService;
inline constexpr bus::ErrorCode kCallerRefused{"LGSP-403-CALLER", 403, "This caller may not use this route",
                                               "Bên gọi này không được dùng địa chỉ này"};
}  // namespace lgsp::adapters::rest::errors
