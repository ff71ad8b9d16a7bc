// The request path of HttpServer, in memory (serve_in_memory): RFC 9112 framing, decisions on the header
// before the body, and the fuzz target's seed corpus.
#include "lgsp/bus/http_server.hpp"
#include "lgsp/bus/router.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace lgsp::bus;
namespace fs = std::filesystem;

namespace {

struct Answer {
  unsigned status = 0;
  std::string head;  // status line and fields
  std::string body;
};

// Splits serialized answers (each with Content-Length, as the server writes them).
std::vector<Answer> answers(const std::string& bytes) {
  std::vector<Answer> out;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    auto end = bytes.find("\r\n\r\n", pos);
    if (end == std::string::npos) break;
    Answer a;
    a.head = bytes.substr(pos, end + 4 - pos);
    a.status = static_cast<unsigned>(std::stoul(a.head.substr(9, 3)));
    std::size_t length = 0;
    auto cl = a.head.find("Content-Length: ");
    if (cl != std::string::npos) length = std::stoul(a.head.substr(cl + 16));
    if (a.status == 100) length = 0;
    a.body = bytes.substr(end + 4, length);
    pos = end + 4 + length;
    out.push_back(std::move(a));
  }
  return out;
}

std::string code_of(const Answer& a) {
  auto j = nlohmann::json::parse(a.body, nullptr, false);
  return j.is_object() ? j.value("code", "") : "";
}

bool closes(const Answer& a) { return a.head.find("Connection: close") != std::string::npos; }

class HttpRequestPath : public ::testing::Test {
 protected:
  HttpRequestPath() {
    options_.max_body_bytes = 64 * 1024;
    options_.max_header_bytes = 2048;
    auto echo = [this](HttpRequest& req, Reply reply) {
      ++handled_;
      reply(HttpResponse::json(200, {{"size", req.body.size()}, {"body", req.body}}));
    };
    router_.add("GET", "/healthz", echo);
    router_.add("POST", "/echo", echo);
    router_.add("POST", "/guarded", echo, [this](const HttpRequest& h) -> std::optional<HttpResponse> {
      ++checked_;
      EXPECT_TRUE(h.body.empty());
      if (h.header("authorization") == std::optional<std::string>("Bearer good")) return std::nullopt;
      return problem(errors::kUnauthenticated, "no");
    });
    router_.add("POST", "/small", echo);
    router_.limit_body("POST", "/small", 16);
  }
  std::vector<Answer> serve(const std::string& input) { return answers(serve_in_memory(router_, options_, input)); }

  Router router_;
  HttpServerOptions options_;
  std::atomic<int> handled_{0};
  std::atomic<int> checked_{0};
};

const std::string kNext = "GET /healthz HTTP/1.1\r\nHost: n\r\n\r\n";

// Each is refused with 400 LGSP-400-FRAMING and the connection closed: the request after it is never read.
TEST_F(HttpRequestPath, ambiguous_framing_is_400_and_closes) {
  const std::vector<std::string> heads = {
      "Transfer-Encoding: gzip, chunked\r\n",
      "Transfer-Encoding: chunked, identity\r\n",
      "Transfer-Encoding: identity\r\n",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
      "Content-Length: 5\r\nContent-Length: 5\r\n",
      "Content-Length: 5\r\nContent-Length: 6\r\n",
      "Content-Length: +5\r\n",
      "Content-Length: 0x5\r\n",
      "Content-Length: 5 5\r\n",
      "Host: other\r\n",
      "X-Folded: a\r\n b\r\n",
      "X-Folded: a\r\n\tb\r\n",
  };
  for (const auto& h : heads) {
    auto got = serve("POST /echo HTTP/1.1\r\nHost: n\r\n" + h + "\r\n0\r\n\r\n" + kNext);
    ASSERT_EQ(got.size(), 1u) << h;
    EXPECT_EQ(got[0].status, 400u) << h;
    EXPECT_TRUE(closes(got[0])) << h;
    EXPECT_TRUE(code_of(got[0]) == "LGSP-400-FRAMING" || code_of(got[0]) == "LGSP-400-MALFORMED") << h << got[0].body;
  }
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpRequestPath, the_refusals_name_what_was_ambiguous) {
  auto te = serve("POST /echo HTTP/1.1\r\nHost: n\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  ASSERT_EQ(te.size(), 1u);
  EXPECT_EQ(code_of(te[0]), "LGSP-400-FRAMING");
  EXPECT_NE(te[0].body.find("exactly 'chunked'"), std::string::npos) << te[0].body;
  auto fold = serve("GET /healthz HTTP/1.1\r\nHost: n\r\nX: a\r\n b\r\n\r\n");
  ASSERT_EQ(fold.size(), 1u);
  EXPECT_EQ(code_of(fold[0]), "LGSP-400-FRAMING");
  EXPECT_NE(fold[0].body.find("obsolete line folding"), std::string::npos);
  auto te10 = serve("POST /echo HTTP/1.0\r\nHost: n\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  ASSERT_EQ(te10.size(), 1u);
  EXPECT_EQ(code_of(te10[0]), "LGSP-400-FRAMING");
}

TEST_F(HttpRequestPath, chunked_alone_and_pipelining_still_work) {
  auto got = serve("POST /echo HTTP/1.1\r\nHost: n\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + kNext +
                   "POST /echo HTTP/1.1\r\nHost: n\r\nContent-Length: 2\r\n\r\nhi");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].status, 200u);
  EXPECT_EQ(nlohmann::json::parse(got[0].body)["body"], "abc");
  EXPECT_EQ(got[1].status, 200u);
  EXPECT_EQ(nlohmann::json::parse(got[2].body)["body"], "hi");
  EXPECT_FALSE(closes(got[2]));
}

TEST_F(HttpRequestPath, a_header_check_refuses_before_any_body_byte_is_needed) {
  // Only the header and 7 of the 40000 announced bytes arrive: the answer comes anyway, and the connection
  // closes (the unread body would otherwise be read as the next request).
  auto got = serve("POST /guarded HTTP/1.1\r\nHost: n\r\nContent-Length: 40000\r\n\r\npartial");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 401u);
  EXPECT_EQ(code_of(got[0]), "LGSP-401-AUTH");
  EXPECT_TRUE(closes(got[0]));
  EXPECT_EQ(handled_, 0);
  // Without a body, or with a small one (read and dropped), the connection stays open.
  auto empty = serve("POST /guarded HTTP/1.1\r\nHost: n\r\n\r\n" + kNext);
  ASSERT_EQ(empty.size(), 2u);
  EXPECT_EQ(empty[0].status, 401u);
  EXPECT_EQ(empty[1].status, 200u);
  auto small = serve("POST /guarded HTTP/1.1\r\nHost: n\r\nContent-Length: 5\r\n\r\nhello" + kNext);
  ASSERT_EQ(small.size(), 2u);
  EXPECT_EQ(small[0].status, 401u);
  EXPECT_FALSE(closes(small[0]));
  EXPECT_EQ(small[1].status, 200u);
  EXPECT_EQ(handled_, 2) << "only the two /healthz behind the refusals";
}

TEST_F(HttpRequestPath, an_authenticated_body_is_read_and_handled) {
  auto got = serve("POST /guarded HTTP/1.1\r\nHost: n\r\nAuthorization: Bearer good\r\nContent-Length: 40000\r\n\r\n" +
                   std::string(40000, 'x'));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 200u);
  EXPECT_EQ(nlohmann::json::parse(got[0].body)["size"], 40000);
  EXPECT_EQ(checked_, 1);
}

TEST_F(HttpRequestPath, expect_100_continue_gets_the_interim_answer_only_once_the_header_passed) {
  auto refused = serve("POST /guarded HTTP/1.1\r\nHost: n\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].status, 401u);
  auto accepted = serve(
      "POST /guarded HTTP/1.1\r\nHost: n\r\nAuthorization: Bearer good\r\nExpect: 100-continue\r\n"
      "Content-Length: 3\r\n\r\nabc");
  ASSERT_EQ(accepted.size(), 2u);
  EXPECT_EQ(accepted[0].status, 100u);
  EXPECT_EQ(accepted[1].status, 200u);
}

TEST_F(HttpRequestPath, routes_methods_and_sizes_are_decided_on_the_header) {
  auto unknown = serve("POST /nope HTTP/1.1\r\nHost: n\r\nContent-Length: 40000\r\n\r\n");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].status, 404u);
  EXPECT_TRUE(closes(unknown[0]));
  auto method = serve("PUT /echo HTTP/1.1\r\nHost: n\r\nContent-Length: 40000\r\n\r\n");
  ASSERT_EQ(method.size(), 1u);
  EXPECT_EQ(method[0].status, 405u);
  auto server_limit = serve("POST /echo HTTP/1.1\r\nHost: n\r\nContent-Length: 70000\r\n\r\n");
  ASSERT_EQ(server_limit.size(), 1u);
  EXPECT_EQ(server_limit[0].status, 413u);
  auto route_limit = serve("POST /small HTTP/1.1\r\nHost: n\r\nContent-Length: 17\r\n\r\n");
  ASSERT_EQ(route_limit.size(), 1u);
  EXPECT_EQ(route_limit[0].status, 413u);
  EXPECT_NE(route_limit[0].body.find("limit of 16 bytes"), std::string::npos);
  auto chunked = serve("POST /small HTTP/1.1\r\nHost: n\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n" +
                       std::string(17, 'x') + "\r\n0\r\n\r\n");
  ASSERT_EQ(chunked.size(), 1u);
  EXPECT_EQ(chunked[0].status, 413u);
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpRequestPath, a_header_check_that_throws_is_a_500_not_a_dead_thread) {
  router_.add(
      "POST", "/throws", [](HttpRequest&, Reply) {},
      [](const HttpRequest&) -> std::optional<HttpResponse> { throw std::runtime_error("store gone"); });
  auto got = serve("POST /throws HTTP/1.1\r\nHost: n\r\nContent-Length: 10\r\n\r\n0123456789");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 500u);
}

TEST_F(HttpRequestPath, router_refuses_to_guard_or_limit_a_route_it_does_not_have) {
  EXPECT_THROW(router_.check_headers("/v1/mesages", [](const HttpRequest&) { return std::nullopt; }), std::logic_error);
  EXPECT_THROW(router_.limit_body("GET", "/small", 1), std::logic_error);
}

// Every seed of the fuzz target goes through without a crash and is answered as a server would.
TEST_F(HttpRequestPath, the_fuzz_seed_corpus_is_answered) {
  const fs::path corpus = fs::path(LGSP_SOURCE_DIR) / "tests/fuzz/corpus/http_request";
  int files = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    auto out = serve_in_memory(router_, options_, bytes.str());
    for (const auto& a : answers(out)) EXPECT_GE(a.status, 100u) << entry.path();
    ++files;
  }
  EXPECT_GE(files, 12);
  auto smuggle = serve(
      "POST /echo HTTP/1.1\r\nHost: n\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG" + kNext);
  ASSERT_EQ(smuggle.size(), 1u);
  EXPECT_EQ(smuggle[0].status, 400u);
}

}  // namespace
