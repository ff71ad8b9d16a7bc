// The catalogue of stable codes for signing and verification outcomes, and the one exception type.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace lgsp::signing {

struct ErrorCode {
  std::string_view code;  // stable machine code, e.g. "LGSP-SIGN-PIN-INCORRECT"
  std::string_view title_en;
  std::string_view title_vi;
};

namespace errors {
// Tokens and keys.
inline constexpr ErrorCode kModule{"LGSP-SIGN-MODULE", "PKCS#11 module cannot be loaded",
                                   "Không nạp được mô-đun PKCS#11"};
inline constexpr ErrorCode kTokenAbsent{"LGSP-SIGN-TOKEN-ABSENT", "Token not present",
                                        "Không tìm thấy thiết bị ký số (token)"};
inline constexpr ErrorCode kPinIncorrect{"LGSP-SIGN-PIN-INCORRECT", "Wrong PIN", "Mã PIN không đúng"};
inline constexpr ErrorCode kPinLocked{"LGSP-SIGN-PIN-LOCKED", "PIN locked", "Mã PIN đã bị khóa"};
inline constexpr ErrorCode kPinUnavailable{"LGSP-SIGN-PIN-UNAVAILABLE", "No PIN given", "Chưa cung cấp mã PIN"};
inline constexpr ErrorCode kKeyUnknown{"LGSP-SIGN-KEY-UNKNOWN", "No such key on the token",
                                       "Không có khóa này trên token"};
inline constexpr ErrorCode kKeyAmbiguous{"LGSP-SIGN-KEY-AMBIGUOUS", "Several keys on the token; choose one",
                                         "Token có nhiều khóa; cần chọn một khóa"};
inline constexpr ErrorCode kToken{"LGSP-SIGN-TOKEN", "Token operation failed", "Thao tác trên token thất bại"};
// Inputs.
inline constexpr ErrorCode kMalformed{"LGSP-SIGN-MALFORMED", "Malformed document or signature",
                                      "Tài liệu hoặc chữ ký không đúng định dạng"};
inline constexpr ErrorCode kAlreadySigned{"LGSP-SIGN-ALREADY-SIGNED", "Document already carries a signature",
                                          "Tài liệu đã có chữ ký"};
inline constexpr ErrorCode kConfiguration{"LGSP-SIGN-CONFIG", "Invalid signing or trust configuration",
                                          "Cấu hình ký số hoặc tin cậy không hợp lệ"};
inline constexpr ErrorCode kChainMissing{"LGSP-SIGN-CHAIN-MISSING", "Signer's CA certificates not found",
                                         "Không tìm thấy chứng thư số của CA cấp cho người ký"};
inline constexpr ErrorCode kInternal{"LGSP-SIGN-INTERNAL", "Internal signing error", "Lỗi nội bộ khi ký số"};
// PDF documents (PAdES signing and verification) and time-stamps.
inline constexpr ErrorCode kPdfNotPdf{"LGSP-PDF-NOT-PDF", "Not a PDF document", "Không phải tài liệu PDF"};
inline constexpr ErrorCode kPdfDamaged{"LGSP-PDF-DAMAGED", "PDF document is damaged and cannot be read",
                                       "Tài liệu PDF bị hỏng, không đọc được"};
inline constexpr ErrorCode kPdfEncrypted{"LGSP-PDF-ENCRYPTED", "PDF document is encrypted",
                                         "Tài liệu PDF đã bị mã hóa"};
inline constexpr ErrorCode kPdfPlaceholder{"LGSP-PDF-SIGNATURE-TOO-LARGE",
                                           "Signature does not fit in the space reserved in the PDF",
                                           "Chữ ký vượt quá vùng dành sẵn trong tệp PDF"};
inline constexpr ErrorCode kPdfPrepared{"LGSP-PDF-PREPARED-INVALID",
                                        "Prepared PDF is damaged or does not match the signature",
                                        "Dữ liệu PDF đã chuẩn bị bị hỏng hoặc không khớp với chữ ký"};
inline constexpr ErrorCode kTimestamp{"LGSP-SIGN-TIMESTAMP", "Time-stamping authority failed",
                                      "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian"};
// Verification outcomes (a report carries one of these when the signature is not valid).
inline constexpr ErrorCode kNoSignature{"LGSP-VERIFY-NO-SIGNATURE", "No signature found", "Không tìm thấy chữ ký"};
inline constexpr ErrorCode kMultipleSignatures{"LGSP-VERIFY-MULTIPLE", "More than one signature",
                                               "Có nhiều hơn một chữ ký"};
inline constexpr ErrorCode kReferenceScope{"LGSP-VERIFY-REFERENCE",
                                           "Signature does not cover the whole document (possible wrapping)",
                                           "Chữ ký không bao trùm toàn bộ tài liệu (nghi giả mạo cấu trúc)"};
inline constexpr ErrorCode kUnsignedContent{"LGSP-VERIFY-UNSIGNED-CONTENT",
                                            "Signature carries content that its references do not cover",
                                            "Chữ ký mang nội dung không được ký"};
inline constexpr ErrorCode kNotCades{"LGSP-VERIFY-NOT-CADES", "CMS signature without CAdES-BES attributes",
                                     "Chữ ký CMS không có các thuộc tính CAdES-BES"};
inline constexpr ErrorCode kExternalReference{"LGSP-VERIFY-EXTERNAL-URI", "Reference to outside the document",
                                              "Tham chiếu ra ngoài tài liệu"};
inline constexpr ErrorCode kForbiddenTransform{"LGSP-VERIFY-TRANSFORM", "Transform not allowed",
                                               "Phép biến đổi không được phép"};
inline constexpr ErrorCode kWeakAlgorithm{"LGSP-VERIFY-WEAK-ALGORITHM", "Algorithm not accepted (SHA-1)",
                                          "Thuật toán không được chấp nhận (SHA-1)"};
inline constexpr ErrorCode kUnsupportedAlgorithm{"LGSP-VERIFY-ALGORITHM", "Unsupported algorithm",
                                                 "Thuật toán không được hỗ trợ"};
inline constexpr ErrorCode kModified{"LGSP-VERIFY-MODIFIED", "Content modified after signing",
                                     "Nội dung đã bị thay đổi sau khi ký"};
inline constexpr ErrorCode kBadSignature{"LGSP-VERIFY-BAD-SIGNATURE", "Signature value does not match",
                                         "Giá trị chữ ký không khớp"};
inline constexpr ErrorCode kNoCertificate{"LGSP-VERIFY-NO-CERTIFICATE", "Signer certificate missing",
                                          "Thiếu chứng thư số của người ký"};
inline constexpr ErrorCode kUntrusted{"LGSP-VERIFY-UNTRUSTED", "Certificate not trusted",
                                      "Chứng thư số không được tin cậy"};
inline constexpr ErrorCode kExpired{"LGSP-VERIFY-EXPIRED", "Certificate not valid at signing time",
                                    "Chứng thư số không còn hiệu lực tại thời điểm ký"};
inline constexpr ErrorCode kKeyUsage{"LGSP-VERIFY-KEY-USAGE", "Certificate not allowed to sign",
                                     "Chứng thư số không được phép dùng để ký"};
inline constexpr ErrorCode kRevoked{"LGSP-VERIFY-REVOKED", "Certificate revoked", "Chứng thư số đã bị thu hồi"};
inline constexpr ErrorCode kRevocationUnknown{"LGSP-VERIFY-REVOCATION-UNKNOWN", "Revocation status unavailable",
                                              "Không xác định được tình trạng thu hồi"};
inline constexpr ErrorCode kSigningTime{"LGSP-VERIFY-SIGNING-TIME", "Signing time not acceptable",
                                        "Thời điểm ký không hợp lệ"};
}  // namespace errors

// Every failure of the signing library. what() says what failed and why, in English, never with a PIN.
class SigningError : public std::runtime_error {
 public:
  SigningError(const ErrorCode& code, const std::string& message) : std::runtime_error(message), code_(&code) {}
  const ErrorCode& code() const { return *code_; }

 private:
  const ErrorCode* code_;
};

}  // namespace lgsp::signing
