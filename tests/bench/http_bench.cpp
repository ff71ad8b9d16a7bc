// Requests/s and p50/p99 latency of GET /healthz over keep-alive connections.
//   http_bench [--target HOST:PORT] [--connections N] [--seconds S] [--server-threads T]
// Without --target it starts a node in process (embedded store in a temp dir) and measures that.
#include "http_client.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/node.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  std::string target;
  int connections = 8;
  double seconds = 5;
  unsigned server_threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--target")
      target = argv[i + 1];
    else if (k == "--connections")
      connections = std::stoi(argv[i + 1]);
    else if (k == "--seconds")
      seconds = std::stod(argv[i + 1]);
    else if (k == "--server-threads")
      server_threads = static_cast<unsigned>(std::stoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "http_bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }

  std::unique_ptr<lgsp::bus::Node> node;
  auto dir = std::filesystem::temp_directory_path() / ("lgsp-http-bench-" + std::to_string(::getpid()));
  lgsp::bus::HostPort hp;
  if (target.empty()) {
    lgsp::bus::Config config;
    config.server.listen = {"127.0.0.1", 0};
    config.server.threads = server_threads;
    config.store.data_dir = dir;
    lgsp::bus::log::configure("warn", {});
    node = std::make_unique<lgsp::bus::Node>(config);
    node->start();
    node->wait_store();
    hp = node->endpoint();
  } else {
    hp = lgsp::bus::HostPort::parse(target, "--target");
  }

  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(connections));
  std::atomic<long> failures{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      lgsp::test::HttpClient client(hp.host, hp.port);
      auto& mine = latencies[static_cast<std::size_t>(c)];
      mine.reserve(1 << 20);
      while (!stop.load(std::memory_order_relaxed)) {
        auto t0 = std::chrono::steady_clock::now();
        auto r = client.request("GET", "/healthz");
        auto t1 = std::chrono::steady_clock::now();
        if (r.status != 200) failures++;
        mine.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();

  std::vector<double> all;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * (all.size() - 1))]; };
  std::printf("http_bench GET /healthz keep-alive: target=%s connections=%d seconds=%.1f server_threads=%s\n",
              hp.to_string().c_str(), connections, seconds,
              target.empty() ? (server_threads ? std::to_string(server_threads).c_str() : "cores") : "external");
  std::printf("requests=%zu failures=%ld rps=%.0f p50_us=%.1f p99_us=%.1f max_us=%.1f\n", all.size(), failures.load(),
              all.size() / seconds, pct(0.50), pct(0.99), all.empty() ? 0.0 : all.back());
  node.reset();
  std::filesystem::remove_all(dir);
  return failures.load() == 0 ? 0 : 1;
}
