// The db-outbox adapter's answers to the node's deliveries (English and Vietnamese, like the node's own).
#pragma once

#include "lgsp/adapters/errors.hpp"
#include "lgsp/bus/errors.hpp"

namespace lgsp::adapters::db::errors {
// The wrong-service refusal is the runner-wide adapters::errors::kWrongService.
using adapters::errors::kWrongService;
inline constexpr bus::ErrorCode kDatabaseUnavailable{
    "LGSP-503-DATABASE", 503, "The legacy database is unavailable; send again later",
    "Cơ sở dữ liệu của hệ thống cũ không sẵn sàng, vui lòng gửi lại sau"};
inline constexpr bus::ErrorCode kDatabaseRefused{"LGSP-422-DATABASE", 422,
                                                 "The legacy database refused to store the delivery",
                                                 "Cơ sở dữ liệu của hệ thống cũ từ chối lưu bản tin"};
}  // namespace lgsp::adapters::db::errors
