// The /v1/call provider path: every spelling of "leave the service's path" is refused, and what is
// forwarded is re-encoded under the endpoint's path.
#include "lgsp/bus/provider_path.hpp"

#include <gtest/gtest.h>

using namespace lgsp::bus;

namespace {

std::string refusal(std::string_view raw) {
  auto r = parse_provider_path(raw);
  auto* bad = std::get_if<PathRefusal>(&r);
  return bad ? bad->detail : "";
}

std::string forwarded(std::string_view raw, const std::string& endpoint = "http://p:8080/api/pub/v1",
                      const std::string& query = "") {
  auto r = parse_provider_path(raw);
  EXPECT_TRUE(std::holds_alternative<ProviderPath>(r)) << raw << ": " << refusal(raw);
  if (!std::holds_alternative<ProviderPath>(r)) return "";
  return provider_url(endpoint, std::get<ProviderPath>(r), query);
}

TEST(ProviderPath, refuses_every_spelling_of_a_dot_segment) {
  for (const char* raw :
       {"/..", "/../internal/records", "/a/../../internal", "/.", "/./x", "/%2e%2e/internal", "/%2E%2E/internal",
        "/.%2e/internal", "/%2e./internal", "/%2e", "/x/%2e%2e", "/...", "/..%20/x", "/%2e%2e%20"})
    EXPECT_NE(refusal(raw).find("dot-segment"), std::string::npos) << raw;
}

TEST(ProviderPath, refuses_double_encoding_encoded_separators_and_parameters) {
  EXPECT_NE(refusal("/%252e%252e/internal").find("double encoding"), std::string::npos);
  EXPECT_NE(refusal("/%25").find("double encoding"), std::string::npos);
  EXPECT_NE(refusal("/..%2finternal").find("encoded slash"), std::string::npos);
  EXPECT_NE(refusal("/a%2F..%2Finternal").find("encoded slash"), std::string::npos);
  EXPECT_NE(refusal("/..%5cinternal").find("backslash"), std::string::npos);
  EXPECT_NE(refusal("/..\\internal").find("backslash"), std::string::npos);
  EXPECT_NE(refusal("/..;/internal").find("path parameter"), std::string::npos);
  EXPECT_NE(refusal("/records;jsessionid=1").find("path parameter"), std::string::npos);
  EXPECT_NE(refusal("/..%3b/internal").find("path parameter"), std::string::npos);
}

TEST(ProviderPath, refuses_fragments_empty_segments_and_control_bytes) {
  EXPECT_NE(refusal("/records#..").find("fragment"), std::string::npos);
  EXPECT_NE(refusal("/a//internal").find("empty segment"), std::string::npos);
  EXPECT_NE(refusal("//internal").find("empty segment"), std::string::npos);
  EXPECT_NE(refusal("/a%00").find("NUL"), std::string::npos);
  EXPECT_NE(refusal(std::string_view("/a\0b", 4)).find("NUL"), std::string::npos);
  EXPECT_NE(refusal("/a%0d%0aX-Injected:%201").find("control"), std::string::npos);
  EXPECT_NE(refusal("/a\tb").find("control"), std::string::npos);
  EXPECT_NE(refusal("/a b").find("space"), std::string::npos);
  EXPECT_NE(refusal("/a%7f").find("control"), std::string::npos);
  EXPECT_NE(refusal("/a%zz").find("two hex digits"), std::string::npos);
  EXPECT_NE(refusal("/a%2").find("two hex digits"), std::string::npos);
  EXPECT_NE(refusal("/\xc3\xa1").find("non-ASCII"), std::string::npos);
  EXPECT_NE(refusal("/a<b").find("percent-encode"), std::string::npos);
  EXPECT_NE(refusal("records").find("start with"), std::string::npos);
}

TEST(ProviderPath, refuses_overlong_utf8_and_lookalike_dots_and_slashes) {
  EXPECT_NE(refusal("/%c0%ae%c0%ae/internal").find("UTF-8"), std::string::npos);
  EXPECT_NE(refusal("/%c0%af").find("UTF-8"), std::string::npos);
  EXPECT_NE(refusal("/%e0%80%ae").find("UTF-8"), std::string::npos);
  EXPECT_NE(refusal("/%ed%a0%80").find("UTF-8"), std::string::npos);                  // a surrogate
  EXPECT_NE(refusal("/%c3").find("UTF-8"), std::string::npos);                        // truncated
  EXPECT_NE(refusal("/%ef%bc%8e%ef%bc%8e/internal").find("'.'"), std::string::npos);  // U+FF0E FULLWIDTH FULL STOP
  EXPECT_NE(refusal("/..%ef%bc%8finternal").find("'/'"), std::string::npos);          // U+FF0F FULLWIDTH SOLIDUS
  EXPECT_NE(refusal("/a%e2%88%95b").find("'/'"), std::string::npos);                  // U+2215 DIVISION SLASH
}

TEST(ProviderPath, forwards_a_clean_path_re_encoded_under_the_endpoint) {
  EXPECT_EQ(forwarded("/records/42"), "http://p:8080/api/pub/v1/records/42");
  EXPECT_EQ(forwarded("/records/42", "http://p:8080/api/pub/v1/"), "http://p:8080/api/pub/v1/records/42");
  EXPECT_EQ(forwarded("/records/"), "http://p:8080/api/pub/v1/records/");
  EXPECT_EQ(forwarded("/Nguy%E1%BB%85n%20V%C4%83n"), "http://p:8080/api/pub/v1/Nguy%E1%BB%85n%20V%C4%83n");
  EXPECT_EQ(forwarded("/a%23b/c%3Fd/e%41"), "http://p:8080/api/pub/v1/a%23b/c%3Fd/eA");
  EXPECT_EQ(forwarded("/v1.2/a..b/.hidden"), "http://p:8080/api/pub/v1/v1.2/a..b/.hidden");
  EXPECT_EQ(forwarded("/x:y@z!$&'()*+,="), "http://p:8080/api/pub/v1/x:y@z!$&'()*+,=");
}

TEST(ProviderPath, no_path_calls_the_endpoint_itself) {
  EXPECT_EQ(forwarded(""), "http://p:8080/api/pub/v1");
  EXPECT_EQ(forwarded("/"), "http://p:8080/api/pub/v1");
  EXPECT_EQ(forwarded("", "http://p:8080"), "http://p:8080/");
  EXPECT_EQ(forwarded("/a", "http://p:8080"), "http://p:8080/a");
}

TEST(ProviderPath, the_query_is_joined_with_the_endpoint_query_and_a_fragment_never_sent) {
  EXPECT_EQ(forwarded("/r", "http://p/api?key=1", "q=2"), "http://p/api/r?key=1&q=2");
  EXPECT_EQ(forwarded("/r", "http://p/api#top", "q=2"), "http://p/api/r?q=2");
  EXPECT_EQ(forwarded("", "http://p/api?key=1"), "http://p/api?key=1");
  EXPECT_EQ(std::get<std::string>(check_call_query("a=1&b=%2e%2e/..")), "a=1&b=%2e%2e/..");
  EXPECT_TRUE(std::holds_alternative<PathRefusal>(check_call_query("a=1#frag")));
  EXPECT_TRUE(std::holds_alternative<PathRefusal>(check_call_query("a=%0")));
  EXPECT_TRUE(std::holds_alternative<PathRefusal>(check_call_query(std::string_view("a=\0", 3))));
  EXPECT_TRUE(std::holds_alternative<PathRefusal>(check_call_query("a=\r\n")));
}

TEST(ProviderPath, whatever_is_accepted_stays_under_the_endpoint_path) {
  // Every accepted path, once a server resolves dot-segments the RFC 3986 way, still starts with the prefix.
  const std::string prefix = "http://p/api/pub/v1/";
  for (const char* raw : {"/a", "/a/b/", "/%2e%2ea", "/a%2e%2e", "/..a", "/a.", "/~", "/%7e"}) {
    const auto url = forwarded(raw, "http://p/api/pub/v1");
    EXPECT_EQ(url.rfind(prefix, 0), 0u) << raw << " -> " << url;
    EXPECT_EQ(url.find("/../"), std::string::npos) << url;
    EXPECT_EQ(url.find("/./"), std::string::npos) << url;
  }
}

}  // namespace
