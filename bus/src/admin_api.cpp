#include "lgsp/bus/admin_api.hpp"

#include "lgsp/bus/admin_credentials.hpp"
#include "lgsp/bus/dead_letters.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/http.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/log_audit.hpp"
#include "lgsp/bus/message_log.hpp"
#include "lgsp/bus/registry.hpp"
#include "lgsp/bus/request_handler.hpp"

#include <climits>

namespace lgsp::bus {
namespace {

using nlohmann::json;

// The JSON body as an object, or a 400 naming what is wrong. Every accessor checks the member's type, so a
// body of the wrong shape is refused field by field (the worker-pool wrapper is the net under this).
struct Body {
  json value;
  std::optional<HttpResponse> error;
  bool has(const char* key) const { return !error && value.contains(key); }
  std::string text(const char* key) {
    if (error) return {};
    auto it = value.find(key);
    if (it == value.end() || !it->is_string()) {
      error = problem(errors::kRegistryInvalid, std::string("field '") + key + "' is required and must be a string");
      return {};
    }
    return it->get<std::string>();
  }
  int integer(const char* key, int fallback) {
    if (error) return fallback;
    auto it = value.find(key);
    if (it == value.end()) return fallback;
    const bool fits = it->is_number_unsigned() ? it->get<std::uint64_t>() <= static_cast<std::uint64_t>(INT_MAX)
                      : it->is_number_integer()
                          ? it->get<std::int64_t>() >= INT_MIN && it->get<std::int64_t>() <= INT_MAX
                          : false;
    if (!fits) {
      error = problem(errors::kRegistryInvalid, std::string("field '") + key + "' must be an integer (32-bit)");
      return fallback;
    }
    return static_cast<int>(it->get<std::int64_t>());
  }
  bool boolean(const char* key, bool fallback) {
    if (error) return fallback;
    auto it = value.find(key);
    if (it == value.end()) return fallback;
    if (!it->is_boolean()) {
      error = problem(errors::kRegistryInvalid, std::string("field '") + key + "' must be true or false");
      return fallback;
    }
    return it->get<bool>();
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

// The fields of a service body over `s`: every field for POST and PUT (those not given take the defaults),
// only those given for PATCH (the rest stay).
void read_service_fields(Body& body, Service& s, bool partial) {
  auto text = [&](const char* key, std::string& field) {
    if (!partial || body.has(key)) field = body.text(key);
  };
  text("contract", s.request_contract);
  text("endpoint", s.endpoint);
  if (body.has("response_contract"))
    s.response_contract = body.value["response_contract"].is_null() ? "" : body.text("response_contract");
  s.timeout_ms = body.integer("timeout_ms", s.timeout_ms);
  s.retry.max_attempts = body.integer("max_attempts", s.retry.max_attempts);
  s.retry.initial_backoff_ms = body.integer("initial_backoff_ms", s.retry.initial_backoff_ms);
  s.retry.max_backoff_ms = body.integer("max_backoff_ms", s.retry.max_backoff_ms);
  s.keep_payload = body.boolean("keep_payload", s.keep_payload);
}

// What a change said, for the log: its scalar fields (ids, URLs, numbers), never a PEM or anything long.
json summary_of(const std::string& text) {
  json out = json::object();
  auto body = json::parse(text, nullptr, false);
  if (!body.is_object()) return out;
  for (const auto& [key, value] : body.items()) {
    if (key == "pem" || out.size() >= 16) continue;
    if (value.is_string() && value.get_ref<const std::string&>().size() <= 256)
      out[key] = value;
    else if (value.is_number() || value.is_boolean() || value.is_null())
      out[key] = value;
  }
  return out;
}

}  // namespace

struct AdminApi::Impl {
  std::function<Store*()> store;
  std::function<const contracts::Catalogue*()> catalogue;
  // Registry calls wait for durable writes: they run here, never on an I/O thread.
  WorkerRoutes workers{1, RouteErrors{"admin", {}, {}}};

  // What a route needs of its caller: reads are for auditors too, changes for registry admins only.
  enum class Need { read, change };
  using Operation = std::function<HttpResponse(Registry&, HttpRequest&)>;

  // The caller a pinned client certificate or a bearer token names, if any.
  static std::optional<AdminCaller> authenticate(Store& s, const HttpRequest& request) {
    AdminCredentials credentials(s);
    if (auto c = credentials.for_certificate(request.peer_certificate_sha256)) return c;
    auto auth = request.header("authorization").value_or("");
    if (auth.rfind("Bearer ", 0) == 0) return credentials.authenticate_token(auth.substr(7));
    return std::nullopt;
  }

  // The refusal for a caller who may not do what `need` asks (nullopt: go on). The same rule runs twice: on the
  // request's header, so that a stranger's large body is refused unread, and again in the handler (a token may be
  // revoked in between).
  static std::optional<HttpResponse> refusal(const std::optional<AdminCaller>& who, Need need,
                                             const HttpRequest& request) {
    if (!who) {
      log::warn("admin.unauthenticated", {{"path", request.path}, {"remote", request.remote}});
      auto refused = problem(errors::kAdminUnauthenticated,
                             request.header("authorization")
                                 ? "the admin token is not valid (unknown, revoked or malformed)"
                                 : "send Authorization: Bearer <admin token> (lgsp admin token create) or a "
                                   "pinned client certificate");
      refused.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"lgsp-admin\"");
      return refused;
    }
    if (need == Need::change && who->role != AdminRole::registry_admin) {
      log::warn("admin.forbidden", {{"path", request.path}, {"who", who->name}, {"role", to_string(who->role)}});
      return problem(errors::kAdminForbidden, "role " + to_string(who->role) + " may only read; " + request.method +
                                                  " " + request.path + " needs registry-admin");
    }
    return std::nullopt;
  }

  HeaderCheck header_check(Need need) {
    return [this, need](const HttpRequest& header) -> std::optional<HttpResponse> {
      Store* s = store();
      if (!s) return problem(errors::kNotReady, "the store is not open yet");
      return refusal(authenticate(*s, header), need, header);
    };
  }

  Handler handler(Need need, Operation op) {
    return workers.handler([this, need, op](HttpRequest& request) -> HttpResponse {
      Store* s = store();
      if (!s) return problem(errors::kNotReady, "the store is not open yet");
      auto who = authenticate(*s, request);
      if (auto refused = refusal(who, need, request)) return std::move(*refused);
      const AdminCaller& caller = *who;
      Registry registry(*s, catalogue());
      if (need == Need::change) {
        // Who, what and on what, in the same transaction as the change: the log shows every change made.
        json record = {{"who", caller.name},
                       {"role", to_string(caller.role)},
                       {"via", caller.via},
                       {"credential", caller.credential},
                       {"method", request.method},
                       {"path", request.path},
                       {"body_sha256", sha256_hex(request.body)},
                       {"summary", summary_of(request.body)}};
        registry.on_change([record, caller_name = caller.name](Transaction& tx) {
          MessageLog::append(tx, "admin", caller_name, record);
        });
      }
      return op(registry, request);
    });
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
  using Need = Impl::Need;
  auto read = [&](const std::string& path, Impl::Operation op) {
    router.add("GET", base + path, i.handler(Need::read, std::move(op)), i.header_check(Need::read));
  };
  auto change = [&](const char* method, const std::string& path, Impl::Operation op) {
    router.add(method, base + path, i.handler(Need::change, std::move(op)), i.header_check(Need::change));
  };

  read("/members", [](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& m : r.members()) out.push_back({{"code", m.code}, {"name", m.name}});
    return HttpResponse::json(200, out);
  });
  change("POST", "/members", [](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto code = body.text("code");
    auto name = body.text("name");
    if (body.error) return *body.error;
    r.add_member(code, name);
    return HttpResponse::json(201, {{"code", code}, {"name", name}});
  });

  read("/subsystems", [](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& s : r.subsystems()) out.push_back({{"id", s.id}});
    return HttpResponse::json(200, out);
  });
  change("POST", "/subsystems", [](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto id = body.text("id");
    if (body.error) return *body.error;
    r.add_subsystem(id);
    return HttpResponse::json(201, {{"id", id}});
  });

  read("/services", [](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& s : r.services()) out.push_back(to_json(s));
    return HttpResponse::json(200, out);
  });
  change("POST", "/services", [](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    Service s;
    s.id = body.text("id");
    read_service_fields(body, s, false);
    if (body.error) return *body.error;
    r.add_service(s);
    return HttpResponse::json(201, to_json(s));
  });
  // A service id holds '/': the id is the rest of the path after /services/.
  read("/services/*", [](Registry& r, HttpRequest& req) {
    auto s = r.find_service(req.path_params["*"]);
    if (!s) throw RegistryError(RegistryError::Kind::not_found, "service " + req.path_params["*"], "does not exist");
    return HttpResponse::json(200, to_json(*s));
  });
  // PUT replaces the whole service (fields not given take their defaults); PATCH changes the fields given.
  for (const char* method : {"PUT", "PATCH"}) {
    const bool partial = std::string(method) == "PATCH";
    change(method, "/services/*", [partial](Registry& r, HttpRequest& req) {
      auto body = parse_body(req);
      if (body.error) return *body.error;
      const std::string id = req.path_params["*"];
      if (body.has("id") && (!body.value["id"].is_string() || body.value["id"] != id))
        return problem(errors::kRegistryInvalid, "the service id is the path's; a body 'id' must be the same");
      Service s;
      if (partial) {
        auto current = r.find_service(id);
        if (!current) throw RegistryError(RegistryError::Kind::not_found, "service " + id, "does not exist");
        s = *current;
      }
      s.id = id;
      read_service_fields(body, s, partial);
      if (body.error) return *body.error;
      r.update_service(s);
      return HttpResponse::json(200, to_json(s));
    });
  }
  change("DELETE", "/services/*", [](Registry& r, HttpRequest& req) {
    const std::string id = req.path_params["*"];
    auto grants = r.remove_service(id);
    return HttpResponse::json(200, {{"id", id}, {"removed", true}, {"grants_revoked", grants}});
  });

  read("/acl", [](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& g : r.grants()) out.push_back({{"client", g.client}, {"service", g.service}});
    return HttpResponse::json(200, out);
  });
  change("POST", "/acl", [](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto client = body.text("client");
    auto service = body.text("service");
    if (body.error) return *body.error;
    r.grant(client, service);
    return HttpResponse::json(201, {{"client", client}, {"service", service}});
  });
  // Revocation names the grant in the body, as ids contain '/'.
  change("POST", "/acl/revoke", [](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto client = body.text("client");
    auto service = body.text("service");
    if (body.error) return *body.error;
    r.revoke(client, service);
    return HttpResponse::json(200, {{"client", client}, {"service", service}, {"revoked", true}});
  });

  read("/apikeys", [](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& k : r.api_keys())
      out.push_back({{"id", k.id}, {"subsystem", k.subsystem}, {"created_at", k.created_at}, {"revoked", k.revoked}});
    return HttpResponse::json(200, out);
  });
  change("POST", "/apikeys", [](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto subsystem = body.text("subsystem");
    if (body.error) return *body.error;
    // The key is shown once, here; only its hash is kept.
    return HttpResponse::json(201, {{"subsystem", subsystem}, {"key", r.create_api_key(subsystem)}});
  });
  change("DELETE", "/apikeys/{id}", [](Registry& r, HttpRequest& req) {
    r.revoke_api_key(req.path_params["id"]);
    return HttpResponse::json(200, {{"id", req.path_params["id"]}, {"revoked", true}});
  });

  read("/nodes", [](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& [name, fp] : r.peer_nodes()) out.push_back({{"name", name}, {"fingerprint", fp}});
    return HttpResponse::json(200, out);
  });
  change("POST", "/nodes", [](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto name = body.text("name");
    auto pem = body.text("pem");
    if (body.error) return *body.error;
    return HttpResponse::json(201, {{"name", name}, {"fingerprint", r.add_peer_node(name, pem)}});
  });
  change("DELETE", "/nodes/{name}", [](Registry& r, HttpRequest& req) {
    r.remove_peer_node(req.path_params["name"]);
    return HttpResponse::json(200, {{"name", req.path_params["name"]}, {"removed", true}});
  });

  // The dead-letter queue and the message log, as `lgsp dlq` and `lgsp log verify` do them.
  read("/dlq", [&i](Registry&, HttpRequest&) {
    json out = json::array();
    for (const auto& d : list_dead_letters(*i.store())) out.push_back(d.to_json());
    return HttpResponse::json(200, out);
  });
  change("POST", "/dlq/replay", [&i](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    if (body.error) return *body.error;
    const bool all = body.boolean("all", false);
    if (body.error) return *body.error;
    std::string id = all ? "" : body.text("message_id");
    // An empty id would mean every dead message: only "all": true says that.
    if (body.error || (!all && id.empty()))
      return problem(errors::kRegistryInvalid,
                     "give message_id (and client when ambiguous) or all: true (and client for one client's)");
    std::string client = body.has("client") ? body.text("client") : "";
    if (body.error) return *body.error;
    std::size_t replayed = 0;
    try {
      replayed = replay_dead_letters(*i.store(), id, client);
    } catch (const std::invalid_argument& e) {
      return problem(errors::kRegistryNotFound, e.what());
    }
    // The replay's own log records say what was replayed; this one says who asked.
    if (replayed > 0) r.record_change();
    return HttpResponse::json(200, {{"replayed", replayed}});
  });
  read("/log/verify", [&i](Registry&, HttpRequest&) {
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
  });

  read("/certificates", [](Registry& r, HttpRequest&) {
    json out = json::array();
    for (const auto& [fp, sub] : r.certificates()) out.push_back({{"fingerprint", fp}, {"subsystem", sub}});
    return HttpResponse::json(200, out);
  });
  change("POST", "/certificates", [](Registry& r, HttpRequest& req) {
    auto body = parse_body(req);
    auto subsystem = body.text("subsystem");
    auto pem = body.text("pem");
    if (body.error) return *body.error;
    return HttpResponse::json(201, {{"subsystem", subsystem}, {"fingerprint", r.add_certificate(subsystem, pem)}});
  });
  change("DELETE", "/certificates/{fingerprint}", [](Registry& r, HttpRequest& req) {
    r.remove_certificate(req.path_params["fingerprint"]);
    return HttpResponse::json(200, {{"fingerprint", req.path_params["fingerprint"]}, {"removed", true}});
  });
}

}  // namespace lgsp::bus
