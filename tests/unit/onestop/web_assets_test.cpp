// The web pages' static serving (onestop/src/web_assets.cpp): page routes, files, the Vietnamese 404, ETag/304,
// gzip, the security headers, and the catch-all routes leaving the API's 404/405 answers as they were.
#include "lgsp/onestop/web_assets.hpp"
#include "lgsp/bus/config.hpp"
#include "lgsp/bus/http_server.hpp"
#include "lgsp/onestop/config.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {
namespace fs = std::filesystem;
using lgsp::bus::HttpRequest;
using lgsp::bus::HttpResponse;
using lgsp::onestop::WebAssets;
using lgsp::onestop::WebAssetsOptions;

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

class WebAssetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lgsp-web-assets-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "assets");
    write("index.html", "<!doctype html><html lang=\"vi\"><title>Một cửa</title></html>");
    write("404.html", "<!doctype html><html lang=\"vi\"><h1>Không tìm thấy trang</h1></html>");
    write("assets/app.js", std::string(4000, 'a'));
    write(".secret", "hidden");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& body) { std::ofstream(dir_ / name, std::ios::binary) << body; }
  HttpRequest get(const std::string& path) {
    HttpRequest r;
    r.method = "GET";
    r.path = path;
    return r;
  }
  fs::path dir_;
};

TEST_F(WebAssetsTest, page_routes_answer_the_shell_and_unknown_paths_the_vietnamese_404) {
  WebAssets web({dir_, "http://127.0.0.1:8731", false});
  for (const char* page : {"/", "/thu-tuc", "/thu-tuc/1.001193", "/tra-cuu/000.00.13.H29-261205-0001", "/can-bo/",
                           "/can-bo/ho-so/X", "/ho-so-cua-toi"}) {
    auto r = web.answer(get(page));
    EXPECT_EQ(r.status, 200u) << page;
    EXPECT_NE(r.body.find("<title>Một cửa"), std::string::npos) << page;
  }
  for (const char* missing : {"/khong-co", "/thu-tuc/a/b", "/index.html", "/404.html", "/.secret", "/assets/none.js"}) {
    auto r = web.answer(get(missing));
    EXPECT_EQ(r.status, 404u) << missing;
    EXPECT_NE(r.body.find("Không tìm thấy trang"), std::string::npos) << missing;
  }
}

TEST_F(WebAssetsTest, every_answer_carries_the_security_headers_and_hsts_only_over_https) {
  WebAssets web({dir_, "http://127.0.0.1:8731/", false});
  for (const char* path : {"/", "/assets/app.js", "/nowhere"}) {
    auto r = web.answer(get(path));
    auto csp = header(r, "Content-Security-Policy");
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << path;
    EXPECT_NE(csp.find("connect-src 'self' http://127.0.0.1:8731;"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_NE(csp.find("object-src 'none'"), std::string::npos);
    EXPECT_NE(csp.find("base-uri 'none'"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe"), std::string::npos);
    EXPECT_EQ(header(r, "Referrer-Policy"), "no-referrer");
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(header(r, "Strict-Transport-Security"), "");
  }
  WebAssets tls({dir_, "http://127.0.0.1:8731", true});
  EXPECT_NE(header(tls.answer(get("/")), "Strict-Transport-Security").find("max-age="), std::string::npos);
}

TEST_F(WebAssetsTest, assets_revalidate_by_etag_and_text_is_gzipped_when_accepted) {
  WebAssets web({dir_, "", false});
  auto plain = web.answer(get("/assets/app.js"));
  EXPECT_EQ(plain.body.size(), 4000u);
  EXPECT_EQ(plain.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(header(plain, "Cache-Control"), "no-cache");
  auto etag = header(plain, "ETag");
  ASSERT_FALSE(etag.empty());
  auto again = get("/assets/app.js");
  again.headers["if-none-match"] = etag;
  auto not_modified = web.answer(again);
  EXPECT_EQ(not_modified.status, 304u);
  EXPECT_TRUE(not_modified.body.empty());
  auto zipped_request = get("/assets/app.js");
  zipped_request.headers["accept-encoding"] = "gzip, deflate, br";
  auto zipped = web.answer(zipped_request);
  EXPECT_EQ(header(zipped, "Content-Encoding"), "gzip");
  EXPECT_LT(zipped.body.size(), 200u);
  EXPECT_EQ(static_cast<unsigned char>(zipped.body[0]), 0x1fu);
}

TEST_F(WebAssetsTest, a_folder_without_its_pages_or_with_an_oversized_file_is_refused_at_start) {
  fs::remove(dir_ / "404.html");
  EXPECT_THROW(WebAssets({dir_, "", false}), lgsp::bus::ConfigError);
  write("404.html", "x");
  write("assets/big.bin", std::string(4 * 1024 * 1024 + 1, 'x'));
  EXPECT_THROW(WebAssets({dir_, "", false}), lgsp::bus::ConfigError);
  EXPECT_THROW(WebAssets({dir_ / "nowhere", "", false}), lgsp::bus::ConfigError);
}

TEST_F(WebAssetsTest, the_catch_all_routes_keep_the_api_answers_404_and_405) {
  lgsp::bus::Router router;
  router.add("POST", "/onestop/v1/results/{code}",
             [](HttpRequest&, lgsp::bus::Reply r) { r(HttpResponse::json(200, {})); });
  router.add("GET", "/onestop/v1/lookup/{code}",
             [](HttpRequest&, lgsp::bus::Reply r) { r(HttpResponse::json(200, {})); });
  WebAssets web({dir_, "", false});
  web.add_routes(router);
  lgsp::bus::HttpServerOptions o;
  auto send = [&](const std::string& request) { return lgsp::bus::serve_in_memory(router, o, request); };
  auto wrong_method = send("GET /onestop/v1/results/X HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_NE(wrong_method.find("405"), std::string::npos) << wrong_method;
  EXPECT_NE(wrong_method.find("Allow: POST"), std::string::npos) << wrong_method;
  auto post_lookup = send("POST /onestop/v1/lookup/X HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  EXPECT_NE(post_lookup.find("Allow: GET"), std::string::npos) << post_lookup;
  auto unknown_api = send("GET /onestop/v1/nothing HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_NE(unknown_api.find("LGSP-404-ROUTE"), std::string::npos) << unknown_api;
  // A POST to a page path is the API's 404, decided on the header (an announced body over the limit: 413 first).
  auto post_page = send("POST /tra-cuu HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde");
  EXPECT_NE(post_page.find("LGSP-404-ROUTE"), std::string::npos) << post_page;
  auto huge = send("POST /tra-cuu HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\n");
  EXPECT_NE(huge.find("413"), std::string::npos) << huge;
  auto page = send("GET /tra-cuu HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_NE(page.find("200 OK"), std::string::npos) << page;
  EXPECT_NE(page.find("Content-Security-Policy"), std::string::npos) << page;
}

TEST(WebConfigKeys, agent_url_is_an_http_origin_and_assets_dir_a_path) {
  using lgsp::onestop::OnestopConfig;
  auto defaults = OnestopConfig::load(std::nullopt, {});
  EXPECT_EQ(defaults.web_agent_url, "http://127.0.0.1:8731");
  EXPECT_TRUE(defaults.web_assets_dir.empty());
  auto set = OnestopConfig::load(std::nullopt, {{"LGSP_ONESTOP_WEB_AGENT_URL", "http://127.0.0.1:9000"},
                                                {"LGSP_ONESTOP_WEB_ASSETS_DIR", "/srv/motcua/web"}});
  EXPECT_EQ(set.web_agent_url, "http://127.0.0.1:9000");
  EXPECT_EQ(set.web_assets_dir, "/srv/motcua/web");
  for (const char* bad :
       {"javascript:alert(1)", "127.0.0.1:8731", "http://127.0.0.1:8731 'unsafe-inline'", "http://a;script-src *"})
    EXPECT_THROW(OnestopConfig::load(std::nullopt, {{"LGSP_ONESTOP_WEB_AGENT_URL", bad}}), lgsp::bus::ConfigError)
        << bad;
}

}  // namespace
