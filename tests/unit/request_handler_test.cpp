// The one worker-pool request wrapper: every exception type becomes its problem+json answer, and a handler
// replies exactly once whatever its work throws.
#include "lgsp/bus/request_handler.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>

using namespace lgsp::bus;
using nlohmann::json;

namespace {

template <class Throw>
HttpResponse answer(Throw thrower, const RouteErrors& errors = {"test", {}, {}}) {
  HttpRequest request;
  request.path = "/x";
  try {
    thrower();
  } catch (...) {
    return answer_error(std::current_exception(), request, errors);
  }
  ADD_FAILURE() << "nothing thrown";
  return {};
}

std::string code_of(const HttpResponse& r) { return json::parse(r.body)["code"]; }

TEST(RequestHandler, answers_json_of_the_wrong_shape_with_a_400_naming_the_kind_of_mistake) {
  auto syntax = answer([] { auto j = json::parse("{"); });
  EXPECT_EQ(syntax.status, 400u);
  EXPECT_EQ(code_of(syntax), "LGSP-400-JSON");
  EXPECT_EQ(syntax.content_type, "application/problem+json");
  auto type = answer([] { (void)json::parse(R"({"all":"yes"})").value("all", false); });
  EXPECT_EQ(type.status, 400u);
  EXPECT_EQ(code_of(type), "LGSP-400-JSON-TYPE");
  auto missing = answer([] { (void)json::object().at("id"); });
  EXPECT_EQ(missing.status, 400u);
  EXPECT_EQ(code_of(missing), "LGSP-400-JSON-FIELD");
  auto iterator = answer([] {
    json a = json::array(), b = json::array();
    a.erase(b.begin());
  });
  EXPECT_EQ(iterator.status, 400u);
}

TEST(RequestHandler, answers_the_projects_own_errors_with_their_codes) {
  using Kind = RegistryError::Kind;
  EXPECT_EQ(code_of(answer([] { throw RegistryError(Kind::invalid, "a", "b"); })), "LGSP-400-REGISTRY");
  EXPECT_EQ(code_of(answer([] { throw RegistryError(Kind::not_found, "a", "b"); })), "LGSP-404-REGISTRY");
  EXPECT_EQ(code_of(answer([] { throw RegistryError(Kind::conflict, "a", "b"); })), "LGSP-409-REGISTRY");
  auto store = answer([] { throw StoreError("disk full"); });
  EXPECT_EQ(store.status, 503u);
  EXPECT_EQ(code_of(store), "LGSP-503-NOT-READY");
}

TEST(RequestHandler, answers_anything_else_with_a_500_and_a_module_may_name_its_own_codes_first) {
  EXPECT_EQ(answer([] { throw std::logic_error("bug"); }).status, 500u);
  EXPECT_EQ(answer([] { throw 42; }).status, 500u);

  static constexpr ErrorCode kMine{"LGSP-400-MINE", 400, "Mine", "Của tôi"};
  RouteErrors mine{"mine", {}, [](const std::exception& e) -> std::optional<HttpResponse> {
                     if (dynamic_cast<const std::domain_error*>(&e)) return problem(kMine, e.what());
                     return std::nullopt;
                   }};
  mine.codes.wrong_type = &kMine;
  EXPECT_EQ(code_of(answer([] { throw std::domain_error("mine"); }, mine)), "LGSP-400-MINE");
  EXPECT_EQ(code_of(answer([] { (void)json(1).value("x", 0); }, mine)), "LGSP-400-MINE");
  EXPECT_EQ(answer([] { throw std::runtime_error("not mine"); }, mine).status, 500u);
  // A mapper that throws still gives an answer.
  RouteErrors broken{"broken", {}, [](const std::exception&) -> std::optional<HttpResponse> {
                       throw std::runtime_error("mapper bug");
                     }};
  EXPECT_EQ(answer([] { throw std::domain_error("x"); }, broken).status, 500u);
}

TEST(RequestHandler, replies_exactly_once_whatever_the_work_throws) {
  std::vector<WorkerRoutes::Work> works = {
      [](HttpRequest&) -> HttpResponse { throw 42; },
      [](HttpRequest&) -> HttpResponse { throw std::bad_alloc(); },
      [](HttpRequest&) -> HttpResponse {
        return HttpResponse::json(200, {{"ok", true}});
      },
      [](HttpRequest&) -> HttpResponse {
        (void)json::parse("[]").at("x");
        return {};
      },
  };
  std::vector<unsigned> expected = {500, 500, 200, 400};
  for (std::size_t i = 0; i < works.size(); ++i) {
    WorkerRoutes routes(1, {"test", {}, {}});
    auto handler = routes.handler(works[i]);
    auto replies = std::make_shared<std::atomic<int>>(0);
    std::promise<unsigned> status;
    HttpRequest request;
    request.path = "/x";
    handler(request, [&, replies](HttpResponse r) {
      if (replies->fetch_add(1) == 0) status.set_value(r.status);
    });
    EXPECT_EQ(status.get_future().get(), expected[i]) << i;
    routes.join();
    EXPECT_EQ(replies->load(), 1);
  }
}

}  // namespace
