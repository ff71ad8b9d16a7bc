// The vxp connector's own codes, for its delivery route and its dead letters.
#pragma once

#include "lgsp/bus/errors.hpp"

namespace lgsp::adapters::vxp::errors {

using bus::ErrorCode;

// The axis did not take a delivery now (no answer, 5xx, our credentials refused, an answer not as its API says):
// the node keeps the message and delivers it again with its backoff.
inline constexpr ErrorCode kAxisUnavailable{"LGSP-503-VXP", 503, "The national document-exchange axis is unavailable",
                                            "Trục liên thông văn bản quốc gia không sẵn sàng"};
// A delivery that is not an edXML package or status reply the connector can address on the axis.
inline constexpr ErrorCode kNotEdxml{"LGSP-400-VXP-EDXML", 400, "The delivery is not an edXML package for the axis",
                                     "Bản tin chuyển đến không phải gói edXML gửi được lên trục"};

}  // namespace lgsp::adapters::vxp::errors
