// The catalogue of stable error codes the node answers with. HTTP status is chosen here, at the edge.
#pragma once

#include <string_view>

namespace lgsp::bus {

struct ErrorCode {
  std::string_view code;  // stable machine code, e.g. "LGSP-404-ROUTE"
  unsigned http_status;
  std::string_view title_en;
  std::string_view title_vi;
};

namespace errors {
inline constexpr ErrorCode kMalformedRequest{"LGSP-400-MALFORMED", 400, "Malformed HTTP request",
                                             "Yêu cầu HTTP không hợp lệ"};
inline constexpr ErrorCode kUnknownRoute{"LGSP-404-ROUTE", 404, "No such resource", "Không tìm thấy tài nguyên"};
inline constexpr ErrorCode kMethodNotAllowed{"LGSP-405-METHOD", 405, "Method not allowed for this resource",
                                             "Phương thức không được hỗ trợ cho tài nguyên này"};
inline constexpr ErrorCode kRequestTooLarge{"LGSP-413-TOO-LARGE", 413, "Request body too large",
                                            "Nội dung yêu cầu vượt quá giới hạn cho phép"};
inline constexpr ErrorCode kHeadersTooLarge{"LGSP-431-HEADERS", 431, "Request headers too large",
                                            "Phần đầu yêu cầu vượt quá giới hạn cho phép"};
inline constexpr ErrorCode kInternal{"LGSP-500-INTERNAL", 500, "Internal error", "Lỗi nội bộ"};
inline constexpr ErrorCode kNotReady{"LGSP-503-NOT-READY", 503, "Node not ready", "Nút chưa sẵn sàng"};
}  // namespace errors

}  // namespace lgsp::bus
