#include "lgsp/bus/router.hpp"

#include <gtest/gtest.h>

using namespace lgsp::bus;

namespace {

Handler noop() {
  return [](HttpRequest&, Reply) {};
}

HttpRequest request(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

TEST(Router, matches_literal_paths_and_reports_the_pattern) {
  Router router;
  router.add("GET", "/healthz", noop());
  auto req = request("GET", "/healthz");
  auto m = router.match(req);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.route, "/healthz");
}

TEST(Router, captures_named_segments) {
  Router router;
  router.add("GET", "/v1/messages/{id}", noop());
  auto req = request("GET", "/v1/messages/abc-123");
  auto m = router.match(req);
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.route, "/v1/messages/{id}");
  EXPECT_EQ(req.path_params.at("id"), "abc-123");
}

TEST(Router, captures_the_rest_with_a_wildcard) {
  Router router;
  router.add("POST", "/v1/call/*", noop());
  auto req = request("POST", "/v1/call/000.00.13.H29/HOTICH/trichluc/v1/x");
  ASSERT_NE(router.match(req).handler, nullptr);
  EXPECT_EQ(req.path_params.at("*"), "000.00.13.H29/HOTICH/trichluc/v1/x");
}

TEST(Router, lists_allowed_methods_for_a_known_path) {
  Router router;
  router.add("GET", "/x", noop());
  router.add("PUT", "/x", noop());
  auto req = request("DELETE", "/x");
  auto m = router.match(req);
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.allowed_methods, (std::vector<std::string>{"GET", "PUT"}));
}

TEST(Router, does_not_match_a_longer_or_shorter_path) {
  Router router;
  router.add("GET", "/v1/messages/{id}", noop());
  auto longer = request("GET", "/v1/messages/a/b");
  auto shorter = request("GET", "/v1/messages");
  auto empty_segment = request("GET", "/v1/messages/");
  EXPECT_EQ(router.match(longer).handler, nullptr);
  EXPECT_EQ(router.match(shorter).handler, nullptr);
  EXPECT_EQ(router.match(empty_segment).handler, nullptr);
  EXPECT_TRUE(router.match(longer).allowed_methods.empty());
}

TEST(Router, head_is_served_by_get) {
  Router router;
  router.add("GET", "/healthz", noop());
  auto req = request("HEAD", "/healthz");
  EXPECT_NE(router.match(req).handler, nullptr);
}

TEST(Problem, carries_code_titles_and_status) {
  auto r = problem(errors::kRequestTooLarge, "too big");
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["code"], "LGSP-413-TOO-LARGE");
  EXPECT_EQ(body["detail"], "too big");
  EXPECT_EQ(body["status"], 413);
  EXPECT_FALSE(body["title_vi"].get<std::string>().empty());
}

}  // namespace
