// NodeClient over the bus's OutboundClient: the node's public API with the adapter's own identity, and the
// node's answers sorted into what an adapter does next (done, dead-letter, try again later).
#include "lgsp/adapters/node_client.hpp"

#include "lgsp/bus/outbound_client.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

namespace lgsp::adapters {

namespace {

constexpr std::size_t kMaxProblemText = 2048;
constexpr std::uint64_t kMaxResponseBytes = 64 * 1024 * 1024;

bool has_control(const std::string& v) {
  for (unsigned char c : v)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::string cut(std::string text) {
  if (text.size() > kMaxProblemText) text.resize(kMaxProblemText);
  return text;
}

// problem+json code and detail, when the body is one.
std::pair<std::string, std::string> problem_of(const bus::OutboundResponse& r) {
  auto type = r.header("content-type").value_or("");
  if (type.find("json") == std::string::npos || r.body.empty() || r.body.size() > kMaxResponseBytes) return {};
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object()) return {};
  std::string code = j.contains("code") && j["code"].is_string() ? j["code"].get<std::string>() : "";
  std::string detail = j.contains("detail") && j["detail"].is_string() ? j["detail"].get<std::string>() : "";
  return {cut(code), cut(detail)};
}

// Retry-After: delay-seconds or an HTTP-date (RFC 9110 10.2.3), at most a day.
std::optional<std::chrono::seconds> retry_after_of(const bus::OutboundResponse& r) {
  auto v = r.header("retry-after");
  if (!v || v->empty() || v->size() > 64) return std::nullopt;
  constexpr long long kMax = 86400;
  if (v->find_first_not_of("0123456789") == std::string::npos) {
    long long s = v->size() > 6 ? kMax : std::stoll(*v);
    return std::chrono::seconds(std::min(s, kMax));
  }
  std::tm tm{};
  if (!strptime(v->c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  auto at = timegm(&tm);
  auto now = std::time(nullptr);
  long long s = at > now ? static_cast<long long>(at - now) : 0;
  return std::chrono::seconds(std::min(s, kMax));
}

std::string base(const std::string& url) {
  std::string b = url;
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b;
}

}  // namespace

std::string SendOutcome::describe() const {
  std::string out;
  if (status) out = std::to_string(status);
  if (!code.empty()) out += (out.empty() ? "" : " ") + code;
  if (!detail.empty()) out += (out.empty() ? "" : ": ") + detail;
  if (out.empty()) {
    switch (kind) {
      case Kind::accepted:
        return "accepted";
      case Kind::repeated:
        return "repeated";
      case Kind::refused:
        return "refused";
      case Kind::unavailable:
        return "node unavailable";
    }
  }
  return out;
}

std::optional<std::string> CallOutcome::header(const std::string& lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return std::nullopt;
}

struct NodeClient::Impl {
  bus::OutboundClient client;
  explicit Impl(const NodeIdentity& id)
      : client(bus::OutboundTls{id.ca, id.certificate, id.private_key}, 1, kMaxResponseBytes) {}
};

NodeClient::NodeClient(NodeIdentity identity)
    : identity_(std::move(identity)), impl_(std::make_unique<Impl>(identity_)) {}

NodeClient::~NodeClient() = default;

SendOutcome NodeClient::send(const OutgoingMessage& message) {
  SendOutcome out;
  for (const auto* v : {&message.service, &message.message_id, &message.conversation_id, &message.content_type}) {
    if (has_control(*v)) {
      // A header value with CR/LF would split the request: never sent, and it never will be.
      out.kind = SendOutcome::Kind::refused;
      out.detail = "a header value (service, message id, conversation id or content type) has a control character";
      return out;
    }
  }
  bus::OutboundRequest request;
  request.method = "POST";
  request.url = base(identity_.node_url) + "/v1/messages";
  request.timeout = identity_.timeout;
  request.headers = {{"Content-Type", message.content_type},
                     {"LGSP-Client", identity_.client},
                     {"LGSP-Service", message.service},
                     {"LGSP-Message-Id", message.message_id}};
  if (!message.conversation_id.empty()) request.headers.emplace_back("LGSP-Conversation-Id", message.conversation_id);
  if (!identity_.api_key.empty()) request.headers.emplace_back("Authorization", "Bearer " + identity_.api_key);
  request.body = message.body;
  auto r = impl_->client.send_sync(std::move(request));
  if (!r.ok()) {
    out.kind = SendOutcome::Kind::unavailable;
    out.detail = cut(r.error.empty() ? "no answer from the node" : r.error);
    return out;
  }
  out.status = r.status;
  out.body = std::move(r.body);
  bus::OutboundResponse for_problem;
  for_problem.headers = r.headers;
  for_problem.body = out.body;
  if (r.status == 202) {
    out.kind = SendOutcome::Kind::accepted;
  } else if (r.status == 200) {
    out.kind = SendOutcome::Kind::repeated;
  } else if (r.status >= 400 && r.status < 500 && r.status != 429 && r.status != 408) {
    out.kind = SendOutcome::Kind::refused;
  } else {
    // 5xx, 429, 408 and anything unexpected: nothing is lost by trying again later.
    out.kind = SendOutcome::Kind::unavailable;
    out.retry_after = retry_after_of(for_problem);
  }
  if (!out.acknowledged()) std::tie(out.code, out.detail) = problem_of(for_problem);
  return out;
}

CallOutcome NodeClient::call(const CallRequest& call) {
  CallOutcome out;
  bool bad = has_control(call.service) || has_control(call.path) || has_control(call.query) ||
             has_control(call.content_type) || has_control(call.message_id) || has_control(call.method);
  for (const auto& [name, value] : call.headers) bad = bad || has_control(name) || has_control(value);
  if (bad || (!call.path.empty() && call.path.front() != '/') || call.query.find('#') != std::string::npos) {
    out.error = "the call has a control character in a header, or a path that does not start with '/'";
    return out;
  }
  bus::OutboundRequest request;
  request.method = call.method;
  request.url =
      base(identity_.node_url) + "/v1/call/" + call.service + call.path + (call.query.empty() ? "" : "?" + call.query);
  request.timeout = call.timeout.value_or(identity_.timeout);
  request.headers = {{"LGSP-Client", identity_.client}};
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT" || call.method == "PATCH")
    request.headers.emplace_back("Content-Type", call.content_type);
  if (!call.message_id.empty()) request.headers.emplace_back("LGSP-Message-Id", call.message_id);
  if (!identity_.api_key.empty()) request.headers.emplace_back("Authorization", "Bearer " + identity_.api_key);
  for (const auto& h : call.headers) request.headers.push_back(h);
  request.body = call.body;
  auto r = impl_->client.send_sync(std::move(request));
  if (!r.ok()) {
    out.error = cut(r.error.empty() ? "no answer from the node" : r.error);
    return out;
  }
  out.answered = true;
  out.status = r.status;
  out.content_type = r.header("content-type").value_or("");
  if (r.status >= 400) out.code = problem_of(r).first;
  out.headers = std::move(r.headers);
  out.body = std::move(r.body);
  return out;
}

}  // namespace lgsp::adapters
