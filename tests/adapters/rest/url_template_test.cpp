#include "url_template.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using lgsp::adapters::rest::UrlTemplate;

TEST(UrlTemplate, fills_placeholders_percent_encoded_so_a_value_cannot_leave_its_segment) {
  const auto t = UrlTemplate::parse("http://127.0.0.1:9000/api/hoso/{ho.ma}/ket-qua?nam={nam}");
  std::string missing;
  const auto doc = nlohmann::json::parse(R"({"ho": {"ma": "../admin?x=1#"}, "nam": 2026})");
  EXPECT_EQ(t.fill(doc, "", missing), "http://127.0.0.1:9000/api/hoso/..%2Fadmin%3Fx%3D1%23/ket-qua?nam=2026");
}

TEST(UrlTemplate, names_the_missing_placeholder) {
  const auto t = UrlTemplate::parse("http://h/api/{maHoSo}");
  std::string missing;
  EXPECT_FALSE(t.fill(nlohmann::json::object(), "", missing));
  EXPECT_EQ(missing, "maHoSo");
  EXPECT_FALSE(t.fill(nlohmann::json::parse(R"({"maHoSo": {"a": 1}})"), "", missing));
}

TEST(UrlTemplate, the_forwarded_path_keeps_its_segments) {
  const auto t = UrlTemplate::parse("http://h/api/{path}");
  std::string missing;
  EXPECT_EQ(t.fill(nlohmann::json::object(), "records/12 a", missing), "http://h/api/records/12%20a");
}

TEST(UrlTemplate, refuses_placeholders_in_the_host_and_unbalanced_braces) {
  EXPECT_THROW(UrlTemplate::parse("http://{host}/api"), std::invalid_argument);
  EXPECT_THROW(UrlTemplate::parse("http://h/api/{x"), std::invalid_argument);
  EXPECT_THROW(UrlTemplate::parse("http://h/api/x}"), std::invalid_argument);
  EXPECT_THROW(UrlTemplate::parse("http://h/api/{}"), std::invalid_argument);
  EXPECT_THROW(UrlTemplate::parse("h/api"), std::invalid_argument);
}
