// Leaves per second through the node's BatchSigner with the SoftHSM2 `lgsp-node` ECDSA P-256 key, at 1, 8
// and 64 concurrent submitters (each waits for its seal before submitting the next, as a request thread
// does), with HSM signatures per second and the mean batch size. The window and batch limit are the
// node's defaults unless given.
//   seal_bench [--seconds S] [--window-ms MS] [--batch-max N] [--hsm-dir DIR]
// Without --hsm-dir it builds a fresh hsm-sim in a temporary folder (hsm-sim/setup.sh) and removes it after.
#include "lgsp/bus/batch_signer.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/signing/signer.hpp"
#include "lgsp/signing/token.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  bus::BatchSignerOptions options;
  fs::path hsm_dir;
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
            return module.open_signer(signing::KeySelector{"lgsp-node", std::nullopt},
                                      [&](const std::string&) { return std::optional<std::string>(pin); });
          },
          options, [&](const bus::SignedBatch&, double) { ++batches; });
      // Open the token and check one seal before timing.
      auto leaf = bus::sha256("warm-up");
      auto check = bus::verify_seal(leaf, sealer.seal(leaf).get(), nullptr);
      if (!check.valid) throw std::runtime_error("warm-up seal does not verify: " + check.reason);

      std::printf("BatchSigner, SoftHSM2 lgsp-node ECDSA P-256, window %lld ms, batch max %zu, %.0f s per row\n",
                  static_cast<long long>(options.window.count()), options.max_batch, seconds);
      std::printf("%-11s %12s %14s %11s %13s\n", "submitters", "leaves/s", "signatures/s", "mean batch",
                  "mean wait ms");
      for (int submitters : {1, 8, 64}) {
        auto f = run(sealer, batches, submitters, seconds);
        std::printf("%-11d %12.0f %14.1f %11.1f %13.2f\n", submitters, f.leaves_per_s, f.signatures_per_s, f.mean_batch,
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
