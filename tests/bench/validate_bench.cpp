// Validations per second for 1 KiB, 10 KiB and 100 KiB documents, XML (XSD) and JSON (JSON Schema),
// on one thread and on two.   validate_bench [--seconds S]
#include "lgsp/contracts/catalogue.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace lgsp::contracts;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An edXML package whose Content grows to about `size` bytes (Vietnamese text, as in real letters).
std::string xml_of_size(const Catalogue& c, std::size_t size) {
  auto doc = slurp(c.find("edxml@v1")->dir() / "examples/valid-3-revoke-reply-no-attachment.xml");
  const std::string open = "<edXML:Content>";
  auto at = doc.find(open) + open.size();
  const std::string sentence = "Ủy ban nhân dân phường đề nghị Sở Tư pháp hướng dẫn thủ tục. ";
  std::string pad;
  while (doc.size() + pad.size() + sentence.size() <= size) pad += sentence;
  doc.insert(at, pad);
  return doc;
}

// A national-portal push with as many dossier records as fit in about `size` bytes.
std::string json_of_size(const Catalogue& c, std::size_t size) {
  auto body =
      nlohmann::json::parse(slurp(c.find("dvcqg.DongBoHoSoMC@v1")->dir() / "examples/valid-1-new-dossiers.json"));
  auto record = body["data"][0];
  body["data"] = nlohmann::json::array({record});
  while (body.dump().size() + record.dump().size() < size) body["data"].push_back(record);
  return body.dump();
}

double rate(const Contract& contract, const std::string& doc, unsigned threads, double seconds) {
  std::atomic<bool> stop{false};
  std::atomic<long> done{0};
  std::atomic<long> wrong{0};
  std::vector<std::thread> workers;
  auto start = std::chrono::steady_clock::now();
  for (unsigned t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (!contract.validate(doc, ParseLimits{}).valid()) ++wrong;
        ++n;
      }
      done += n;
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (wrong) std::fprintf(stderr, "validate_bench: %ld validations failed unexpectedly\n", wrong.load());
  return static_cast<double>(done) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2;
  if (argc == 3 && std::string(argv[1]) == "--seconds") seconds = std::stod(argv[2]);
  auto catalogue = Catalogue::load(default_catalogue_dir());
  struct Case {
    const char* kind;
    const Contract* contract;
    std::string doc;
  };
  std::vector<Case> cases;
  auto status = slurp(catalogue.find("edxml-status@v1")->dir() / "examples/valid-1-accepted.xml");
  auto small_json =
      slurp(catalogue.find("onestop.dossier-submission@v1")->dir() / "examples/valid-2-whole-dossier-minimal.json");
  cases.push_back({"XML ", catalogue.find("edxml-status@v1"), status});
  cases.push_back({"XML ", catalogue.find("edxml@v1"), xml_of_size(catalogue, 10 * 1024)});
  cases.push_back({"XML ", catalogue.find("edxml@v1"), xml_of_size(catalogue, 100 * 1024)});
  cases.push_back({"JSON", catalogue.find("onestop.dossier-submission@v1"), small_json});
  cases.push_back({"JSON", catalogue.find("dvcqg.DongBoHoSoMC@v1"), json_of_size(catalogue, 10 * 1024)});
  cases.push_back({"JSON", catalogue.find("dvcqg.DongBoHoSoMC@v1"), json_of_size(catalogue, 100 * 1024)});
  std::printf("%-4s %-32s %9s %14s %14s\n", "kind", "contract", "bytes", "1 thread /s", "2 threads /s");
  for (const auto& c : cases) {
    if (!c.contract->validate(c.doc, ParseLimits{}).valid()) {
      std::fprintf(stderr, "validate_bench: the %s document is not valid\n", c.contract->id().c_str());
      return 1;
    }
    double one = rate(*c.contract, c.doc, 1, seconds);
    double two = rate(*c.contract, c.doc, 2, seconds);
    std::printf("%-4s %-32s %9zu %14.0f %14.0f\n", c.kind, c.contract->id().c_str(), c.doc.size(), one, two);
  }
  return 0;
}
