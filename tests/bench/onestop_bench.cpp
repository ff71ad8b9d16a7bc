// The one-stop office on its real store (SQLite, WAL, synchronous=FULL, one group-commit writer), in process,
// without HTTP: T threads file N birth registrations (1.001193, documents TK, GCS, GTTT) as the receiving
// desk, then run four transitions on each dossier (hand over 2 -> 4, request_supplement 4 -> 5,
// supplement_received 5 -> 4, hand over to step 3). Prints dossiers/s and transitions/s with p50/p99 latency per
// call (each call returns the dossier view, as the API does), CPU seconds, peak RSS and the store's
// group-commit figures. Checks that the N dossier codes are distinct (exit 1 otherwise).
//   onestop_bench [--dossiers N] [--threads T] [--profiles P] [--data-dir DIR] [--keep]
//                 [--group-commit-max-rows R] [--group-commit-max-delay-ms D]
// Without --data-dir it works in a fresh temporary folder, removed at the end unless --keep; a --data-dir
// must not hold a store yet (the e-profiles' ID numbers would already be taken) and is always kept.
#include "lgsp/bus/sqlite_store.hpp"
#include "lgsp/onestop/api_json.hpp"
#include "lgsp/onestop/office.hpp"
#include "lgsp/onestop/schema.hpp"
#include "lgsp/onestop/server.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using namespace lgsp::onestop;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

#ifndef LGSP_BUILD_TYPE
#define LGSP_BUILD_TYPE ""
#endif

namespace {

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

// What nproc prints: the cores this process may run on.
int usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::thread::hardware_concurrency());
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown";
}

// Errors seen by the worker threads: counted, the first one kept to print.
struct Failures {
  std::atomic<long> count{0};
  std::mutex m;
  std::string first;
  void note(const std::string& what) {
    if (count.fetch_add(1) == 0) {
      std::lock_guard lock(m);
      first = what;
    }
  }
};

// The store's counters between two moments.
struct StoreDelta {
  lgsp::bus::Store::Stats before;
  void print(const lgsp::bus::Store& store) const {
    auto now = store.stats();
    auto commits = now.commits - before.commits, units = now.units - before.units;
    std::printf("  store: %llu commits for %llu write units (%.1f per fsync)\n",
                static_cast<unsigned long long>(commits), static_cast<unsigned long long>(units),
                commits ? static_cast<double>(units) / static_cast<double>(commits) : 0.0);
  }
};

}  // namespace

int main(int argc, char** argv) {
  int dossiers = 5000;
  int threads = 4;
  int profiles = 200;
  fs::path data_dir;
  bool keep = false;
  lgsp::bus::SqliteStoreOptions store_options;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--keep") {
      keep = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "onestop_bench: %s needs a value\n", k.c_str());
      return 2;
    }
    std::string v = argv[++i];
    if (k == "--dossiers")
      dossiers = std::stoi(v);
    else if (k == "--threads")
      threads = std::stoi(v);
    else if (k == "--profiles")
      profiles = std::stoi(v);
    else if (k == "--data-dir")
      data_dir = v;
    else if (k == "--group-commit-max-rows")
      store_options.group_commit_max_rows = static_cast<unsigned>(std::stoul(v));
    else if (k == "--group-commit-max-delay-ms")
      store_options.group_commit_max_delay = std::chrono::milliseconds(std::stoi(v));
    else {
      std::fprintf(stderr, "onestop_bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (dossiers < 1 || threads < 1 || profiles < 1 || profiles > 999999) {
    std::fprintf(stderr, "onestop_bench: --dossiers and --threads must be positive, --profiles 1..999999\n");
    return 2;
  }
  const bool own_dir = data_dir.empty();
  if (own_dir) {
    data_dir = fs::temp_directory_path() / ("lgsp-onestop-bench-" + std::to_string(::getpid()));
    fs::remove_all(data_dir);
  } else if (fs::exists(data_dir / "onestop.db")) {
    std::fprintf(stderr, "onestop_bench: %s already holds a store; give a fresh folder\n", data_dir.c_str());
    return 2;
  }
  fs::create_directories(data_dir);

  std::printf("one-stop office in process, SQLite store %s (WAL, synchronous=FULL)\n",
              (data_dir / "onestop.db").c_str());
  std::printf("  machine: %d cores (nproc), %s\n", usable_cores(), cpu_model().c_str());
#ifdef NDEBUG
  const char* asserts = "NDEBUG";
#else
  const char* asserts = "assertions on";
#endif
  std::printf("  build: %s (%s); group commit: at most %u units, %lld ms wait\n",
              *LGSP_BUILD_TYPE ? LGSP_BUILD_TYPE : "unknown type", asserts, store_options.group_commit_max_rows,
              static_cast<long long>(store_options.group_commit_max_delay.count()));

  int rc = 0;
  {
    store_options.file = data_dir / "onestop.db";
    lgsp::bus::SqliteStore store(store_options, onestop_migrations());
    FileStore files(data_dir / "files");
    OnestopConfig config;  // the sample calendar and the default agency (000.00.13.H29, as in the samples)
    OneStopOffice office(store, files, load_calendar(config), config.agency);
    const std::string unit = config.agency.code;
    const Actor receiving{"lan", "Trần Thị Lan", "Công chức Bộ phận một cửa", Role::kReceiving, unit, ""};
    const Actor processing{"hung", "Lê Văn Hùng", "Công chức Tư pháp - Hộ tịch", Role::kProcessing, unit, ""};

    // Set-up (not measured): the catalogue, P e-profiles, three documents.
    json catalogue;
    std::ifstream(samples_dir() / "procedures.json") >> catalogue;
    office.import_procedures(catalogue_from_json(catalogue));
    std::vector<std::string> customers;
    for (int p = 0; p < profiles; ++p) {
      char id[32], phone[32];
      std::snprintf(id, sizeof id, "079195%06d", p + 1);
      std::snprintf(phone, sizeof phone, "091%07d", p + 1);
      auto prof = office.create_profile(
          receiving, citizen_identity_from_json({{"full_name", "Nguyễn Thị Mai"},
                                                 {"id_number", id},
                                                 {"date_of_birth", "1995-03-14"},
                                                 {"gender", "female"},
                                                 {"hometown", "Xã Hải Hậu, tỉnh Nam Định"},
                                                 {"ethnicity", "Kinh"},
                                                 {"nationality", "Việt Nam"},
                                                 {"permanent_address", "12 Lê Lợi, phường Bến Thành"},
                                                 {"phone", phone}}));
      customers.push_back(prof.customer_code);
    }
    json documents = json::array();
    for (const char* doc : {"TK", "GCS", "GTTT"}) {
      std::string pdf =
          std::string("%PDF-1.4\n% onestop_bench ") + doc + "\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
      auto f = office.upload(receiving, pdf, "application/pdf");
      documents.push_back({{"code", doc}, {"sha256", f.sha256}});
    }
    std::printf("  set-up: %zu procedures, %d e-profiles, %zu documents; %d threads\n", office.procedures().size(),
                profiles, documents.size(), threads);

    // Phase 1: filing.
    std::vector<std::string> codes;
    std::vector<double> file_lat;
    Failures file_failures;
    {
      std::atomic<int> next{0};
      std::mutex m;
      StoreDelta delta{store.stats()};
      const double cpu0 = cpu_seconds();
      const auto t0 = SteadyClock::now();
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t)
        workers.emplace_back([&] {
          std::vector<std::string> mine;
          std::vector<double> lat;
          for (int i; (i = next.fetch_add(1)) < dossiers;) {
            json req = {{"procedure_code", "1.001193"},
                        {"customer_code", customers[static_cast<std::size_t>(i % profiles)]},
                        {"channel", 1},
                        {"documents", documents}};
            const auto start = SteadyClock::now();
            try {
              // As the API does it: the request mapped from JSON, the dossier back to JSON.
              auto d = to_json(office.file_dossier(receiving, filing_request_from_json(req)));
              lat.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
              if (d.value("status", json::object()).value("code", 0) != 2)
                file_failures.note("filed dossier " + d.value("code", "") +
                                   " is not accepted (2): " + d["status"].dump());
              mine.push_back(d.value("code", ""));
            } catch (const std::exception& e) {
              file_failures.note(std::string("file_dossier: ") + e.what());
            }
          }
          std::lock_guard lock(m);
          codes.insert(codes.end(), mine.begin(), mine.end());
          file_lat.insert(file_lat.end(), lat.begin(), lat.end());
        });
      for (auto& w : workers) w.join();
      const double s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
      const double cpu = cpu_seconds() - cpu0;
      const auto filed = codes.size();
      std::printf("phase 1, filing (file_dossier as the receiving desk, 3 documents each)\n");
      std::printf("  filed     : %zu in %.2f s = %.0f dossiers/s   latency p50 %.2f ms  p99 %.2f ms\n", filed, s,
                  static_cast<double>(filed) / s, percentile(file_lat, 0.5), percentile(file_lat, 0.99));
      std::printf("  cpu %.1f s, peak RSS %ld MiB\n", cpu, peak_rss_kib() / 1024);
      delta.print(store);
    }
    const std::set<std::string> distinct(codes.begin(), codes.end());
    if (distinct.size() != codes.size() || distinct.count("")) {
      std::printf("ERROR: %zu dossier codes, only %zu distinct (or an empty one)\n", codes.size(), distinct.size());
      rc = 1;
    }
    if (file_failures.count > 0) {
      std::printf("ERROR: %ld filings failed; first: %s\n", file_failures.count.load(), file_failures.first.c_str());
      rc = 1;
    }

    // Phase 2: four transitions per dossier, each dossier's in order, dossiers spread over the threads.
    if (rc == 0) {
      std::vector<double> lat_all;
      Failures failures;
      std::atomic<std::size_t> next{0};
      std::atomic<long> transitions{0};
      std::mutex m;
      StoreDelta delta{store.stats()};
      const json items = {{"items", json::array({"Bản sao Giấy chứng nhận kết hôn của cha, mẹ"})}};
      const json none = json::object();
      const double cpu0 = cpu_seconds();
      const auto t0 = SteadyClock::now();
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t)
        workers.emplace_back([&] {
          std::vector<double> lat;
          auto timed = [&](const std::function<json()>& call, int expected, const char* what, const std::string& code) {
            const auto start = SteadyClock::now();
            try {
              auto d = call();
              lat.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
              ++transitions;
              int status = d.value("status", json::object()).value("code", 0);
              if (status != expected) {
                failures.note(std::string(what) + " " + code + ": status " + std::to_string(status) + ", expected " +
                              std::to_string(expected));
                return false;
              }
              return true;
            } catch (const std::exception& e) {
              failures.note(std::string(what) + " " + code + ": " + e.what());
              return false;
            }
          };
          for (std::size_t i; (i = next.fetch_add(1)) < codes.size();) {
            const std::string& code = codes[i];
            if (!timed([&] { return to_json(office.hand_over(receiving, code, hand_over_input_from_json(none))); }, 4,
                       "hand_over", code))
              continue;
            if (!timed(
                    [&] {
                      return to_json(office.act(processing, code, "request_supplement", action_input_from_json(items)));
                    },
                    5, "request_supplement", code))
              continue;
            if (!timed(
                    [&] {
                      return to_json(office.act(receiving, code, "supplement_received", action_input_from_json(none)));
                    },
                    4, "supplement_received", code))
              continue;
            timed([&] { return to_json(office.hand_over(processing, code, hand_over_input_from_json(none))); }, 4,
                  "hand_over", code);
          }
          std::lock_guard lock(m);
          lat_all.insert(lat_all.end(), lat.begin(), lat.end());
        });
      for (auto& w : workers) w.join();
      const double s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
      const double cpu = cpu_seconds() - cpu0;
      std::printf("phase 2, transitions (hand_over, request_supplement, supplement_received, hand_over per dossier)\n");
      std::printf("  done      : %ld in %.2f s = %.0f transitions/s   latency p50 %.2f ms  p99 %.2f ms\n",
                  transitions.load(), s, static_cast<double>(transitions.load()) / s, percentile(lat_all, 0.5),
                  percentile(lat_all, 0.99));
      std::printf("  cpu %.1f s, peak RSS %ld MiB\n", cpu, peak_rss_kib() / 1024);
      delta.print(store);
      if (failures.count > 0) {
        std::printf("ERROR: %ld transitions failed; first: %s\n", failures.count.load(), failures.first.c_str());
        rc = 1;
      }
    }
    auto st = store.stats();
    std::printf("  store, whole run: %llu commits for %llu write units (%.1f per fsync)\n",
                static_cast<unsigned long long>(st.commits), static_cast<unsigned long long>(st.units),
                st.commits ? static_cast<double>(st.units) / static_cast<double>(st.commits) : 0.0);
  }
  if (own_dir && !keep)
    fs::remove_all(data_dir);
  else
    std::printf("  data kept in %s\n", data_dir.c_str());
  return rc;
}
