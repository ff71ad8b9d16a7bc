#include "lgsp/bus/admin_api.hpp"

#include "lgsp/bus/dead_letters.hpp"
#include "lgsp/bus/http.hpp"
#include "lgsp/bus/log_audit.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/registry.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

namespace lgsp::bus {
namespace {

using nlohmann::json;

constexpr ErrorCode kInvalid{"LGSP-400-REGISTRY", 400, "Invalid registry change", "Thay đổi danh mục không hợp lệ"};
constexpr ErrorCode kNotFound{"LGSP-404-REGISTRY", 404, "No such registry entry", "Không có mục này trong danh mục"};
constexpr ErrorCode kConflict{"LGSP-409-REGISTRY", 409, "Registry entry already exists", "Mục đã có trong danh mục"};

HttpResponse registry_problem(const RegistryError& e) {
  switch (e.kind()) {
    case RegistryError::Kind::not_found:
      return problem(kNotFound, e.what());
    case RegistryError::Kind::conflict:
      return problem(kConflict, e.what());
    case RegistryError::Kind::invalid:
      break;
  }
  return problem(kInvalid, e.what());
}

// The JSON body as an object, or a 400 naming what is wrong.
struct Body {
  json value;
  std::optional<HttpResponse> error;
  std::string text(const char* key) {
    if (error) return {};
    auto it = value.find(key);
    if (it == value.end() || !it->is_string()) {
      error = problem(kInvalid, std::string("field '") + key + "' is required and must be a string");
      return {};
    }
    return it->get<std::string>();
  }
  int integer(const char* key, int fallback) {
    if (error) return fallback;
    auto it = value.find(key);
    if (it == value.end()) return fallback;
    if (!it->is_number_integer()) {
      error = problem(kInvalid, std::string("field '") + key + "' must be an integer");
      return fallback;
    }
    return it->get<int>();
  }
};

Body parse_body(const HttpRequest& request) {
  Body body;
  body.value = json::parse(request.body, nullptr, false);
  if (body.value.is_discarded() || !body.value.is_object())
    body.error = problem(errors::kMalformedRequest, "the body must be a JSON object");
  return body;
}

json to_json(const Service& s) {
  return {{"id", s.id},
          {"contract", s.request_contract},
          {"response_contract", s.response_contract.empty() ? json() : json(s.response_contract)},
          {"endpoint", s.endpoint},
          {"timeout_ms", s.timeout_ms},
          {"max_attempts", s.retry.max_attempts},
          {"initial_backoff_ms", s.retry.initial_backoff_ms},
          {"max_backoff_ms", s.retry.max_backoff_ms},
          {"keep_payload", s.keep_payload}};
}

}  // namespace

struct AdminApi::Impl {
  std::function<Store*()> store;
  std::function<const contracts::Catalogue*()> catalogue;
  // Registry calls wait for durable writes: they run here, never on an I/O thread.
  boost::asio::thread_pool workers{1};

  using Operation = std::function<HttpResponse(Registry&, HttpRequest&)>;

  Handler handler(Operation op) {
    return [this, op](HttpRequest& request, Reply reply) {
      boost::asio::post(workers, [this, op, request, reply]() mutable {
        Store* s = store();
        if (!s) return reply(problem(errors::kNotReady, "the store is not open yet"));
        try {
          Registry registry(*s, catalogue());
          reply(op(registry, request));
        } catch (const RegistryError& e) {
          reply(registry_problem(e));
        } catch (const StoreError& e) {
          reply(problem(errors::kInternal, std::string("store: ") + e.what()));
        }
      });
    };
  }
};

AdminApi::AdminApi(std::function<Store*()> store, std::function<const contracts::Catalogue*()> catalogue)
    : impl_(std::make_shared<Impl>()) {
  impl_->store = std::move(store);
  impl_->catalogue = std::move(catalogue);
}

AdminApi::~AdminApi() { impl_->workers.join(); }

void AdminApi::add_routes(Router& router) {
  auto& i = *impl_;
  const std::string base = "/admin/v1";

  router.add("GET", base + "/members", i.handler([](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& m : r.members()) out.push_back({{"code", m.code}, {"name", m.name}});
    return HttpResponse::json(200, out);
  }));
  router.add("POST", base + "/members", i.handler([](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto code = body.text("code");
    auto name = body.text("name");
    if (body.error) return *body.error;
    r.add_member(code, name);
    return HttpResponse::json(201, {{"code", code}, {"name", name}});
  }));

  router.add("GET", base + "/subsystems", i.handler([](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& s : r.subsystems()) out.push_back({{"id", s.id}});
    return HttpResponse::json(200, out);
  }));
  router.add("POST", base + "/subsystems", i.handler([](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto id = body.text("id");
    if (body.error) return *body.error;
    r.add_subsystem(id);
    return HttpResponse::json(201, {{"id", id}});
  }));

  router.add("GET", base + "/services", i.handler([](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& s : r.services()) out.push_back(to_json(s));
    return HttpResponse::json(200, out);
  }));
  router.add("POST", base + "/services", i.handler([](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    Service s;
    s.id = body.text("id");
    s.request_contract = body.text("contract");
    s.endpoint = body.text("endpoint");
    if (!body.error && body.value.contains("response_contract") && !body.value["response_contract"].is_null())
      s.response_contract = body.text("response_contract");
    s.timeout_ms = body.integer("timeout_ms", s.timeout_ms);
    s.retry.max_attempts = body.integer("max_attempts", s.retry.max_attempts);
    s.retry.initial_backoff_ms = body.integer("initial_backoff_ms", s.retry.initial_backoff_ms);
    s.retry.max_backoff_ms = body.integer("max_backoff_ms", s.retry.max_backoff_ms);
    if (!body.error && body.value.contains("keep_payload")) {
      if (!body.value["keep_payload"].is_boolean())
        return problem(kInvalid, "field 'keep_payload' must be true or false");
      s.keep_payload = body.value["keep_payload"].get<bool>();
    }
    if (body.error) return *body.error;
    r.add_service(s);
    return HttpResponse::json(201, to_json(s));
  }));

  router.add("GET", base + "/acl", i.handler([](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& g : r.grants()) out.push_back({{"client", g.client}, {"service", g.service}});
    return HttpResponse::json(200, out);
  }));
  router.add("POST", base + "/acl", i.handler([](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto client = body.text("client");
    auto service = body.text("service");
    if (body.error) return *body.error;
    r.grant(client, service);
    return HttpResponse::json(201, {{"client", client}, {"service", service}});
  }));
  // Revocation names the grant in the body, as ids contain '/'.
  router.add("POST", base + "/acl/revoke", i.handler([](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto client = body.text("client");
    auto service = body.text("service");
    if (body.error) return *body.error;
    r.revoke(client, service);
    return HttpResponse::json(200, {{"client", client}, {"service", service}, {"revoked", true}});
  }));

  router.add("GET", base + "/apikeys", i.handler([](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& k : r.api_keys())
      out.push_back({{"id", k.id}, {"subsystem", k.subsystem}, {"created_at", k.created_at}, {"revoked", k.revoked}});
    return HttpResponse::json(200, out);
  }));
  router.add("POST", base + "/apikeys", i.handler([](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto subsystem = body.text("subsystem");
    if (body.error) return *body.error;
    // The key is shown once, here; only its hash is kept.
    return HttpResponse::json(201, {{"subsystem", subsystem}, {"key", r.create_api_key(subsystem)}});
  }));
  router.add("DELETE", base + "/apikeys/{id}", i.handler([](Registry& r, HttpRequest& req) {
    r.revoke_api_key(req.path_params["id"]);
    return HttpResponse::json(200, {{"id", req.path_params["id"]}, {"revoked", true}});
  }));

  router.add("GET", base + "/nodes", i.handler([](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& [name, fp] : r.peer_nodes()) out.push_back({{"name", name}, {"fingerprint", fp}});
    return HttpResponse::json(200, out);
  }));
  router.add("POST", base + "/nodes", i.handler([](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto name = body.text("name");
    auto pem = body.text("pem");
    if (body.error) return *body.error;
    return HttpResponse::json(201, {{"name", name}, {"fingerprint", r.add_peer_node(name, pem)}});
  }));
  router.add("DELETE", base + "/nodes/{name}", i.handler([](Registry& r, HttpRequest& req) {
    r.remove_peer_node(req.path_params["name"]);
    return HttpResponse::json(200, {{"name", req.path_params["name"]}, {"removed", true}});
  }));

  // The dead-letter queue and the message log, as `lgsp dlq` and `lgsp log verify` do them.
  router.add("GET", base + "/dlq", i.handler([&i](Registry&, HttpRequest&) {
    json out = json::array();
    for (const auto& d : list_dead_letters(*i.store())) out.push_back(d.to_json());
    return HttpResponse::json(200, out);
  }));
  router.add("POST", base + "/dlq/replay", i.handler([&i](Registry&, HttpRequest& req) {
    auto body = parse_body(req);
    if (body.error) return *body.error;
    const bool all = body.value.value("all", false);
    std::string id = all ? "" : body.text("message_id");
    // An empty id would mean every dead message: only "all": true says that.
    if (body.error || (!all && id.empty()))
      return problem(kInvalid,
                     "give message_id (and client when ambiguous) or all: true (and client for one client's)");
    std::string client = body.value.contains("client") ? body.text("client") : "";
    if (body.error) return *body.error;
    try {
      return HttpResponse::json(200, {{"replayed", replay_dead_letters(*i.store(), id, client)}});
    } catch (const std::invalid_argument& e) {
      return problem(kNotFound, e.what());
    }
  }));
  router.add("GET", base + "/log/verify", i.handler([&i](Registry&, HttpRequest&) {
    // The chain, its seals, the sealed heads and the stored messages against the log (log_audit.hpp);
    // seals are pinned by `lgsp log verify`, which reads the node's token certificate.
    auto audit = audit_log(*i.store(), {});
    const auto& check = audit.chain;
    json out = {{"intact", audit.ok}, {"records", check.records}, {"seals", check.seals}, {"head", audit.head.text()}};
    if (audit.last_sealed) out["last_sealed_head"] = audit.last_sealed->head.text();
    if (!check.ok) {
      out["first_bad"] = *check.first_bad;
      out["reason"] = check.reason;
    } else if (!audit.ok) {
      out["reason"] = audit.reason;
    }
    return HttpResponse::json(audit.ok ? 200 : 409, out);
  }));

  router.add("GET", base + "/certificates", i.handler([](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& [fp, sub] : r.certificates()) out.push_back({{"fingerprint", fp}, {"subsystem", sub}});
    return HttpResponse::json(200, out);
  }));
  router.add("POST", base + "/certificates", i.handler([](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto subsystem = body.text("subsystem");
    auto pem = body.text("pem");
    if (body.error) return *body.error;
    return HttpResponse::json(201, {{"subsystem", subsystem}, {"fingerprint", r.add_certificate(subsystem, pem)}});
  }));
  router.add("DELETE", base + "/certificates/{fingerprint}", i.handler([](Registry& r, HttpRequest& req) {
    r.remove_certificate(req.path_params["fingerprint"]);
    return HttpResponse::json(200, {{"fingerprint", req.path_params["fingerprint"]}, {"removed", true}});
  }));
}

}  // namespace lgsp::bus
