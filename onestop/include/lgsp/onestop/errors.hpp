// The one-stop module's error catalogue: stable codes with English and Vietnamese text; HTTP status at the edge.
#pragma once

#include "lgsp/bus/errors.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace lgsp::onestop {

namespace errors {
using bus::ErrorCode;
inline constexpr ErrorCode kInvalid{"LGSP-400-ONESTOP-INPUT", 400, "The request is incomplete or invalid",
                                    "Yêu cầu thiếu hoặc không hợp lệ"};
inline constexpr ErrorCode kMissingDocuments{"LGSP-400-ONESTOP-DOCUMENTS", 400,
                                             "Mandatory documents of the procedure are missing",
                                             "Thiếu thành phần hồ sơ bắt buộc của thủ tục"};
inline constexpr ErrorCode kFileType{"LGSP-415-ONESTOP-FILE", 415, "This kind of file is not accepted",
                                     "Loại tệp này không được chấp nhận"};
inline constexpr ErrorCode kUnauthenticated{"LGSP-401-ONESTOP-AUTH", 401, "Sign in required",
                                            "Cần đăng nhập để thực hiện"};
inline constexpr ErrorCode kForbidden{"LGSP-403-ONESTOP-ROLE", 403, "Your role may not do this",
                                      "Vai trò của bạn không được thực hiện thao tác này"};
inline constexpr ErrorCode kNotFound{"LGSP-404-ONESTOP", 404, "No such dossier, procedure or profile",
                                     "Không tìm thấy hồ sơ, thủ tục hoặc hồ sơ công dân"};
inline constexpr ErrorCode kIllegalTransition{"LGSP-409-ONESTOP-STATUS", 409,
                                              "The dossier's status does not allow this action",
                                              "Trạng thái hồ sơ không cho phép thao tác này"};
inline constexpr ErrorCode kConflict{"LGSP-409-ONESTOP-CONFLICT", 409, "This conflicts with what is recorded",
                                     "Xung đột với dữ liệu đã ghi nhận"};
inline constexpr ErrorCode kExpiredProfile{"LGSP-409-ONESTOP-PROFILE-EXPIRED", 409,
                                           "The citizen e-profile has expired; renew it first",
                                           "Hồ sơ điện tử công dân đã hết hạn, cần gia hạn"};
inline constexpr ErrorCode kSecondFactor{"LGSP-403-ONESTOP-SECOND-FACTOR", 403,
                                         "The dossier code and ID number or phone do not match",
                                         "Mã hồ sơ và số định danh hoặc số điện thoại không khớp"};
inline constexpr ErrorCode kTooManyAttempts{"LGSP-429-ONESTOP-ATTEMPTS", 429, "Too many wrong attempts; try later",
                                            "Nhập sai quá nhiều lần, vui lòng thử lại sau"};
inline constexpr ErrorCode kUploadQuota{"LGSP-429-ONESTOP-QUOTA", 429,
                                        "Upload quota of this account used up; try later",
                                        "Tài khoản đã tải lên quá hạn mức cho phép, vui lòng thử lại sau"};
inline constexpr ErrorCode kSigning{"LGSP-502-ONESTOP-SIGNING", 502, "The document could not be signed",
                                    "Không ký số được văn bản"};
inline constexpr ErrorCode kToken{"LGSP-422-ONESTOP-TOKEN", 422,
                                  "The signing token refused: check the PIN, the token and the key",
                                  "Token ký số từ chối: kiểm tra mã PIN, token và khóa"};
inline constexpr ErrorCode kBadSeal{"LGSP-403-ONESTOP-SEAL", 403, "The delivery's seal is missing or invalid",
                                    "Chữ ký của nút trục trên bản tin thiếu hoặc không hợp lệ"};
// The office's database cannot be reached or failed the unit (answered with Retry-After): nothing the request
// asked for was done, unless the detail says the outcome of a commit is unknown.
inline constexpr ErrorCode kStoreUnavailable{"LGSP-503-ONESTOP-STORE", 503,
                                             "The office's database is unavailable now; try again shortly",
                                             "Cơ sở dữ liệu của bộ phận một cửa tạm thời không truy cập được, "
                                             "vui lòng thử lại sau"};
inline constexpr ErrorCode kLinkMalformed{"LGSP-400-ONESTOP-LINK", 400,
                                          "The file link is incomplete or malformed (sha256, expires, sig)",
                                          "Đường dẫn tải tệp thiếu thông tin hoặc sai định dạng"};
inline constexpr ErrorCode kLinkSignature{
    "LGSP-403-ONESTOP-LINK", 403, "The file link's signature does not match: it was altered or is not ours",
    "Chữ ký của đường dẫn tải tệp không khớp: đường dẫn đã bị sửa hoặc không hợp lệ"};
inline constexpr ErrorCode kLinkExpired{"LGSP-410-ONESTOP-LINK-EXPIRED", 410, "The file link has expired",
                                        "Đường dẫn tải tệp đã hết hạn"};
inline constexpr ErrorCode kLinkNotShared{"LGSP-404-ONESTOP-LINK-FILE", 404,
                                          "The file is not one of the documents shared with the portal",
                                          "Tệp không thuộc các giấy tờ đã gửi Cổng Dịch vụ công"};
// Results signed by the official through their signing agent (prepare, complete): docs/onestop.md.
inline constexpr ErrorCode kResultTokenRemoved{
    "LGSP-410-ONESTOP-RESULT-TOKEN", 410,
    "Results are no longer signed on a server token: use results/prepare and results/complete",
    "Không còn ký kết quả bằng token trên máy chủ: dùng results/prepare và results/complete"};
inline constexpr ErrorCode kCertificateNotBound{"LGSP-403-ONESTOP-CERTIFICATE", 403,
                                                "This certificate is not bound to your account",
                                                "Chứng thư số này không được đăng ký cho tài khoản của bạn"};
inline constexpr ErrorCode kNotPdf{"LGSP-415-ONESTOP-NOT-PDF", 415, "The result is not a PDF document",
                                   "Kết quả không phải tài liệu PDF"};
inline constexpr ErrorCode kPdfDamaged{"LGSP-422-ONESTOP-PDF-DAMAGED", 422,
                                       "The PDF document is damaged and cannot be read",
                                       "Tài liệu PDF bị hỏng, không đọc được"};
inline constexpr ErrorCode kPdfEncrypted{"LGSP-422-ONESTOP-PDF-ENCRYPTED", 422,
                                         "The PDF document is encrypted; give it without a password",
                                         "Tài liệu PDF đã bị mã hóa, cần gửi bản không đặt mật khẩu"};
inline constexpr ErrorCode kPreparedUnknown{"LGSP-404-ONESTOP-PREPARED", 404,
                                            "No such prepared result: expired, completed already, or not yours",
                                            "Không tìm thấy kết quả đã chuẩn bị ký: đã hết hạn, đã hoàn tất hoặc "
                                            "không thuộc về bạn"};
inline constexpr ErrorCode kTooManyPrepared{"LGSP-429-ONESTOP-PREPARED", 429,
                                            "Too many results prepared and not completed",
                                            "Quá nhiều kết quả đã chuẩn bị ký mà chưa hoàn tất"};
inline constexpr ErrorCode kSignatureInvalid{"LGSP-422-ONESTOP-SIGNATURE", 422,
                                             "The signature does not verify against the certificate",
                                             "Chữ ký số không khớp với chứng thư số"};
inline constexpr ErrorCode kCertificateUntrusted{"LGSP-422-ONESTOP-CERTIFICATE-UNTRUSTED", 422,
                                                 "The certificate is not trusted: chain, validity or key usage",
                                                 "Chứng thư số không được tin cậy: chuỗi chứng thực, thời hạn "
                                                 "hoặc mục đích sử dụng"};
inline constexpr ErrorCode kCertificateExpired{"LGSP-422-ONESTOP-CERTIFICATE-EXPIRED", 422,
                                               "The certificate is expired or not yet valid",
                                               "Chứng thư số đã hết hạn hoặc chưa có hiệu lực"};
inline constexpr ErrorCode kCertificateRevoked{"LGSP-422-ONESTOP-CERTIFICATE-REVOKED", 422,
                                               "The certificate is revoked", "Chứng thư số đã bị thu hồi"};
inline constexpr ErrorCode kRevocationUnknown{"LGSP-503-ONESTOP-REVOCATION", 503,
                                              "The certificate's revocation status cannot be checked now",
                                              "Chưa kiểm tra được tình trạng thu hồi của chứng thư số, vui lòng "
                                              "thử lại sau"};
inline constexpr ErrorCode kSigningNotConfigured{"LGSP-503-ONESTOP-SIGNING-CONFIG", 503,
                                                 "The office has no trust roots for officials' certificates "
                                                 "(signing.trust_roots)",
                                                 "Bộ phận một cửa chưa cấu hình chứng thư gốc tin cậy"};
inline constexpr ErrorCode kCsrf{"LGSP-403-ONESTOP-CSRF", 403,
                                 "The page's CSRF token is missing or wrong; reload the page",
                                 "Thiếu hoặc sai mã chống giả mạo yêu cầu (CSRF), vui lòng tải lại trang"};
inline constexpr ErrorCode kSessionExpired{"LGSP-401-ONESTOP-SESSION-EXPIRED", 401,
                                           "The session has expired; sign in again",
                                           "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại"};
inline constexpr ErrorCode kAccountExists{"LGSP-409-ONESTOP-ACCOUNT-EXISTS", 409,
                                          "An account with this phone number or ID number exists already",
                                          "Số điện thoại hoặc số định danh này đã có tài khoản"};
inline constexpr ErrorCode kSignin{"LGSP-401-ONESTOP-SIGNIN", 401, "Wrong phone number, user name or password",
                                   "Sai số điện thoại, tên đăng nhập hoặc mật khẩu"};
inline constexpr ErrorCode kSigninLimited{"LGSP-429-ONESTOP-SIGNIN", 429, "Too many sign-in attempts; try again later",
                                          "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau"};
inline constexpr ErrorCode kPasswordSigninOff{"LGSP-403-ONESTOP-PASSWORD-SIGNIN", 403,
                                              "Officials of this office sign in with their token",
                                              "Cán bộ của cơ quan này đăng nhập bằng chứng thư số trên token"};
inline constexpr ErrorCode kChallengeUnknown{"LGSP-401-ONESTOP-CHALLENGE", 401,
                                             "The sign-in challenge is unknown, used or expired; ask for a new one",
                                             "Mã thử thách đăng nhập không tồn tại, đã dùng hoặc đã hết hạn"};
}  // namespace errors

// A refusal the API turns into problem+json: the code, a specific detail, optional field errors.
class OnestopError : public std::runtime_error {
 public:
  OnestopError(const bus::ErrorCode& code, std::string detail, nlohmann::json errors = nlohmann::json::array())
      : std::runtime_error(detail), code_(&code), errors_(std::move(errors)) {}
  const bus::ErrorCode& code() const { return *code_; }
  const nlohmann::json& errors() const { return errors_; }

 private:
  const bus::ErrorCode* code_;
  nlohmann::json errors_;
};

}  // namespace lgsp::onestop
