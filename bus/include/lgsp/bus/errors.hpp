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
// RFC 9112: a body length that two readers could see differently (request smuggling), or a folded header line.
inline constexpr ErrorCode kBadFraming{"LGSP-400-FRAMING", 400, "Ambiguous or unsupported request framing",
                                       "Cách xác định độ dài hoặc phần đầu yêu cầu HTTP không rõ ràng"};
inline constexpr ErrorCode kMissingHeader{"LGSP-400-HEADER", 400, "A required LGSP header is missing or invalid",
                                          "Thiếu hoặc sai phần đầu LGSP bắt buộc"};
inline constexpr ErrorCode kContract{"LGSP-400-CONTRACT", 400, "The payload does not satisfy the service contract",
                                     "Dữ liệu không đúng hợp đồng dịch vụ"};
inline constexpr ErrorCode kUnauthenticated{"LGSP-401-AUTH", 401, "Authentication required",
                                            "Chưa xác thực hệ thống gọi"};
inline constexpr ErrorCode kClientMismatch{"LGSP-403-CLIENT", 403, "LGSP-Client does not match the caller",
                                           "LGSP-Client không khớp với hệ thống đã xác thực"};
inline constexpr ErrorCode kForbidden{"LGSP-403-ACL", 403, "The client is not granted this service",
                                      "Hệ thống chưa được cấp quyền gọi dịch vụ này"};
inline constexpr ErrorCode kUnknownService{"LGSP-404-SERVICE", 404, "No such service", "Không có dịch vụ này"};
inline constexpr ErrorCode kProviderError{"LGSP-502-PROVIDER", 502, "The service provider failed",
                                          "Hệ thống cung cấp dịch vụ bị lỗi"};
inline constexpr ErrorCode kResponseContract{"LGSP-502-RESPONSE-CONTRACT", 502,
                                             "The provider's answer does not satisfy the response contract",
                                             "Kết quả trả về không đúng hợp đồng dịch vụ"};
inline constexpr ErrorCode kSigningUnavailable{"LGSP-503-SIGNING", 503, "The node cannot sign now (HSM unavailable)",
                                               "Nút không ký được lúc này (HSM không sẵn sàng)"};
inline constexpr ErrorCode kProviderTimeout{"LGSP-504-PROVIDER", 504, "The service provider did not answer in time",
                                            "Hệ thống cung cấp dịch vụ không trả lời kịp thời hạn"};
inline constexpr ErrorCode kInternal{"LGSP-500-INTERNAL", 500, "Internal error", "Lỗi nội bộ"};
inline constexpr ErrorCode kNotReady{"LGSP-503-NOT-READY", 503, "Node not ready", "Nút chưa sẵn sàng"};

// Bodies that are not the JSON a route expects (answered by the worker-pool wrapper, request_handler.hpp).
inline constexpr ErrorCode kJsonSyntax{"LGSP-400-JSON", 400, "The body is not JSON", "Nội dung không phải JSON"};
inline constexpr ErrorCode kJsonType{"LGSP-400-JSON-TYPE", 400, "A field has the wrong JSON type",
                                     "Một trường có kiểu JSON không đúng"};
inline constexpr ErrorCode kJsonField{"LGSP-400-JSON-FIELD", 400, "A required field is missing",
                                      "Thiếu một trường bắt buộc"};
// The registry (admin API and CLI).
inline constexpr ErrorCode kRegistryInvalid{"LGSP-400-REGISTRY", 400, "Invalid registry change",
                                            "Thay đổi danh mục không hợp lệ"};
inline constexpr ErrorCode kRegistryNotFound{"LGSP-404-REGISTRY", 404, "No such registry entry",
                                             "Không có mục này trong danh mục"};
inline constexpr ErrorCode kRegistryConflict{"LGSP-409-REGISTRY", 409, "Registry entry already exists",
                                             "Mục đã có trong danh mục"};
// The admin API's callers: a token or a pinned client certificate, with a role.
inline constexpr ErrorCode kAdminUnauthenticated{"LGSP-401-ADMIN", 401, "Admin credentials required",
                                                 "Cần thông tin xác thực quản trị"};
inline constexpr ErrorCode kAdminForbidden{"LGSP-403-ADMIN-ROLE", 403, "Your admin role may not do this",
                                           "Vai trò quản trị của bạn không được làm việc này"};
}  // namespace errors

}  // namespace lgsp::bus
