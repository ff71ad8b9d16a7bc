// The file-drop adapter's own stable codes: for a reason file in failed/ (the file's own fault) and for the
// answers of its outbound route. The node's codes (LGSP-400-CONTRACT ...) are passed on as the node gave them.
#pragma once

#include "lgsp/bus/errors.hpp"

namespace lgsp::adapters::filedrop::errors {

using bus::ErrorCode;

inline constexpr ErrorCode kFileTooLarge{"LGSP-413-FILE-TOO-LARGE", 413, "The file is larger than max_file_bytes",
                                         "Tệp lớn hơn giới hạn max_file_bytes"};
inline constexpr ErrorCode kNotRegularFile{"LGSP-400-FILE-TYPE", 400,
                                           "Not a regular file (a link, folder, pipe or device)",
                                           "Không phải tệp thông thường (liên kết, thư mục, ống hoặc thiết bị)"};
inline constexpr ErrorCode kUnreadable{"LGSP-400-FILE-UNREADABLE", 400, "The file cannot be read",
                                       "Không đọc được tệp"};
inline constexpr ErrorCode kCsv{"LGSP-400-CSV", 400, "A CSV row does not fit the column mapping",
                                "Một dòng CSV không khớp với ánh xạ cột"};
inline constexpr ErrorCode kDiskFull{"LGSP-503-DISK-FULL", 503, "The outbound folder's disk is full, try again later",
                                     "Ổ đĩa của thư mục gửi ra đã đầy, hãy thử lại sau"};
inline constexpr ErrorCode kOutboundWrite{"LGSP-503-OUTBOUND-WRITE", 503,
                                          "The delivery could not be written to the outbound folder",
                                          "Không ghi được bản chuyển giao vào thư mục gửi ra"};

}  // namespace lgsp::adapters::filedrop::errors
