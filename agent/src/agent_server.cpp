#include "lgsp/agent/agent_server.hpp"

#include "lgsp/agent/errors.hpp"
#include "lgsp/agent/token_directory.hpp"
#include "lgsp/bus/http_server.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/request_handler.hpp"
#include "lgsp/bus/router.hpp"
#include "lgsp/contracts/base64.hpp"
#include "lgsp/signing/encoding.hpp"

#include <atomic>
#include <cstring>

namespace lgsp::agent {
namespace {

using bus::HttpRequest;
using bus::HttpResponse;
using json = nlohmann::json;

// What the PIN dialog shows of the request: enough for the official to recognise it, bounded so that a page
// cannot flood the dialog (Assuan lines are 1000 bytes).
constexpr std::size_t kTitlesShown = 8;
constexpr std::size_t kTitleShownBytes = 60;
constexpr std::size_t kTitleMaxBytes = 300;
constexpr std::chrono::seconds kPinTimeout{120};

HttpResponse agent_problem(const bus::ErrorCode& code, const std::string& detail, const json& extra = json::object()) {
  auto r = bus::problem(code, detail);
  if (!extra.empty()) {
    auto body = json::parse(r.body);
    for (auto& [k, v] : extra.items()) body[k] = v;
    r.body = body.dump();
  }
  return r;
}

// Control characters become spaces, the text is cut at a UTF-8 boundary: a title is shown, never interpreted.
std::string shown(const std::string& text, std::size_t max_bytes) {
  std::string out;
  for (unsigned char c : text) out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  if (out.size() <= max_bytes) return out;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;
  out.resize(cut);
  return out + "…";
}

std::string common_name(const std::string& subject) {
  auto at = subject.find("CN=");
  if (at == std::string::npos) return subject;
  auto end = subject.find(',', at);
  return subject.substr(at + 3, end == std::string::npos ? std::string::npos : end - at - 3);
}

struct SignItem {
  signing::Sha256Digest digest;
  std::string title;
};

struct SignRequest {
  std::string fingerprint;
  std::vector<SignItem> items;
};

// Decodes the body once into typed values; every refusal names what is wrong.
SignRequest parse_sign(const std::string& body, std::size_t max_batch) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::exception&) {
    throw AgentError(errors::kRequest, "the body is not JSON");
  }
  if (!doc.is_object()) throw AgentError(errors::kRequest, "the body must be a JSON object");
  for (auto& [k, v] : doc.items())
    if (k != "certificate" && k != "items")
      throw AgentError(errors::kRequest, "unknown member '" + shown(k, 40) + "' (known: certificate, items)");
  if (!doc.contains("certificate") || !doc["certificate"].is_string())
    throw AgentError(errors::kRequest, "'certificate' (the fingerprint from /v1/certificates) is required");
  if (!doc.contains("items") || !doc["items"].is_array() || doc["items"].empty())
    throw AgentError(errors::kRequest, "'items' must be a non-empty array of {digest, title}");
  const auto& items = doc["items"];
  if (items.size() > max_batch)
    throw AgentError(errors::kBatchTooLarge,
                     std::to_string(items.size()) + " documents; at most " + std::to_string(max_batch) + " at once",
                     {{"max_batch", max_batch}});
  SignRequest request;
  std::string fp = doc["certificate"].get<std::string>();
  for (auto& c : fp) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (fp.size() != 64 || fp.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw AgentError(errors::kRequest, "'certificate' must be a SHA-256 fingerprint (64 hex digits)");
  request.fingerprint = fp;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    const std::string at = "items[" + std::to_string(i) + "]";
    if (!item.is_object()) throw AgentError(errors::kRequest, at + " must be an object {digest, title}");
    for (auto& [k, v] : item.items())
      if (k != "digest" && k != "title")
        throw AgentError(errors::kRequest, at + ": unknown member '" + shown(k, 40) + "' (known: digest, title)");
    if (!item.contains("title") || !item["title"].is_string())
      throw AgentError(errors::kRequest, at + ".title (the document's name, shown to the signer) is required");
    if (!item.contains("digest") || !item["digest"].is_string())
      throw AgentError(errors::kDigest, at + ".digest is required", {{"item", i}});
    const auto& digest_text = item["digest"].get_ref<const std::string&>();
    auto bytes = digest_text.size() <= 64 ? contracts::base64_decode(digest_text) : std::nullopt;
    if (!bytes || bytes->size() != 32)
      throw AgentError(errors::kDigest,
                       at + ".digest must be base64 of a 32-byte SHA-256 digest" +
                           (bytes ? " (got " + std::to_string(bytes->size()) + " bytes)" : " (not base64)"),
                       {{"item", i}});
    const auto& title = item["title"].get_ref<const std::string&>();
    if (title.size() > kTitleMaxBytes)
      throw AgentError(errors::kRequest, at + ".title is over " + std::to_string(kTitleMaxBytes) + " bytes");
    SignItem s;
    std::memcpy(s.digest.data(), bytes->data(), 32);
    s.title = title;
    request.items.push_back(std::move(s));
  }
  return request;
}

PinQuestion question_for(const std::string& origin, const SignRequest& request, const CertificateView& certificate,
                         PinTries tries) {
  PinQuestion q;
  q.title = "LGSP – Ký số / Digital signature";
  const auto n = std::to_string(request.items.size());
  std::string d = "Trang " + origin + " yêu cầu ký " + n + " tài liệu.\n" + origin + " asks to sign " + n +
                  " document(s).\n" + "Chứng thư / Certificate: " + shown(common_name(certificate.subject), 80) +
                  " (token " + shown(certificate.token_label, 40) + ")\n";
  for (std::size_t i = 0; i < request.items.size() && i < kTitlesShown; ++i)
    d += "\n" + std::to_string(i + 1) + ". " + shown(request.items[i].title, kTitleShownBytes);
  if (request.items.size() > kTitlesShown)
    d += "\n… và " + std::to_string(request.items.size() - kTitlesShown) + " tài liệu khác / and " +
         std::to_string(request.items.size() - kTitlesShown) + " more";
  q.description = d;
  q.prompt = "Mã PIN / PIN:";
  if (tries == PinTries::kCountLow)
    q.error = "Đã có lần nhập sai PIN / A wrong PIN was entered before: tries are running low";
  if (tries == PinTries::kFinalTry)
    q.error = "LẦN THỬ CUỐI: sai nữa token sẽ bị khóa / FINAL TRY: one more wrong PIN locks the token";
  q.timeout = kPinTimeout;
  return q;
}

json certificate_json(const CertificateView& c) {
  return {{"fingerprint", c.fingerprint}, {"subject", c.subject},         {"issuer", c.issuer},
          {"serial", c.serial},           {"not_before", c.not_before},   {"not_after", c.not_after},
          {"key_usage", c.key_usage},     {"token_label", c.token_label}, {"certificate", c.certificate}};
}

std::string base64_of(const std::vector<unsigned char>& bytes) {
  return contracts::base64_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace

struct AgentServer::Impl {
  AgentConfig config;
  TokenDirectory tokens;
  bus::Router router;
  std::atomic<bool> signing{false};
  // One worker: pkcs11-helper allows one loaded module per process, so token work is serial anyway.
  bus::WorkerRoutes workers;
  std::unique_ptr<bus::HttpServer> server;

  explicit Impl(AgentConfig c) : config(std::move(c)), tokens(config.modules), workers(1, route_errors()) {
    add_routes();
  }

  static bus::RouteErrors route_errors() {
    bus::RouteErrors e;
    e.module = "agent";
    e.codes.not_json = &errors::kRequest;
    e.codes.wrong_type = &errors::kRequest;
    e.codes.missing = &errors::kRequest;
    e.own = [](const std::exception& ex) -> std::optional<HttpResponse> {
      if (auto* a = dynamic_cast<const AgentError*>(&ex)) return agent_problem(a->code(), a->what(), a->extra());
      if (auto* p = dynamic_cast<const PinentryError*>(&ex)) return agent_problem(errors::kPinentry, p->what());
      return std::nullopt;
    };
    return e;
  }

  // Every answer to an allowed origin carries its CORS headers (the origin check ran before any handler).
  bus::Handler with_cors(bus::Handler handler) {
    return [handler = std::move(handler)](HttpRequest& request, bus::Reply reply) {
      std::string origin = request.header("origin").value_or("");
      handler(request, [reply = std::move(reply), origin](HttpResponse response) {
        response.headers.emplace_back("Access-Control-Allow-Origin", origin);
        response.headers.emplace_back("Vary", "Origin");
        response.headers.emplace_back("Cache-Control", "no-store");
        reply(std::move(response));
      });
    };
  }

  static HttpResponse preflight(const HttpRequest& request, const std::string& methods) {
    HttpResponse r;
    r.status = 204;
    r.content_type = "text/plain";
    r.headers.emplace_back("Access-Control-Allow-Methods", methods);
    r.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
    r.headers.emplace_back("Access-Control-Max-Age", "600");
    // Chromium's Private Network Access: a public page may reach this loopback agent only when it says so.
    if (request.header("access-control-request-private-network").value_or("") == "true")
      r.headers.emplace_back("Access-Control-Allow-Private-Network", "true");
    return r;
  }

  void add_routes() {
    router.add("GET", "/v1/certificates", with_cors(workers.handler([this](HttpRequest&) {
                 json list = json::array();
                 for (const auto& c : tokens.certificates()) list.push_back(certificate_json(c));
                 return HttpResponse::json(200, {{"certificates", list}});
               })));
    auto sign = workers.handler([this](HttpRequest& request) { return sign_batch(request); });
    router.add("POST", "/v1/sign", with_cors([this, sign](HttpRequest& request, bus::Reply reply) {
                 // One batch at a time: a second page (or a second click) must not stack PIN dialogs.
                 if (signing.exchange(true))
                   return reply(agent_problem(errors::kBusy, "another signing request is waiting for the PIN"));
                 sign(request, [this, reply](HttpResponse r) {
                   signing = false;
                   reply(std::move(r));
                 });
               }));
    router.limit_body("POST", "/v1/sign", 4096 + config.max_batch * 1024);
    for (const auto& [path, methods] : {std::pair<std::string, std::string>{"/v1/certificates", "GET"},
                                        std::pair<std::string, std::string>{"/v1/sign", "POST"}}) {
      std::string m = methods;
      router.add("OPTIONS", path,
                 with_cors([m](HttpRequest& request, bus::Reply reply) { reply(preflight(request, m)); }));
    }
    // Anything else still passes the origin check first, and is answered with CORS headers.
    for (const char* method : {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
      router.add(method, "/*", with_cors([](HttpRequest& request, bus::Reply reply) {
                   reply(bus::problem(bus::errors::kUnknownRoute, "no resource at " + shown(request.path, 100)));
                 }));
  }

  HttpResponse sign_batch(HttpRequest& request) {
    const std::string origin = request.header("origin").value_or("");
    const auto started = std::chrono::steady_clock::now();
    try {
      auto parsed = parse_sign(request.body, config.max_batch);
      std::vector<signing::Sha256Digest> digests;
      for (const auto& i : parsed.items) digests.push_back(i.digest);
      auto batch = tokens.sign(parsed.fingerprint, digests, [&](const CertificateView& c, PinTries tries) {
        return ask_pin(config.pinentry, question_for(origin, parsed, c, tries));
      });
      json signatures = json::array();
      json chain = json::array();
      for (const auto& s : batch.signatures) signatures.push_back(base64_of(s));
      for (const auto& c : batch.chain) chain.push_back(base64_of(c));
      bus::log::info(
          "agent.signed",
          {{"origin", origin},
           {"certificate", parsed.fingerprint},
           {"documents", parsed.items.size()},
           {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                      .count()}});
      return HttpResponse::json(200, {{"signatures", signatures}, {"chain", chain}});
    } catch (const AgentError& e) {
      bus::log::info("agent.sign_refused", {{"origin", origin}, {"code", e.code().code}});
      throw;
    } catch (const PinentryError& e) {
      bus::log::warn("agent.pinentry_failed", {{"origin", origin}, {"error", e.what()}});
      throw;
    }
  }
};

AgentServer::AgentServer(AgentConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

AgentServer::~AgentServer() { stop(std::chrono::milliseconds(2000)); }

void AgentServer::start() {
  bus::HttpServerOptions options;
  options.listen = impl_->config.listen;
  options.threads = 1;
  options.max_body_bytes = 4096 + impl_->config.max_batch * 1024;
  options.max_header_bytes = 8 * 1024;
  // A sign request waits for the official to type the PIN (the dialog closes itself after kPinTimeout).
  options.request_timeout = kPinTimeout + std::chrono::seconds(30);
  options.max_connections_per_source = 32;
  const auto allowed = impl_->config.allow_origins;
  options.header_check = [allowed](const HttpRequest& header) { return check_origin(header, allowed); };
  impl_->server = std::make_unique<bus::HttpServer>(options, impl_->router);
  impl_->server->start();
}

bus::HostPort AgentServer::local_endpoint() const { return impl_->server->local_endpoint(); }

void AgentServer::stop(std::chrono::milliseconds timeout) {
  if (impl_->server) impl_->server->drain(timeout);
}

}  // namespace lgsp::agent
