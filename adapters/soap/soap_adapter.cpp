// The soap adapter: its [[adapter]] keys, its routes on the runner's listener, its worker threads.
#include "soap_adapter.hpp"

#include "lgsp/bus/router.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "soap_errors.hpp"
#include "soap_modes.hpp"

#include <cctype>
#include <regex>

namespace lgsp::adapters {
namespace {

using namespace soap;

bool ncname(const std::string& s) {
  static const std::regex re("[A-Za-z_][A-Za-z0-9_.-]{0,127}");
  return std::regex_match(s, re);
}

// "hotich-soap" -> "HotichSoap": a default wsdl:service name.
std::string camel(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "Service" + out;
  return out;
}

// "{urn:x}Name" or "Name".
QName parse_qname(const std::string& text) {
  if (!text.empty() && text.front() == '{') {
    const auto close = text.find('}');
    if (close != std::string::npos) return {text.substr(1, close - 1), text.substr(close + 1)};
  }
  return {"", text};
}

// "name@vN"; whether the node has it is known only at start (the catalogue), where it is checked.
std::string contract_id(ConfigTable& t, const std::string& key) {
  std::string id = t.required_string(key);
  if (!lgsp::contracts::Catalogue::parse_id(id)) throw AdapterConfigError(t.where(key), "must be NAME@vN");
  return id;
}

ExposeConfig read_expose(ConfigTable& t, const std::string& name) {
  ExposeConfig c;
  c.service_name = t.string("service_name", camel(name));
  if (!ncname(c.service_name)) throw AdapterConfigError(t.where("service_name"), "must be an XML name (NCName)");
  c.target_namespace = t.string("namespace", "urn:lgsp:adapter:" + name);
  c.max_body_bytes = static_cast<std::size_t>(t.integer("max_body_bytes", 1024 * 1024, 1024, 16 * 1024 * 1024));
  c.limits.max_document_bytes = c.max_body_bytes;
  // Below the runner's request timeout (30 s by default), so a slow service is a SOAP fault, not the runner's 504.
  c.timeout = t.milliseconds("timeout_ms", std::chrono::milliseconds(25000), std::chrono::milliseconds(100),
                             std::chrono::milliseconds(600000));
  if (auto security = t.optional_table("security")) {
    c.users_file = security->required_path("users_file");
    auto types = security->strings("password_types");
    if (!types.empty()) {
      c.token_policy.allow_text = c.token_policy.allow_digest = false;
      for (const auto& type : types) {
        if (type == "text")
          c.token_policy.allow_text = true;
        else if (type == "digest")
          c.token_policy.allow_digest = true;
        else
          throw AdapterConfigError(security->where("password_types"), "each must be \"text\" or \"digest\"");
      }
    }
    c.token_policy.window = std::chrono::seconds(security->integer("created_window_s", 300, 10, 3600));
    c.token_policy.max_nonces = static_cast<std::size_t>(security->integer("max_nonces", 100000, 100, 10000000));
  }
  for (auto& o : t.tables("operation")) {
    ExposeOperation op;
    op.name = o.required_string("name");
    if (!ncname(op.name)) throw AdapterConfigError(o.where("name"), "must be an XML name (NCName)");
    op.service = o.required_string("service");
    op.one_way = o.choice("mode", {"call", "message"}, "call") == "message";
    op.soap_action = o.string("soap_action", op.name);
    op.request_contract = contract_id(o, "request_contract");
    op.request_element = o.string("request_element", "");
    if (op.one_way) {
      if (o.has("response_contract") || o.has("path"))
        throw AdapterConfigError(
            o.where("response_contract"),
            "a message operation is answered with the node's receipt: no response_contract, no path");
    } else {
      op.path = o.string("path", "");
      if (!op.path.empty() && op.path.front() != '/') throw AdapterConfigError(o.where("path"), "must start with '/'");
      op.response_contract = contract_id(o, "response_contract");
      op.response_element = o.string("response_element", "");
    }
    c.operations.push_back(std::move(op));
  }
  if (c.operations.empty())
    throw AdapterConfigError(t.where("operation"), "an expose adapter needs one [[adapter.operation]] at least");
  return c;
}

ProvideConfig read_provide(ConfigTable& t) {
  ProvideConfig c;
  c.endpoint = t.required_string("endpoint");
  if (!bus::Url::parse(c.endpoint)) throw AdapterConfigError(t.where("endpoint"), "must be an http:// or https:// URL");
  c.version = t.choice("soap_version", {"1.1", "1.2"}, "1.1") == "1.2" ? SoapVersion::v12 : SoapVersion::v11;
  c.timeout = t.milliseconds("timeout_ms", std::chrono::milliseconds(25000), std::chrono::milliseconds(100),
                             std::chrono::milliseconds(600000));
  c.call_from = t.has("call_from") ? t.strings("call_from") : std::vector<std::string>{"127.0.0.1", "::1"};
  if (auto user = t.optional_string("basic_user")) {
    c.basic_user = user;
    c.basic_password = t.required_secret("basic_password");
  }
  if (auto user = t.optional_string("wsse_user"))
    c.token = OutboundUsernameToken{*user, t.required_secret("wsse_password")};
  if (auto p = t.optional_path("ca")) c.tls.ca = *p;
  if (auto p = t.optional_path("certificate")) c.tls.certificate = *p;
  if (auto p = t.optional_path("private_key")) c.tls.private_key = *p;
  c.limits.max_document_bytes =
      static_cast<std::size_t>(t.integer("max_body_bytes", 16 * 1024 * 1024, 1024, 64 * 1024 * 1024));
  for (auto& o : t.tables("operation")) {
    ProvideOperation op;
    op.name = o.required_string("name");
    op.element = parse_qname(o.string("element", op.name));
    if (!ncname(op.element.local)) throw AdapterConfigError(o.where("element"), "must be Name or {namespace}Name");
    op.soap_action = o.string("soap_action", op.name);
    c.operations.push_back(std::move(op));
  }
  if (c.operations.empty())
    throw AdapterConfigError(t.where("operation"), "a provide adapter needs one [[adapter.operation]] at least");
  return c;
}

class SoapAdapter final : public Adapter {
 public:
  SoapAdapter(std::string name, std::string where, std::optional<ExposeConfig> expose,
              std::optional<ProvideConfig> provide)
      : name_(std::move(name)),
        where_(std::move(where)),
        expose_config_(std::move(expose)),
        provide_config_(std::move(provide)) {}
  ~SoapAdapter() override { stop(); }

  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "soap"; }

  void start(AdapterContext& context) override {
    context_ = &context;
    if (expose_config_) expose_ = std::make_unique<ExposeService>(std::move(*expose_config_), context, where_);
    if (provide_config_) provide_ = std::make_unique<ProvideService>(std::move(*provide_config_), context);
    running_ = true;
    const std::string pattern = context.route_prefix + "/*";
    auto handler = [this](bus::HttpRequest& request, bus::Reply reply) { dispatch(request, std::move(reply)); };
    context.router.add("POST", pattern, handler);
    if (expose_) {
      context.router.add("GET", pattern, handler);
      // A body over the limit is answered with a fault, not with a route body limit: the runner would answer that
      // with problem+json, which a SOAP client cannot read (runner.max_body_bytes still bounds what is read).
      context.router.check_headers(pattern,
                                   [this](const bus::HttpRequest& header) { return expose_->check_header(header); });
    }
  }

  void stop() override { running_ = false; }

  Health health() const override {
    if (!running_) return Health{false, "stopped", 0};
    Health h = provide_ ? provide_->health() : Health{true, expose_ ? expose_->describe() : "", 0};
    h.backlog = in_flight_.load();  // requests being answered now
    return h;
  }

  std::string replay(const DeadLetter&) override {
    // Nothing is left behind: a SOAP client gets its fault at once, and the node keeps and retries what it
    // pushed to a provide route.
    return "the soap adapter keeps no dead letters (a refused SOAP request was answered with a fault; deliveries "
           "are retried by the node)";
  }

 private:
  // Runs on one of the runner's worker threads (which waits for the answer), so blocking on the node or the
  // legacy service here holds no I/O thread.
  void dispatch(bus::HttpRequest& request, bus::Reply reply) {
    if (!running_) return reply(busy(request));
    ++in_flight_;
    bus::HttpResponse response;
    try {
      response = expose_ ? expose_->handle(request) : provide_->handle(request);
    } catch (const std::exception& e) {
      context_->metrics.count("internal_errors");
      response = internal(request, e.what());
    }
    --in_flight_;
    reply(std::move(response));
  }

  bus::HttpResponse busy(const bus::HttpRequest& request) const {
    if (!expose_) return bus::problem(soap::errors::kNotReady, "the adapter is stopping");
    const auto v = request.header("content-type").value_or("").find("soap+xml") != std::string::npos ? SoapVersion::v12
                                                                                                     : SoapVersion::v11;
    bus::HttpResponse r;
    r.status = fault_http_status(v, FaultRole::receiver);
    r.content_type = soap_content_type(v);
    r.body = build_fault(v, fault_spec(soap::errors::kNotReady, FaultRole::receiver, "the adapter is stopping"));
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }

  bus::HttpResponse internal(const bus::HttpRequest& request, const std::string& what) const {
    if (!expose_) return bus::problem(soap::errors::kInternal, bounded(what));
    const auto v = request.header("content-type").value_or("").find("soap+xml") != std::string::npos ? SoapVersion::v12
                                                                                                     : SoapVersion::v11;
    bus::HttpResponse r;
    r.status = 500;
    r.content_type = soap_content_type(v);
    r.body = build_fault(v, fault_spec(soap::errors::kInternal, FaultRole::receiver, bounded(what)));
    return r;
  }

  std::string name_, where_;
  std::optional<ExposeConfig> expose_config_;
  std::optional<ProvideConfig> provide_config_;
  AdapterContext* context_ = nullptr;
  std::unique_ptr<ExposeService> expose_;
  std::unique_ptr<ProvideService> provide_;
  std::atomic<bool> running_{false};
  std::atomic<std::int64_t> in_flight_{0};
};

}  // namespace

std::unique_ptr<Adapter> make_soap_adapter(ConfigTable& t) {
  const std::string name = t.required_string("name");
  if (!t.has("mode")) throw AdapterConfigError(t.where("mode"), "required: \"expose\" or \"provide\"");
  const std::string mode = t.choice("mode", {"expose", "provide"}, "expose");
  std::optional<ExposeConfig> expose;
  std::optional<ProvideConfig> provide;
  if (mode == "expose")
    expose = read_expose(t, name);
  else
    provide = read_provide(t);
  return std::make_unique<SoapAdapter>(name, t.where(), std::move(expose), std::move(provide));
}

}  // namespace lgsp::adapters
