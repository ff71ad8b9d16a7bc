// The agent's stable error codes (problem+json, English and Vietnamese titles). An unknown origin gets a bare
// 403 with no body at all, so it has no code here.
#pragma once

#include "lgsp/bus/errors.hpp"

namespace lgsp::agent::errors {

using bus::ErrorCode;

inline constexpr ErrorCode kRequest{"LGSP-400-AGENT-REQUEST", 400, "Malformed signing request",
                                    "Yêu cầu ký không đúng định dạng"};
inline constexpr ErrorCode kDigest{"LGSP-400-AGENT-DIGEST", 400, "A digest is not base64 of 32 bytes (SHA-256)",
                                   "Giá trị băm không phải base64 của 32 byte (SHA-256)"};
inline constexpr ErrorCode kBatchTooLarge{"LGSP-413-AGENT-BATCH", 413, "Too many documents in one batch",
                                          "Số tài liệu trong một lần ký vượt quá giới hạn"};
inline constexpr ErrorCode kCertificateUnknown{"LGSP-404-AGENT-CERTIFICATE", 404,
                                               "No plugged token holds this certificate",
                                               "Không token nào đang cắm chứa chứng thư số này"};
inline constexpr ErrorCode kCancelled{"LGSP-403-AGENT-CANCELLED", 403, "The user cancelled the PIN entry",
                                      "Người dùng đã hủy nhập mã PIN"};
inline constexpr ErrorCode kPinIncorrect{"LGSP-401-AGENT-PIN-INCORRECT", 401, "Wrong PIN", "Mã PIN không đúng"};
inline constexpr ErrorCode kPinLocked{"LGSP-423-AGENT-PIN-LOCKED", 423, "The token's PIN is locked",
                                      "Mã PIN của token đã bị khóa"};
inline constexpr ErrorCode kTokenRemoved{"LGSP-410-AGENT-TOKEN-REMOVED", 410,
                                         "The token was removed; nothing was signed",
                                         "Token đã bị rút ra; chưa tài liệu nào được ký"};
inline constexpr ErrorCode kBusy{"LGSP-409-AGENT-BUSY", 409, "Another signing request is waiting for the PIN",
                                 "Đang có một yêu cầu ký khác chờ nhập mã PIN"};
inline constexpr ErrorCode kPinentry{"LGSP-503-AGENT-PINENTRY", 503, "The PIN dialog could not be shown",
                                     "Không hiển thị được hộp thoại nhập mã PIN"};
inline constexpr ErrorCode kToken{"LGSP-502-AGENT-TOKEN", 502, "The token failed", "Token bị lỗi"};

}  // namespace lgsp::agent::errors
