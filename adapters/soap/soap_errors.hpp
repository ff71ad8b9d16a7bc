// The SOAP adapter's own error codes (English and Vietnamese), next to the node's (bus/errors.hpp). In expose
// mode they reach legacy clients inside SOAP faults; in provide mode they reach bus callers as problem+json.
#pragma once

#include "lgsp/bus/errors.hpp"

namespace lgsp::adapters::soap::errors {

using bus::ErrorCode;

// Expose mode: what a legacy SOAP client sent.
inline constexpr ErrorCode kEnvelope{"LGSP-400-SOAP-ENVELOPE", 400,
                                     "The request is not a SOAP envelope this service accepts",
                                     "Yêu cầu không phải phong bì SOAP hợp lệ cho dịch vụ này"};
inline constexpr ErrorCode kVersion{"LGSP-400-SOAP-VERSION", 400,
                                    "SOAP version and content type do not match (SOAP 1.1: text/xml; SOAP 1.2: "
                                    "application/soap+xml)",
                                    "Phiên bản SOAP và kiểu nội dung không khớp nhau"};
inline constexpr ErrorCode kOperation{"LGSP-400-SOAP-OPERATION", 400, "No such operation (body element or SOAPAction)",
                                      "Không có thao tác này (phần tử nội dung hoặc SOAPAction)"};
inline constexpr ErrorCode kMustUnderstand{"LGSP-400-SOAP-MUST-UNDERSTAND", 400,
                                           "A header block marked mustUnderstand is not understood",
                                           "Không hiểu một khối tiêu đề được đánh dấu mustUnderstand"};
inline constexpr ErrorCode kAuth{"LGSP-401-SOAP-AUTH", 401, "WS-Security UsernameToken missing or refused",
                                 "Thiếu hoặc sai thông tin xác thực WS-Security UsernameToken"};
inline constexpr ErrorCode kSize{"LGSP-413-SOAP-SIZE", 413, "The SOAP request is larger than this service accepts",
                                 "Yêu cầu SOAP vượt quá kích thước cho phép"};
inline constexpr ErrorCode kNotReady{"LGSP-503-SOAP-NOT-READY", 503, "The SOAP adapter is not running, try again later",
                                     "Bộ chuyển đổi SOAP chưa sẵn sàng, vui lòng thử lại sau"};
inline constexpr ErrorCode kNodeUnavailable{"LGSP-503-SOAP-NODE", 503, "The bus node cannot be reached",
                                            "Không kết nối được tới nút trục liên thông"};

// Provide mode: what the bus sent to the adapter, and what the legacy SOAP service answered.
inline constexpr ErrorCode kPayload{"LGSP-400-SOAP-PAYLOAD", 400,
                                    "The payload is not one XML element this SOAP service takes",
                                    "Dữ liệu không phải một phần tử XML mà dịch vụ SOAP này nhận"};
inline constexpr ErrorCode kCaller{"LGSP-403-SOAP-CALLER", 403,
                                   "Only the bus node may call this route (a sealed delivery or an allowed address)",
                                   "Chỉ nút trục liên thông được gọi địa chỉ này"};
inline constexpr ErrorCode kFault{"LGSP-502-SOAP-FAULT", 502, "The legacy SOAP service answered with a fault",
                                  "Dịch vụ SOAP của hệ thống cũ trả về lỗi (SOAP fault)"};
inline constexpr ErrorCode kBadAnswer{"LGSP-502-SOAP-ANSWER", 502,
                                      "The legacy SOAP service answered something that is not a SOAP response",
                                      "Dịch vụ SOAP của hệ thống cũ trả về nội dung không phải phản hồi SOAP"};
inline constexpr ErrorCode kLegacyDown{"LGSP-503-SOAP-LEGACY", 503, "The legacy SOAP service cannot be reached",
                                       "Không kết nối được tới dịch vụ SOAP của hệ thống cũ"};
inline constexpr ErrorCode kLegacyTimeout{"LGSP-504-SOAP-LEGACY", 504, "The legacy SOAP service did not answer in time",
                                          "Dịch vụ SOAP của hệ thống cũ không trả lời kịp thời hạn"};
inline constexpr ErrorCode kInternal{"LGSP-500-SOAP-INTERNAL", 500, "Internal error in the SOAP adapter",
                                     "Lỗi nội bộ của bộ chuyển đổi SOAP"};

}  // namespace lgsp::adapters::soap::errors
