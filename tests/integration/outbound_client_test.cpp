// The node's outbound HTTP client against a real node listener: keep-alive reuse, deadlines,
// connection failures, and mutual TLS with hsm-sim's PKI.
#include "lgsp/bus/outbound_client.hpp"
#include "http_client.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/node.hpp"
#include "process.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <netdb.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string_view>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using Failure = OutboundResponse::Failure;

// A DNS server that does not answer, for names under hang.invalid: this test program's getaddrinfo (it
// takes the place of the C library's for the whole program) blocks on them until the test lets go, and
// hands every other name to the C library's.
namespace hang {
std::mutex mutex;
std::condition_variable released_cv;
bool released = false;
std::atomic<int> waiting{0};
void release() {
  {
    std::lock_guard lock(mutex);
    released = true;
  }
  released_cv.notify_all();
}
}  // namespace hang

extern "C" int getaddrinfo(const char* name, const char* service, const struct addrinfo* hints,
                           struct addrinfo** result) {
  using Real = int (*)(const char*, const char*, const struct addrinfo*, struct addrinfo**);
  static const auto real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "getaddrinfo"));
  if (name && std::string_view(name).ends_with(".hang.invalid")) {
    ++hang::waiting;
    std::unique_lock lock(hang::mutex);
    hang::released_cv.wait(lock, [] { return hang::released; });
    --hang::waiting;
    return EAI_NONAME;
  }
  return real(name, service, hints, result);
}

namespace {

class OutboundClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* hsm = std::getenv("LGSP_TEST_HSM_DIR");
    ASSERT_NE(hsm, nullptr) << "run with the hsm_sim CTest fixture";
    pki_ = fs::path(hsm) / "pki";
    dir_ = fs::temp_directory_path() / ("lgsp-outbound-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto chain = [&](const std::string& leaf) {
      auto out = dir_ / (leaf + "-chain.pem");
      std::ofstream(out) << lgsp::test::read_file(pki_ / (leaf + ".pem"))
                         << lgsp::test::read_file(pki_ / "issuing-ca.pem");
      return out;
    };
    node_a_chain_ = chain("tls-node-a");
    node_b_chain_ = chain("tls-node-b");
    config_.server.listen = HostPort{"127.0.0.1", 0};
    config_.server.threads = 1;
    config_.store.data_dir = dir_ / "var";
    config_.signing.enabled = false;
  }
  void TearDown() override {
    node_.reset();
    fs::remove_all(dir_);
  }
  void start(bool tls) {
    if (tls) {
      config_.tls.certificate = node_a_chain_;
      config_.tls.private_key = pki_ / "tls-node-a.key";
      config_.tls.client_ca = pki_ / "root-ca.pem";
    }
    node_ = std::make_unique<Node>(config_);
    node_->router().add("POST", "/echo", [](HttpRequest& r, Reply reply) {
      nlohmann::json body = {{"remote", r.remote},
                             {"peer", r.peer_certificate_sha256},
                             {"body", r.body},
                             {"marker", r.header("x-marker").value_or("")}};
      reply(HttpResponse::json(200, body));
    });
    node_->router().add("POST", "/slow", [](HttpRequest&, Reply reply) {
      std::thread([reply] {
        std::this_thread::sleep_for(std::chrono::milliseconds(800));
        reply(HttpResponse::json(200, {{"late", true}}));
      }).detach();
    });
    node_->start();
  }
  std::string url(const std::string& scheme, const std::string& path) {
    return scheme + "://127.0.0.1:" + std::to_string(node_->endpoint().port) + path;
  }
  OutboundRequest post(const std::string& u, std::string body = "{}") {
    OutboundRequest r;
    r.url = u;
    r.body = std::move(body);
    r.headers = {{"Content-Type", "application/json"}, {"X-Marker", "m1"}};
    r.timeout = std::chrono::milliseconds(3000);
    return r;
  }

  fs::path pki_, dir_, node_a_chain_, node_b_chain_;
  Config config_;
  std::unique_ptr<Node> node_;
};

TEST_F(OutboundClientTest, posts_and_reuses_the_kept_alive_connection) {
  start(false);
  OutboundClient client;
  auto first = client.send_sync(post(url("http", "/echo"), "{\"n\":1}"));
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(first.status, 200u);
  auto a = nlohmann::json::parse(first.body);
  EXPECT_EQ(a["body"], "{\"n\":1}");
  EXPECT_EQ(a["marker"], "m1");
  auto second = client.send_sync(post(url("http", "/echo")));
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(nlohmann::json::parse(second.body)["remote"], a["remote"]) << "same client port: connection reused";
  EXPECT_EQ(second.header("content-type"), "application/json");
}

// Sent from an HTTP server's I/O thread (as the sync proxy does), the request runs on that thread and
// answers there, over a connection that thread keeps alive for its next request.
TEST_F(OutboundClientTest, from_an_io_thread_the_request_stays_on_that_thread_and_reuses_its_connection) {
  auto client = std::make_shared<OutboundClient>();
  config_.server.threads = 2;
  start(false);
  node_->router().add("POST", "/front", [this, client](HttpRequest&, Reply reply) {
    const auto here = std::this_thread::get_id();
    client->send(post(url("http", "/echo")), [reply, here](OutboundResponse r) {
      const bool same = std::this_thread::get_id() == here;
      auto echoed = r.ok() ? nlohmann::json::parse(r.body) : nlohmann::json{{"remote", r.error}};
      reply(HttpResponse::json(200, {{"same_thread", same}, {"remote", echoed["remote"]}}));
    });
  });
  // One connection to the front, so both requests arrive on the same I/O thread.
  lgsp::test::HttpClient front("127.0.0.1", node_->endpoint().port);
  auto first = front.request("POST", "/front", "{}", {{"Content-Type", "application/json"}});
  auto second = front.request("POST", "/front", "{}", {{"Content-Type", "application/json"}});
  ASSERT_EQ(first.status, 200u) << first.body;
  ASSERT_EQ(second.status, 200u) << second.body;
  auto a = nlohmann::json::parse(first.body);
  auto b = nlohmann::json::parse(second.body);
  EXPECT_TRUE(a["same_thread"].get<bool>());
  EXPECT_TRUE(b["same_thread"].get<bool>());
  EXPECT_EQ(a["remote"], b["remote"]) << "the I/O thread's kept-alive connection is reused";
  // From another thread the client still works on its own threads.
  auto direct = client->send_sync(post(url("http", "/echo")));
  ASSERT_TRUE(direct.ok()) << direct.error;
}

TEST_F(OutboundClientTest, gives_up_at_the_deadline) {
  start(false);
  OutboundClient client;
  auto request = post(url("http", "/slow"));
  request.timeout = std::chrono::milliseconds(200);
  auto r = client.send_sync(request);
  EXPECT_EQ(r.failure, Failure::timeout) << r.error;
  EXPECT_NE(r.error.find("200 ms"), std::string::npos) << r.error;
}

TEST_F(OutboundClientTest, a_host_name_whose_dns_does_not_answer_fails_at_the_deadline_and_holds_up_no_address) {
  start(false);
  hang::released = false;
  struct ReleaseAtEnd {
    ~ReleaseAtEnd() { hang::release(); }  // the lookup thread must end before the client does
  } release_at_end;
  auto client = std::make_unique<OutboundClient>();
  auto slow = post("http://provider.hang.invalid:" + std::to_string(node_->endpoint().port) + "/echo");
  slow.timeout = std::chrono::milliseconds(300);
  std::promise<OutboundResponse> slow_done;
  client->send(slow, [&](OutboundResponse r) { slow_done.set_value(std::move(r)); });
  for (int i = 0; i < 2000 && hang::waiting == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(hang::waiting, 1) << "the lookup is under way";

  // An endpoint given by address is reached while the lookup hangs.
  std::promise<OutboundResponse> direct_done;
  client->send(post(url("http", "/echo")), [&](OutboundResponse r) { direct_done.set_value(std::move(r)); });
  auto direct = direct_done.get_future();
  ASSERT_EQ(direct.wait_for(std::chrono::seconds(20)), std::future_status::ready) << "queued behind the lookup";
  auto d = direct.get();
  EXPECT_TRUE(d.ok()) << d.error;

  // The hanging one fails at its deadline, while its lookup still hangs.
  auto given_up = slow_done.get_future();
  ASSERT_EQ(given_up.wait_for(std::chrono::seconds(20)), std::future_status::ready) << "no deadline on the lookup";
  auto r = given_up.get();
  EXPECT_EQ(r.failure, Failure::timeout) << r.error;
  EXPECT_NE(r.error.find("cannot resolve provider.hang.invalid within 300 ms"), std::string::npos) << r.error;
  EXPECT_EQ(hang::waiting, 1);
  hang::release();
  client.reset();
}

TEST_F(OutboundClientTest, reports_refused_connections_and_bad_urls) {
  OutboundClient client;
  auto refused = client.send_sync(post("http://127.0.0.1:1/x"));
  EXPECT_EQ(refused.failure, Failure::connect) << refused.error;
  EXPECT_EQ(client.send_sync(post("ftp://127.0.0.1/x")).failure, Failure::bad_url);
  EXPECT_EQ(client.send_sync(post("http://127.0.0.1:99999/x")).failure, Failure::bad_url);
}

TEST_F(OutboundClientTest, mutual_tls_presents_the_node_certificate_and_verifies_the_server) {
  start(true);
  OutboundClient client({pki_ / "root-ca.pem", node_b_chain_, pki_ / "tls-node-b.key"});
  auto r = client.send_sync(post(url("https", "/echo")));
  ASSERT_TRUE(r.ok()) << r.error;
  auto der =
      lgsp::test::run({"/usr/bin/openssl", "x509", "-in", (pki_ / "tls-node-b.pem").string(), "-outform", "DER"});
  EXPECT_EQ(nlohmann::json::parse(r.body)["peer"], sha256_hex(der.out));
}

TEST_F(OutboundClientTest, refuses_a_server_that_does_not_chain_to_the_configured_ca) {
  start(true);
  OutboundClient client({pki_ / "untrusted-root.pem", {}, {}});
  auto r = client.send_sync(post(url("https", "/echo")));
  EXPECT_EQ(r.failure, Failure::tls) << r.error;
}

TEST_F(OutboundClientTest, a_missing_client_key_is_a_configuration_error) {
  EXPECT_THROW(OutboundClient({pki_ / "root-ca.pem", node_b_chain_, dir_ / "nope.key"}), ConfigError);
}

TEST(UrlParse, splits_scheme_host_port_and_target) {
  auto u = Url::parse("https://[::1]:8443/v1/messages?x=1");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->https);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/v1/messages?x=1");
  EXPECT_EQ(u->origin(), "https://[::1]:8443");
  EXPECT_EQ(Url::parse("http://example.org")->port, 80);
  EXPECT_EQ(Url::parse("http://example.org")->target, "/");
  EXPECT_FALSE(Url::parse("http://user@host/"));
  EXPECT_FALSE(Url::parse("http://:80/"));
  EXPECT_FALSE(Url::parse("file:///etc/passwd"));
}

}  // namespace
