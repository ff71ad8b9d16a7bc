#include "office_process.hpp"

#include <signal.h>

#include <fstream>
#include <stdexcept>

namespace lgsp::test {
namespace fs = std::filesystem;
using nlohmann::json;

OfficeProcess::OfficeProcess(fs::path dir, std::string agency, std::string agency_name, std::vector<std::string> env,
                             std::string extra_config, std::string store_keys)
    : dir_(std::move(dir)), agency_(std::move(agency)), env_(std::move(env)), port_(free_port()) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "onestop.toml") << "[server]\nlisten = \"127.0.0.1:" << port_ << "\"\n"
                                       << "[store]\n"
                                       << store_keys << "[agency]\ncode = \"" << agency_ << "\"\nname = \""
                                       << agency_name
                                       << "\"\nparent_name = \"UBND Quận 1\"\nplace = \"Thành phố Hồ Chí Minh\"\n"
                                       << "public_url = \"http://127.0.0.1:" << port_ << "\"\n"
                                       << extra_config;
}

OfficeProcess::~OfficeProcess() { stop(); }

RunResult OfficeProcess::cli(std::vector<std::string> args) const {
  std::vector<std::string> argv = {LGSP_BINARY, "onestop"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--config");
  argv.push_back((dir_ / "onestop.toml").string());
  return run(argv, "", env_);
}

std::string OfficeProcess::add_user(const std::string& username, const std::string& role, const std::string& name,
                                    const std::string& title, const std::string& customer_code) {
  std::vector<std::string> args = {"user", "add", username, "--role", role, "--name", name};
  if (!title.empty()) args.insert(args.end(), {"--title", title});
  if (!customer_code.empty()) args.insert(args.end(), {"--customer-code", customer_code});
  auto r = cli(args);
  if (r.exit_code != 0) throw std::runtime_error("user add " + username + ": " + r.err);
  std::string token = r.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return token;
}

void OfficeProcess::start() {
  process_ = std::make_unique<Process>(
      std::vector<std::string>{LGSP_BINARY, "onestop", "serve", "--config", (dir_ / "onestop.toml").string()},
      dir_ / "serve.log", env_);
  if (lgsp::test::wait_ready(port_)) return;
  throw std::runtime_error("office " + agency_ + " did not become ready: " + log());
}

void OfficeProcess::stop() {
  if (!process_) return;
  process_->signal(SIGTERM);
  process_->wait(std::chrono::seconds(10));
  process_.reset();
}

void OfficeProcess::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(10));
  process_.reset();
}

std::string OfficeProcess::log() const { return read_file(dir_ / "serve.log"); }

JsonAnswer OfficeProcess::send(const std::string& method, const std::string& path, const std::string& token,
                               const std::string& body, const std::string& content_type,
                               const std::map<std::string, std::string>& more_headers) {
  HttpClient c("127.0.0.1", port_);
  std::map<std::string, std::string> headers = more_headers;
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  if (!content_type.empty()) headers["Content-Type"] = content_type;
  auto r = c.request(method, path, body, headers);
  JsonAnswer a;
  a.status = r.status;
  a.raw = r.body;
  a.headers = r.headers;
  try {
    a.body = json::parse(r.body);
  } catch (const json::exception&) {
    a.body = nullptr;
  }
  return a;
}

JsonAnswer OfficeProcess::call(const std::string& method, const std::string& path, const std::string& token,
                               const json& body) {
  return send(method, path, token, body.is_null() ? "" : body.dump(), body.is_null() ? "" : "application/json");
}

}  // namespace lgsp::test
