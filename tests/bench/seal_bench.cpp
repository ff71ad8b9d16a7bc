// Leaves per second through the node's BatchSigner with the SoftHSM2 `lgsp-node` ECDSA P-256 key, at 1, 8
// and 64 concurrent submitters (each waits for its seal before submitting the next, as a request thread
// does), with HSM signatures per second and the mean batch size. The window and batch limit are the
// node's defaults unless given.
//   seal_bench [--seconds S] [--window-ms MS] [--batch-max N] [--hsm-dir DIR]
//              [--token-delay-ms D [--in-flight N,N,...]]
// With --token-delay-ms the token is made that much slower per signature (a USB token or a remote HSM
// signs a few times a second; SoftHSM2 in well under a millisecond), and the submitters are open-loop:
// N leaves are kept waiting at once (default 64, 1024, 8192), as many clients of a node would.
// Without --hsm-dir it builds a fresh hsm-sim in a temporary folder (hsm-sim/setup.sh) and removes it after.
#include "lgsp/bus/batch_signer.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/signing/signer.hpp"
#include "lgsp/signing/token.hpp"
#include "slow_signer.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <semaphore>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace lgsp;
using Clock = std::chrono::steady_clock;

namespace {

std::string env_value(const fs::path& env_file, const std::string& name) {
  std::ifstream in(env_file);
  std::string line, prefix = "export " + name + "=";
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  return {};
}

struct Figures {
  double leaves_per_s = 0;
  double signatures_per_s = 0;
  double mean_batch = 0;
  double mean_wait_ms = 0;  // submit to seal, per leaf
};

Figures run(bus::BatchSigner& sealer, std::atomic<std::uint64_t>& batches, int submitters, double seconds) {
  std::atomic<std::uint64_t> leaves{0}, failures{0}, wait_ns{0};
  std::atomic<bool> stop{false};
  const auto batches_before = batches.load();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t)
    threads.emplace_back([&, t] {
      for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        auto leaf = bus::sha256("submitter " + std::to_string(t) + " message " + std::to_string(i));
        auto submitted = Clock::now();
        try {
          sealer.seal(leaf).get();
          ++leaves;
          wait_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - submitted).count();
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (failures) std::fprintf(stderr, "seal_bench: %llu seals failed\n", static_cast<unsigned long long>(failures));
  const auto signed_batches = batches.load() - batches_before;
  Figures f;
  f.leaves_per_s = leaves / elapsed;
  f.signatures_per_s = signed_batches / elapsed;
  f.mean_batch = signed_batches ? static_cast<double>(leaves) / signed_batches : 0;
  f.mean_wait_ms = leaves ? wait_ns / 1e6 / leaves : 0;
  return f;
}

// Open-loop: `in_flight` leaves are kept waiting at once (a new one is submitted as each is sealed).
Figures run_open(bus::BatchSigner& sealer, std::atomic<std::uint64_t>& batches, int in_flight, double seconds) {
  // Shared with the callbacks, which run on the signer thread and may outlive this call by a moment.
  struct State {
    explicit State(int n) : slots(n) {}
    std::counting_semaphore<> slots;
    std::atomic<std::uint64_t> leaves{0}, failures{0}, wait_ns{0};
  };
  auto state = std::make_shared<State>(in_flight);
  const auto batches_before = batches.load();
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  for (std::uint64_t i = 0; Clock::now() < until;) {
    if (!state->slots.try_acquire_for(std::chrono::milliseconds(50))) continue;
    auto leaf = bus::sha256("open-loop message " + std::to_string(i++));
    const auto submitted = Clock::now();
    sealer.seal(leaf, [state, submitted](bus::Seal, std::exception_ptr error) {
      if (error) {
        ++state->failures;
      } else {
        ++state->leaves;
        state->wait_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - submitted).count();
      }
      state->slots.release();
    });
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const auto counted = state->leaves.load();
  const auto signed_batches = batches.load() - batches_before;
  for (int i = 0; i < in_flight; ++i) state->slots.acquire();  // the rest are sealed before the next row
  if (state->failures)
    std::fprintf(stderr, "seal_bench: %llu seals failed\n", static_cast<unsigned long long>(state->failures));
  Figures f;
  f.leaves_per_s = counted / elapsed;
  f.signatures_per_s = signed_batches / elapsed;
  f.mean_batch = signed_batches ? static_cast<double>(counted) / signed_batches : 0;
  f.mean_wait_ms = counted ? state->wait_ns / 1e6 / counted : 0;
  return f;
}

std::vector<int> int_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  bus::BatchSignerOptions options;
  fs::path hsm_dir;
  std::chrono::milliseconds token_delay{0};
  std::vector<int> in_flight = {64, 1024, 8192};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--seconds") {
      seconds = std::stod(argv[i + 1]);
    } else if (k == "--window-ms") {
      options.window = std::chrono::milliseconds(std::stoi(argv[i + 1]));
    } else if (k == "--batch-max") {
      options.max_batch = std::stoul(argv[i + 1]);
    } else if (k == "--hsm-dir") {
      hsm_dir = argv[i + 1];
    } else if (k == "--token-delay-ms") {
      token_delay = std::chrono::milliseconds(std::stoi(argv[i + 1]));
    } else if (k == "--in-flight") {
      in_flight = int_list(argv[i + 1]);
    } else {
      std::fprintf(stderr, "seal_bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  const bool owned = hsm_dir.empty();
  if (owned) {
    hsm_dir = fs::temp_directory_path() / ("lgsp-seal-bench-" + std::to_string(::getpid()));
    std::string cmd = "'" LGSP_HSM_SIM_SOURCE_DIR "/setup.sh' '" + hsm_dir.string() + "' >/dev/null";
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "seal_bench: hsm-sim/setup.sh failed\n");
      return 1;
    }
  }
  setenv("SOFTHSM2_CONF", env_value(hsm_dir / "env", "SOFTHSM2_CONF").c_str(), 1);
  const std::string pin = env_value(hsm_dir / "env", "LGSP_PIN");

  int status = 0;
  try {
    signing::TokenModule module(env_value(hsm_dir / "env", "LGSP_PKCS11_MODULE"));
    std::atomic<std::uint64_t> batches{0};
    {
      bus::BatchSigner sealer(
          [&] {
            auto token = module.open_signer(signing::KeySelector{"lgsp-node", std::nullopt},
                                            [&](const std::string&) { return std::optional<std::string>(pin); });
            if (token_delay.count() == 0) return token;
            return std::unique_ptr<signing::Signer>(std::make_unique<test::SlowSigner>(std::move(token), token_delay));
          },
          options, [&](const bus::SignedBatch&, double) { ++batches; });
      // Open the token and check one seal before timing.
      auto leaf = bus::sha256("warm-up");
      auto check = bus::verify_seal(leaf, sealer.seal(leaf).get(), nullptr);
      if (!check.valid) throw std::runtime_error("warm-up seal does not verify: " + check.reason);

      std::printf("BatchSigner, SoftHSM2 lgsp-node ECDSA P-256, window %lld ms, batch max %zu, %.0f s per row\n",
                  static_cast<long long>(options.window.count()), options.max_batch, seconds);
      const bool open_loop = token_delay.count() > 0;
      if (open_loop)
        std::printf("token slowed to %lld ms per signature; open-loop, N leaves waiting at once\n",
                    static_cast<long long>(token_delay.count()));
      std::printf("%-11s %12s %14s %11s %13s\n", open_loop ? "in flight" : "submitters", "leaves/s", "signatures/s",
                  "mean batch", "mean wait ms");
      for (int n : open_loop ? in_flight : std::vector<int>{1, 8, 64}) {
        auto f = open_loop ? run_open(sealer, batches, n, seconds) : run(sealer, batches, n, seconds);
        std::printf("%-11d %12.0f %14.1f %11.1f %13.2f\n", n, f.leaves_per_s, f.signatures_per_s, f.mean_batch,
                    f.mean_wait_ms);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "seal_bench: %s\n", e.what());
    status = 1;
  }
  if (owned) fs::remove_all(hsm_dir);
  return status;
}
