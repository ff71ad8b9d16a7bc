// The error codes the adapter runner and every adapter kind answer with on HTTP (problem+json) and write in
// reason files and dead letters. Stable strings, English and Vietnamese, as the node's (lgsp/bus/errors.hpp).
#pragma once

#include "lgsp/bus/errors.hpp"

namespace lgsp::adapters::errors {

using bus::ErrorCode;

// A push to an adapter's route that is not a delivery sealed by a pinned node certificate.
inline constexpr ErrorCode kDeliverySeal{"LGSP-403-ADAPTER-SEAL", 403,
                                         "The delivery is not sealed by a pinned node certificate",
                                         "Dữ liệu chuyển đến không được niêm phong bởi nút LGSP đã ghim chứng thư"};
// A route of an adapter that is not started (the runner starting or stopping, or the adapter failed).
inline constexpr ErrorCode kAdapterNotReady{"LGSP-503-ADAPTER-NOT-READY", 503, "The adapter is not running",
                                            "Bộ chuyển đổi chưa sẵn sàng"};
// An adapter route that did not answer within the runner's request timeout.
inline constexpr ErrorCode kAdapterTimeout{"LGSP-504-ADAPTER", 504, "The adapter did not answer in time",
                                           "Bộ chuyển đổi không trả lời kịp thời hạn"};
// A body larger than the adapter route's own limit.
inline constexpr ErrorCode kAdapterTooLarge{"LGSP-413-ADAPTER", 413, "Request body too large for this adapter",
                                            "Nội dung yêu cầu vượt quá giới hạn của bộ chuyển đổi"};
// A sealed delivery of a service this adapter does not handle (the registry points the service at the wrong
// adapter): refused so the node keeps it and retries until the registry is fixed.
inline constexpr ErrorCode kWrongService{"LGSP-403-ADAPTER-SERVICE", 403,
                                         "The delivery is for a service this adapter does not handle",
                                         "Bản tin chuyển đến thuộc dịch vụ mà bộ chuyển đổi này không xử lý"};

}  // namespace lgsp::adapters::errors
