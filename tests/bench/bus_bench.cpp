// The bus end to end on loopback: N concurrent clients send 1 KiB JSON messages (contract-validated,
// batch-sealed with the SoftHSM2 lgsp-node key, durable in SQLite) to a node that delivers them to a
// local receiver. Prints accepted/s, delivered/s, p50/p99 accept latency, CPU seconds and peak RSS.
// With --mode proxy it measures the sync proxy instead: calls/s and p50/p99 through /v1/call, next to
// the same calls sent straight to the provider.
//   bus_bench [--mode async|proxy] [--clients N] [--messages M] [--seconds S] [--hsm-dir DIR]
//             [--provider-port P --compare-port Q]   (proxy: also measure a reverse proxy on Q in front of P)
//             [--deliver 0]                          (async: accept only, to see what delivery costs)
//             [--message FILE]                       (async: the message sent; default the 989-byte example of
//                                                     onestop.dossier-submission@v1, the "1 KiB")
// Without --hsm-dir it builds hsm-sim in a temporary folder (hsm-sim/setup.sh) and removes it after.
// Node, receiver and clients share this process (and the machine's cores): CPU is for all of them.
#include "http_client.hpp"
#include "lgsp/bus/exchange.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/node_services.hpp"
#include "lgsp/bus/registry.hpp"
#include "process.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::bus;
using Clock = std::chrono::steady_clock;

namespace {

const fs::path kSource = LGSP_SOURCE_DIR;

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// The node's signatures so far and the leaves they covered (lgsp_sign_batch_size from /metrics).
struct Signatures {
  double count = 0;
  double leaves = 0;
};
Signatures signatures(unsigned short port) {
  lgsp::test::HttpClient c("127.0.0.1", port);
  auto text = c.request("GET", "/metrics").body;
  auto value = [&](const std::string& name) {
    auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? 0.0 : std::stod(text.substr(at + name.size() + 2));
  };
  return {value("lgsp_sign_batch_size_count"), value("lgsp_sign_batch_size_sum")};
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "async";
  int clients = 16;
  int messages = 20000;
  double seconds = 10;
  fs::path hsm;
  unsigned short provider_port = 0;  // fixed, so that a reverse proxy (nginx) can be put in front of it
  unsigned short compare_port = 0;   // --mode proxy: also measure this reverse proxy to the provider
  bool deliver = true;               // --deliver 0: accept only (the deliverer is not started)
  // Any valid onestop.dossier-submission@v1 document (valid-1-step-to-department.json is 1,993 bytes).
  fs::path message_file =
      kSource / "contracts/onestop.dossier-submission/v1/examples/valid-2-whole-dossier-minimal.json";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--mode")
      mode = argv[i + 1];
    else if (k == "--clients")
      clients = std::stoi(argv[i + 1]);
    else if (k == "--messages")
      messages = std::stoi(argv[i + 1]);
    else if (k == "--seconds")
      seconds = std::stod(argv[i + 1]);
    else if (k == "--hsm-dir")
      hsm = argv[i + 1];
    else if (k == "--provider-port")
      provider_port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
    else if (k == "--deliver")
      deliver = std::string(argv[i + 1]) != "0";
    else if (k == "--message")
      message_file = argv[i + 1];
    else if (k == "--compare-port")
      compare_port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "bus_bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  const fs::path dir = fs::temp_directory_path() / ("lgsp-bus-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const bool own_hsm = hsm.empty();
  if (own_hsm) {
    hsm = dir / "hsm";
    auto r = lgsp::test::run({"/bin/bash", (kSource / "hsm-sim/setup.sh").string(), hsm.string()});
    if (r.exit_code != 0) {
      std::fprintf(stderr, "bus_bench: hsm-sim setup failed: %s\n", r.err.c_str());
      return 1;
    }
  }
  lgsp::test::export_hsm_sim_env(hsm);
  log::configure("warn", {});

  // The receiver (or provider): answers every POST at once.
  std::atomic<long> delivered{0};
  std::atomic<std::int64_t> last_delivery_ns{0};
  Config rc;
  rc.server.listen = HostPort{"127.0.0.1", provider_port};
  rc.server.threads = 1;
  rc.store.data_dir = dir / "receiver";
  rc.signing.enabled = false;
  Node receiver(rc);
  const std::string answer =
      lgsp::test::read_file(kSource / "contracts/hotich.trichluc-result/v1/examples/valid-2-not-found.json");
  receiver.router().add("POST", "/in", [&](HttpRequest&, Reply reply) {
    ++delivered;
    last_delivery_ns = Clock::now().time_since_epoch().count();
    reply(HttpResponse::json(200, nlohmann::json::object()));
  });
  receiver.router().add("POST", "/api/*",
                        [&](HttpRequest&, Reply reply) { reply(HttpResponse::text(200, answer, "application/json")); });
  receiver.start();

  Config nc = Config::load(std::nullopt, Config::process_environment());
  nc.server.listen = HostPort{"127.0.0.1", 0};
  nc.store.data_dir = dir / "node";
  nc.signing.ca_chain = hsm / "pki/issuing-ca.pem";
  Node node(nc);
  NodeServices services(node);
  node.start();
  if (deliver) services.start();
  node.wait_store();
  const std::string member = "000.00.13.H29";
  const std::string client = member + "/MOTCUA";
  const std::string service = member + "/HOTICH/hoso/v1";
  const std::string call_service = member + "/HOTICH/trichluc/v1";
  std::string key;
  {
    Registry reg(*node.store(), &node.catalogue());
    reg.add_member(member, "UBND phường Bến Thành");
    reg.add_subsystem(client);
    reg.add_subsystem(member + "/HOTICH");
    Service s;
    s.id = service;
    s.request_contract = "onestop.dossier-submission@v1";
    s.endpoint = "http://127.0.0.1:" + std::to_string(receiver.endpoint().port) + "/in";
    reg.add_service(s);
    reg.grant(client, service);
    Service c;
    c.id = call_service;
    c.request_contract = "hotich.trichluc-request@v1";
    c.response_contract = "hotich.trichluc-result@v1";
    c.endpoint = "http://127.0.0.1:" + std::to_string(receiver.endpoint().port) + "/api";
    reg.add_service(c);
    reg.grant(client, call_service);
    key = reg.create_api_key(client);
  }
  for (int i = 0; i < 400; ++i) {
    std::string why;
    if (node.sealer()->ready(why)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }

  const bool proxy = mode == "proxy";
  const std::string body =
      proxy ? lgsp::test::read_file(kSource /
                                    "contracts/hotich.trichluc-request/v1/examples/valid-1-birth-by-registration.json")
            : lgsp::test::read_file(message_file);
  // For the proxy: the same calls straight to the provider first, as the baseline.
  auto drive = [&](unsigned short port, const std::string& target, bool lgsp_headers, double run_seconds,
                   std::vector<double>& latencies) {
    std::atomic<long> sent{0};
    std::atomic<long> ok{0};
    std::mutex m;
    const auto deadline = Clock::now() + std::chrono::duration<double>(run_seconds);
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t)
      threads.emplace_back([&, t] {
        lgsp::test::HttpClient c("127.0.0.1", port);
        std::vector<double> mine;
        for (long i = 0;; ++i) {
          if (Clock::now() >= deadline) break;
          if (!proxy && sent.fetch_add(1) >= messages) break;
          std::map<std::string, std::string> headers = {{"Content-Type", "application/json"}};
          if (lgsp_headers) {
            headers["Authorization"] = "Bearer " + key;
            headers["LGSP-Client"] = client;
            headers["LGSP-Service"] = service;
            headers["LGSP-Message-Id"] = "bench-" + std::to_string(t) + "-" + std::to_string(i);
          }
          const auto start = Clock::now();
          auto r = c.request("POST", target, body, headers);
          mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
          if (r.status == 202 || r.status == 200) ++ok;
        }
        std::lock_guard lock(m);
        latencies.insert(latencies.end(), mine.begin(), mine.end());
      });
    for (auto& t : threads) t.join();
    return ok.load();
  };

  if (proxy) {
    std::vector<double> direct_lat;
    auto t0 = Clock::now();
    long direct = drive(receiver.endpoint().port, "/api/trichluc", false, seconds / 2, direct_lat);
    double direct_s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::vector<double> lat;
    const double cpu0 = cpu_seconds();
    const auto signed0 = signatures(node.endpoint().port);
    t0 = Clock::now();
    long calls = drive(node.endpoint().port, "/v1/call/" + call_service + "/trichluc", true, seconds, lat);
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto signed1 = signatures(node.endpoint().port);
    std::printf("sync proxy, %d clients, %zu-byte request\n", clients, body.size());
    std::printf("  direct to provider : %8.0f calls/s  p50 %.2f ms  p99 %.2f ms\n", direct / direct_s,
                percentile(direct_lat, 0.5), percentile(direct_lat, 0.99));
    std::printf("  through the proxy  : %8.0f calls/s  p50 %.2f ms  p99 %.2f ms  (validated both ways, sealed)\n",
                calls / s, percentile(lat, 0.5), percentile(lat, 0.99));
    if (compare_port) {
      std::vector<double> other_lat;
      t0 = Clock::now();
      long other = drive(compare_port, "/api/trichluc", false, seconds / 2, other_lat);
      double other_s = std::chrono::duration<double>(Clock::now() - t0).count();
      std::printf("  reverse proxy :%-5u: %8.0f calls/s  p50 %.2f ms  p99 %.2f ms\n", compare_port, other / other_s,
                  percentile(other_lat, 0.5), percentile(other_lat, 0.99));
    }
    std::printf("  cpu %.1f s for %ld calls, peak RSS %ld MiB\n", cpu_seconds() - cpu0, calls, peak_rss_kib() / 1024);
    const double n = signed1.count - signed0.count;
    std::printf("  signatures: %.0f/s, mean batch %.1f\n", n / s, n > 0 ? (signed1.leaves - signed0.leaves) / n : 0.0);
  } else {
    std::vector<double> lat;
    const double cpu0 = cpu_seconds();
    const auto t0 = Clock::now();
    long accepted = drive(node.endpoint().port, "/v1/messages", true, seconds * 10, lat);
    const double accept_s = std::chrono::duration<double>(Clock::now() - t0).count();
    for (int i = 0; deliver && i < 6000 && delivered < accepted; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const double deliver_s =
        std::chrono::duration<double>(Clock::time_point(Clock::duration(last_delivery_ns.load())) - t0).count();
    std::printf("async exchange, %d clients, %zu-byte JSON messages\n", clients, body.size());
    std::printf("  accepted  : %ld in %.2f s = %.0f/s   accept latency p50 %.2f ms  p99 %.2f ms\n", accepted, accept_s,
                accepted / accept_s, percentile(lat, 0.5), percentile(lat, 0.99));
    std::printf("  delivered : %ld, last at %.2f s = %.0f/s end to end\n", delivered.load(), deliver_s,
                delivered.load() / deliver_s);
    std::printf("  cpu %.1f s (node + receiver + clients), peak RSS %ld MiB\n", cpu_seconds() - cpu0,
                peak_rss_kib() / 1024);
    auto st = node.store()->stats();
    std::printf("  store: %llu commits for %llu write units (%.1f per fsync)\n",
                static_cast<unsigned long long>(st.commits), static_cast<unsigned long long>(st.units),
                st.commits ? static_cast<double>(st.units) / static_cast<double>(st.commits) : 0.0);
  }
  services.stop();
  node.stop();
  receiver.stop();
  fs::remove_all(dir);
  return 0;
}
