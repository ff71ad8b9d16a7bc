#include "lgsp/onestop/api.hpp"

#include "civil_registry.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/bus/receipt.hpp"
#include "lgsp/bus/request_handler.hpp"
#include "lgsp/bus/seal_verify.hpp"
#include "lgsp/bus/store.hpp"
#include "lgsp/contracts/base64.hpp"
#include "lgsp/onestop/api_json.hpp"
#include "lgsp/onestop/dossier_forms.hpp"
#include "lgsp/onestop/file_links.hpp"
#include "lgsp/onestop/result_guard.hpp"
#include "lgsp/signing/certificate.hpp"
#include "lgsp/signing/errors.hpp"
#include "lgsp/signing/pades.hpp"
#include "lgsp/signing/signer.hpp"
#include "lgsp/signing/trust.hpp"
#include "lgsp/signing/verifier.hpp"
#include "vietnamese_text.hpp"
#include "web_auth.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace lgsp::onestop {
using bus::HttpRequest;
using bus::HttpResponse;
using nlohmann::json;

std::map<std::string, std::string> parse_query(const std::string& query) {
  std::map<std::string, std::string> out;
  auto decode = [](std::string_view s) {
    std::string r;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        r += ' ';
      } else if (s[i] == '%' && i + 2 < s.size()) {
        auto hexval = [](char c) -> int {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          if (c >= 'A' && c <= 'F') return c - 'A' + 10;
          return -1;
        };
        int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
        if (hi < 0 || lo < 0) {
          r += s[i];
          continue;
        }
        r += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        r += s[i];
      }
    }
    return r;
  };
  std::size_t start = 0;
  while (start < query.size()) {
    auto amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string_view part(query.data() + start, amp - start);
    auto eq = part.find('=');
    if (!part.empty())
      out[decode(part.substr(0, eq))] = eq == std::string_view::npos ? "" : decode(part.substr(eq + 1));
    start = amp + 1;
  }
  return out;
}

namespace {

enum class Access { kPublic, kUser, kBus };
// Token sign-in challenges that may wait at once (a bounded table).
constexpr int kMaxOpenChallenges = 10000;
// The body limit of the public routes (lookup, SMS, result download): none needs more.
constexpr std::uint64_t kPublicBodyBytes = 64 * 1024;
// The largest result PDF an official may prepare for signing (kept base64 until completed).
constexpr std::size_t kMaxResultBytes = 20 * 1024 * 1024;

// `after` (an id, default 0) and `limit` (1-1000, default 100) of a listing that pages by id.
std::pair<std::int64_t, int> page_of(const std::map<std::string, std::string>& q) {
  std::int64_t after = 0;
  int limit = 100;
  try {
    if (auto it = q.find("after"); it != q.end()) after = std::stoll(it->second);
    if (auto it = q.find("limit"); it != q.end()) limit = std::clamp(std::stoi(it->second), 1, 1000);
  } catch (const std::exception&) {
    throw OnestopError(errors::kInvalid, "after and limit are numbers");
  }
  return {after, limit};
}

// A refusal with field errors names the first field (`field`: the JSON member the page shows the reason next to).
HttpResponse error_response(const OnestopError& e) {
  auto r = bus::problem(e.code(), e.what(), e.errors());
  const auto& errs = e.errors();
  if (errs.is_array() && !errs.empty() && errs[0].is_object() && errs[0].contains("path") &&
      errs[0]["path"].is_string()) {
    std::string field = errs[0]["path"].get<std::string>();
    if (!field.empty() && field[0] == '/') field.erase(0, 1);
    if (auto slash = field.find('/'); slash != std::string::npos) field.resize(slash);
    auto body = json::parse(r.body);
    body["field"] = field;
    r.body = body.dump();
  }
  return r;
}

json body_json(const HttpRequest& r) {
  if (r.body.empty()) return json::object();
  auto body = json::parse(r.body);  // not JSON: the request wrapper answers with the office's input code
  // Every body the office reads is an object: `null` or `true` must not pass as "no fields given".
  if (!body.is_object()) throw OnestopError(errors::kInvalid, "the body must be a JSON object");
  return body;
}

bool is_dossier_code_like(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' || c == '-';
  });
}

}  // namespace

struct OnestopApi::Impl {
  OneStopOffice& office;
  ResultSigner& signer;
  const OnestopConfig& config;
  std::unique_ptr<signing::TrustStore> bus_trust;
  std::set<std::string> node_certificates;  // SHA-256 (hex) of the DER of the nodes whose seals we accept
  bus::WorkerRoutes routes;
  ResultGuard guard;
  std::set<std::string> trusted_proxies;
  std::unique_ptr<signing::Verifier> verifier;       // officials' signatures on results (signing.trust_roots)
  std::vector<signing::X509Ptr> officials_ca_chain;  // signing.ca_chain
  CivilRegistry registry;                            // [registry]: extracts over the bus
  std::unique_ptr<WebAuth> web;                      // cookie sessions (docs/onestop.md, "Web sessions")

  Impl(OneStopOffice& o, ResultSigner& s, const OnestopConfig& c, std::unique_ptr<signing::TrustStore> t,
       std::string api_key)
      : office(o),
        signer(s),
        config(c),
        bus_trust(std::move(t)),
        routes(c.workers, route_errors()),
        guard(c.lookup),
        trusted_proxies(c.trusted_proxies.begin(), c.trusted_proxies.end()),
        registry(c, std::move(api_key)),
        web(std::make_unique<WebAuth>(o, c.web)) {
    if (!c.bus.node_certificates.empty()) {
      try {
        for (const auto& cert : signing::load_pem_certificates(c.bus.node_certificates)) {
          auto der = signing::certificate_to_der(cert.get());
          node_certificates.insert(
              bus::sha256_hex(std::string_view(reinterpret_cast<const char*>(der.data()), der.size())));
        }
      } catch (const std::exception& e) {
        throw bus::ConfigError("bus.node_certificates", e.what());
      }
    }
    if (!c.signing.ca_chain.empty()) {
      try {
        officials_ca_chain = signing::load_pem_certificates(c.signing.ca_chain);
      } catch (const std::exception& e) {
        throw bus::ConfigError("signing.ca_chain", e.what());
      }
    }
    if (!c.signing.trust_roots.empty()) {
      signing::TrustPolicy policy;
      try {
        policy.anchors = signing::load_pem_certificates(c.signing.trust_roots);
        if (c.signing.revocation == "crl") {
          if (c.signing.crl.empty()) throw bus::ConfigError("signing.crl", "required with signing.revocation = crl");
          policy.revocation = signing::RevocationMode::kCrl;
          policy.crls.push_back(signing::load_crl(c.signing.crl));
        } else if (c.signing.revocation == "none") {
          policy.revocation = signing::RevocationMode::kNone;
        } else if (!c.signing.ocsp_url.empty()) {
          policy.ocsp_url = c.signing.ocsp_url;
        }
        verifier =
            std::make_unique<signing::Verifier>(signing::TrustStore(std::move(policy)), signing::VerifyOptions{});
      } catch (const signing::SigningError& e) {
        throw bus::ConfigError("signing.trust_roots", e.what());
      }
    }
  }

  using Fn = std::function<HttpResponse(HttpRequest&, const Actor&)>;

  // The office's own refusals, for the one worker-pool wrapper (bus/request_handler.hpp), which answers the
  // rest: JSON of the wrong shape with the office's input code, anything unexpected with a logged 500.
  static std::optional<HttpResponse> own_error(const std::exception& error) {
    if (auto* e = dynamic_cast<const OnestopError*>(&error)) return error_response(*e);
    if (auto* e = dynamic_cast<const ProcedureError*>(&error)) return bus::problem(errors::kInvalid, e->what());
    if (auto* e = dynamic_cast<const signing::SigningError*>(&error)) {
      // What the official can fix (PIN, token not plugged in, key) is theirs; the rest is ours.
      const auto& c = e->code();
      bool theirs = &c == &signing::errors::kPinIncorrect || &c == &signing::errors::kPinLocked ||
                    &c == &signing::errors::kPinUnavailable || &c == &signing::errors::kTokenAbsent ||
                    &c == &signing::errors::kKeyUnknown || &c == &signing::errors::kKeyAmbiguous;
      return bus::problem(theirs ? errors::kToken : errors::kSigning, std::string(c.code) + ": " + e->what());
    }
    return std::nullopt;
  }
  static bus::RouteErrors route_errors() {
    bus::RouteErrors r;
    r.module = "onestop";
    r.codes.not_json = r.codes.wrong_type = r.codes.missing = &errors::kInvalid;
    r.codes.unavailable = &errors::kStoreUnavailable;  // a bus::StoreError: 503 with Retry-After
    r.own = own_error;
    return r;
  }

  // The official or citizen a bearer token names, or else the session cookie's account (a change must carry the
  // session's CSRF token); throws 401 (403 for CSRF) when none.
  Actor user_of(const HttpRequest& request) const {
    auto auth = request.header("authorization").value_or("");
    if (auth.empty() && WebAuth::cookie(request))
      return web->session_actor(request, WebAuth::changes(request.method)).first;
    std::string token = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "";
    auto a = office.authenticate(token);
    if (!a)
      throw OnestopError(errors::kUnauthenticated,
                         token.empty() ? "send Authorization: Bearer <token>" : "the token is not valid");
    return *a;
  }

  // Decided on the header, before the server reads a body: a stranger's 32 MiB upload is refused unread
  // (docs/onestop.md). The handler still authenticates (a token may be revoked in between).
  bus::HeaderCheck header_check(Access access) const {
    if (access == Access::kUser)
      return [this](const HttpRequest& header) -> std::optional<HttpResponse> {
        try {
          user_of(header);
          return std::nullopt;
        } catch (const OnestopError& e) {
          return error_response(e);
        } catch (const bus::StoreError& e) {  // the token is read from the store: gone (PostgreSQL down) is a 503
          bus::log::error("onestop.store", {{"path", header.path}, {"error", e.what()}});
          return bus::problem(errors::kStoreUnavailable, std::string("store: ") + e.what());
        }
      };
    if (access == Access::kBus)
      return [this](const HttpRequest& header) -> std::optional<HttpResponse> {
        if (!bus_trust)
          return error_response(
              OnestopError(errors::kBadSeal, "this office has no bus link configured (bus.trust_roots)"));
        for (const char* name : {"lgsp-message-id", "lgsp-client", "lgsp-service", "lgsp-signature"})
          if (header.header(name).value_or("").empty())
            return error_response(OnestopError(
                errors::kBadSeal, "LGSP-Message-Id, LGSP-Client, LGSP-Service and LGSP-Signature are required"));
        return std::nullopt;
      };
    return {};
  }

  // Runs `fn` on the worker pool with the caller authenticated as `access` asks.
  bus::Handler handler(Access access, Fn fn) {
    return routes.handler([this, access, fn = std::move(fn)](HttpRequest& req) {
      Actor actor{"anonymous", "", "", Role::kSystem, office.agency().code, ""};
      if (access == Access::kUser) actor = user_of(req);
      return fn(req, actor);
    });
  }

  // --- web sessions ---------------------------------------------------------------------------------------------
  HttpResponse session_opened(unsigned status, const std::string& username) {
    auto a = office.actor_of(username);
    if (!a) throw OnestopError(errors::kSignin, "wrong phone number, user name or password");
    auto [value, s] = web->open(username);
    auto resp = HttpResponse::json(status, web->answer(*a, s));
    resp.headers.emplace_back("Set-Cookie", web->set_cookie(value));
    resp.headers.emplace_back("Cache-Control", "no-store");
    return resp;
  }

  HttpResponse limited(const std::string& what, unsigned window_seconds) const {
    auto resp = error_response(
        OnestopError(errors::kSigninLimited, "too many " + what + " from your address; try again in " +
                                                 std::to_string((window_seconds + 59) / 60) + " minutes"));
    resp.headers.emplace_back("Retry-After", std::to_string(window_seconds));
    return resp;
  }

  static void refused(const char* event, const std::string& client, const std::string& account,
                      const bus::ErrorCode& code) {
    bus::log::warn(event, {{"remote", client.substr(0, 64)}, {"account", account.substr(0, 64)}, {"code", code.code}});
  }

  // A string member of at most `max_chars` characters (UTF-8), or a field error.
  static std::string text_field(const json& in, const char* name, std::size_t min_chars, std::size_t max_chars,
                                json& problems) {
    if (!in.contains(name) || in[name].is_null()) {
      if (min_chars > 0) problems.push_back({{"path", std::string("/") + name}, {"message", "required"}});
      return {};
    }
    if (!in[name].is_string()) {
      problems.push_back({{"path", std::string("/") + name}, {"message", "must be a string"}});
      return {};
    }
    const auto& v = in[name].get_ref<const std::string&>();
    std::size_t chars = 0;
    for (unsigned char ch : v)
      if ((ch & 0xC0) != 0x80) ++chars;
    if (chars < min_chars || chars > max_chars || v.size() > max_chars * 4)
      problems.push_back(
          {{"path", std::string("/") + name},
           {"message", min_chars > 1
                           ? "must be " + std::to_string(min_chars) + " to " + std::to_string(max_chars) + " characters"
                           : "required, at most " + std::to_string(max_chars) + " characters"}});
    return v;
  }

  HttpResponse signup(HttpRequest& r) {
    auto in = body_json(r);
    json problems = json::array();
    std::string phone_text = text_field(in, "phone", 1, 32, problems);
    auto phone = normalise_phone(phone_text);
    if (!phone_text.empty() && !phone)
      problems.push_back({{"path", "/phone"}, {"message", "a Vietnamese mobile number: 0xxxxxxxxx or +84xxxxxxxxx"}});
    std::string password = text_field(in, "password", 8, 128, problems);
    CitizenIdentity id;
    id.full_name = text_field(in, "full_name", 1, 200, problems);
    id.id_number = text_field(in, "id_number", 1, 12, problems);
    if (!id.id_number.empty() &&
        !(id.id_number.size() == 12 &&
          std::all_of(id.id_number.begin(), id.id_number.end(), [](char c) { return c >= '0' && c <= '9'; })))
      problems.push_back({{"path", "/id_number"}, {"message", "a citizen ID (CCCD) number has 12 digits"}});
    id.date_of_birth = text_field(in, "date_of_birth", 1, 10, problems);
    if (!id.date_of_birth.empty() && !parse_date(id.date_of_birth))
      problems.push_back({{"path", "/date_of_birth"}, {"message", "must be a date YYYY-MM-DD"}});
    id.email = text_field(in, "email", 0, 254, problems);
    if (!id.email.empty() &&
        (id.email.find('@') == std::string::npos || id.email.find_first_of(" \r\n<>") != std::string::npos))
      problems.push_back({{"path", "/email"}, {"message", "not an e-mail address"}});
    // What the desk asks for too, when the page has it (all optional here).
    id.gender = text_field(in, "gender", 0, 10, problems);
    if (!id.gender.empty() && id.gender != "male" && id.gender != "female")
      problems.push_back({{"path", "/gender"}, {"message", "must be \"male\" or \"female\""}});
    id.hometown = text_field(in, "hometown", 0, 300, problems);
    id.ethnicity = text_field(in, "ethnicity", 0, 50, problems);
    id.nationality = text_field(in, "nationality", 0, 50, problems);
    id.permanent_address = text_field(in, "permanent_address", 0, 300, problems);
    id.current_address = text_field(in, "current_address", 0, 300, problems);
    if (!problems.empty()) throw OnestopError(errors::kInvalid, "the sign-up form has errors", problems);
    id.phone = *phone;
    std::string client = client_address(r.remote, r.header("x-forwarded-for"), trusted_proxies);
    if (!web->signup_guard().begin(source_key(client), id.phone, office.now())) {
      refused("onestop.web.signup.limited", client, id.phone, errors::kSigninLimited);
      return limited("sign-ups", web->config().signin_window_seconds);
    }
    Actor a;
    try {
      a = office.sign_up(id, web->hash_password(password));
    } catch (const OnestopError& e) {
      refused("onestop.web.signup.refused", client, id.phone, e.code());
      throw;
    }
    bus::log::info("onestop.web.signup", {{"account", a.username}, {"customer_code", a.customer_code}});
    return session_opened(201, a.username);
  }

  HttpResponse signin(HttpRequest& r) {
    auto in = body_json(r);
    bool official = in.contains("username");
    json problems = json::array();
    std::string account = text_field(in, official ? "username" : "phone", 1, 64, problems);
    std::string password = text_field(in, "password", 1, 128, problems);
    if (!problems.empty()) throw OnestopError(errors::kInvalid, "give phone (or username) and password", problems);
    std::string client = client_address(r.remote, r.header("x-forwarded-for"), trusted_proxies);
    if (official && !config.web.official_password_sign_in) {
      refused("onestop.web.signin.refused", client, account, errors::kPasswordSigninOff);
      throw OnestopError(errors::kPasswordSigninOff,
                         "officials of this office sign in with their token (POST /session/challenge)");
    }
    if (!official) account = normalise_phone(account).value_or(account);
    auto counted = web->signin_guard().begin(source_key(client), account, office.now());
    if (!counted) return limited("sign-in attempts", web->config().signin_window_seconds);
    auto a = office.actor_of(account);
    bool right_kind = a && (official ? a->role != Role::kCitizen : a->role == Role::kCitizen);
    auto hash = right_kind ? office.password_hash(account) : std::nullopt;
    if (!web->verify_password(hash, password)) {
      refused("onestop.web.signin.refused", client, account, errors::kSignin);
      throw OnestopError(errors::kSignin, "wrong phone number, user name or password");
    }
    web->signin_guard().succeeded(*counted);
    bus::log::info("onestop.web.signin", {{"account", account}, {"method", "password"}});
    return session_opened(200, account);
  }

  // The origin token sign-in challenges bind: web.origin, else agency.public_url's scheme://host[:port].
  std::string web_origin() const {
    if (!config.web.origin.empty()) return config.web.origin;
    std::string url = office.agency().public_url;
    auto scheme = url.find("://");
    auto path = scheme == std::string::npos ? std::string::npos : url.find('/', scheme + 3);
    return path == std::string::npos ? url : url.substr(0, path);
  }

  // A challenge bound to the origin and a fresh 256-bit nonce, as Web eID makes it:
  // SHA-256(SHA-256(origin) || SHA-256(nonce)); the official's token signs it through the agent.
  HttpResponse challenge(HttpRequest&) {
    std::string origin = web_origin();
    std::string nonce = bus::random_hex(32);
    auto h_origin = bus::sha256(origin);
    auto h_nonce = bus::sha256(nonce);
    std::string both(reinterpret_cast<const char*>(h_origin.data()), h_origin.size());
    both.append(reinterpret_cast<const char*>(h_nonce.data()), h_nonce.size());
    auto digest = bus::sha256(both);
    WebChallenge c;
    c.id = bus::random_hex(16);
    c.digest_base64 =
        contracts::base64_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
    c.origin = origin;
    c.expires_at = office.now() + std::chrono::seconds(config.web.challenge_seconds);
    if (!office.add_challenge(c, kMaxOpenChallenges))
      return limited("sign-in challenges", config.web.challenge_seconds);
    return HttpResponse::json(200, {{"challenge_id", c.id},
                                    {"digest", c.digest_base64},
                                    {"title", "Đăng nhập " + origin},
                                    {"origin", origin},
                                    {"expires_at", format_local_rfc3339(c.expires_at)}});
  }

  // Whether `signature` (RSA PKCS#1 v1.5, or ECDSA as r||s or DER) is the certificate's key's over `digest`.
  static bool signature_verifies(X509* cert, const std::string& digest, std::vector<unsigned char> signature) {
    EVP_PKEY* key = X509_get0_pubkey(cert);
    if (!key || digest.size() != 32) return false;
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && !signature.empty() && signature[0] != 0x30) {
      try {
        signature = signing::ecdsa_raw_to_der(signature);
      } catch (const std::exception&) {
        return false;
      }
    }
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(key, nullptr), EVP_PKEY_CTX_free);
    bool ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
              EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1 &&
              EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(),
                              reinterpret_cast<const unsigned char*>(digest.data()), digest.size()) == 1;
    ERR_clear_error();
    return ok;
  }

  HttpResponse token_signin(HttpRequest& r) {
    auto in = body_json(r);
    const std::string id = string_member(in, "challenge_id", 64);
    auto signature = base64_member(in, "signature", 16 * 1024);
    auto cert_der = base64_member(in, "certificate", 64 * 1024);
    auto cert = certificate_member(cert_der, "certificate");
    auto chain = chain_member(in);
    std::string client = client_address(r.remote, r.header("x-forwarded-for"), trusted_proxies);
    auto counted = web->signin_guard().begin(source_key(client), "token:" + fingerprint_of(cert.get()), office.now());
    if (!counted) return limited("sign-in attempts", web->config().signin_window_seconds);
    auto refuse = [&](const OnestopError& e) {
      refused("onestop.web.token_signin.refused", client, fingerprint_of(cert.get()), e.code());
      return e;
    };
    // Used once, even when what follows fails: a challenge is never signed twice.
    auto c = office.take_challenge(id);
    if (!c || c->expires_at <= office.now())
      throw refuse(OnestopError(errors::kChallengeUnknown, "no open challenge " + id + ": ask for a new one"));
    auto digest = contracts::base64_decode(c->digest_base64);
    if (!digest || !signature_verifies(cert.get(), *digest, signature))
      throw refuse(OnestopError(errors::kSignatureInvalid,
                                "the signature is not the certificate's over this challenge for " + c->origin));
    if (!verifier)
      throw OnestopError(errors::kSigningNotConfigured, "set signing.trust_roots to the roots officials' CAs chain to");
    complete_chain(cert.get(), chain);
    auto trust = verifier->trust().check(cert.get(), chain, office.now());
    if (!trust.trusted()) throw refuse(verification_refusal(trust.failure, trust.reason));
    std::optional<UserAccount> account;
    for (const auto& u : office.list_users())
      if (bound_to(u, cert.get())) {
        account = u;
        break;
      }
    if (!account)
      throw refuse(OnestopError(errors::kCertificateNotBound,
                                "certificate " + fingerprint_of(cert.get()) + " (" +
                                    signing::describe(cert.get()).subject +
                                    ") is bound to no official's account; an operator binds it with `lgsp onestop "
                                    "user bind`"));
    web->signin_guard().succeeded(*counted);
    bus::log::info("onestop.web.signin", {{"account", account->username}, {"method", "token"}});
    return session_opened(200, account->username);
  }

  HttpResponse signout(HttpRequest& r, bool everywhere) {
    HttpResponse resp;
    resp.status = 204;
    if (WebAuth::cookie(r)) {
      try {
        auto [a, s] = web->session_actor(r, true);
        if (everywhere)
          office.end_sessions_of(a.username);
        else
          office.end_session(s.id_sha256);
        bus::log::info("onestop.web.signout", {{"account", a.username}, {"everywhere", everywhere}});
      } catch (const OnestopError& e) {
        // A session that is already gone is signed out; a change without the CSRF token is refused.
        if (&e.code() == &errors::kCsrf) throw;
      }
    } else if (everywhere) {
      throw OnestopError(errors::kUnauthenticated, "sign in first");
    }
    resp.headers.emplace_back("Set-Cookie", WebAuth::clear_cookie());
    return resp;
  }

  HttpResponse sms(HttpRequest& r) {
    // One line in, one line out, as an SMS gateway relays it: "TRACUU <code>".
    std::string text = r.body;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    std::istringstream in(text);
    std::string verb, code, extra;
    in >> verb >> code >> extra;
    std::transform(verb.begin(), verb.end(), verb.begin(), [](unsigned char c) { return std::toupper(c); });
    if (verb != "TRACUU" || code.empty() || !extra.empty())
      return HttpResponse::text(200, "Sai cu phap. Soan: TRACUU <ma ho so>\n");
    if (!is_dossier_code_like(code))
      return HttpResponse::text(200, "Ma ho so khong hop le: " + code.substr(0, 64) + "\n");
    auto found = office.lookup(code);
    if (!found) return HttpResponse::text(200, "Khong tim thay ho so " + code + "\n");
    const auto& v = *found;
    // SMS text is plain ASCII: Vietnamese without diacritics is what phones and gateways render everywhere.
    // "2026-12-02T11:30:00+07:00" -> "11:30 02/12/2026"
    std::string due = format_local_rfc3339(v.due_at);
    std::string line = "Ho so " + code + ": " + detail::ascii_fold(std::string(name_vi(v.status))) + ". Hen tra " +
                       due.substr(11, 5) + " " + due.substr(8, 2) + "/" + due.substr(5, 2) + "/" + due.substr(0, 4) +
                       ".";
    if (!v.finished_at && v.overdue) line += " Qua han.";
    if (!v.current_unit_name.empty()) line += " Dang o: " + detail::ascii_fold(v.current_unit_name) + ".";
    return HttpResponse::text(200, line + "\n");
  }

  // Result download: the dossier code plus the applicant's ID number or phone. Wrong guesses are limited per
  // source (and, on a dossier under attack, per source and dossier), never per dossier alone: the applicant's
  // right answer is refused only when their own source is limited.
  ResultFiles guarded_results(HttpRequest& r, const std::string& code) {
    auto body = body_json(r);
    if (body.contains("second_factor") && !body["second_factor"].is_string())
      throw OnestopError(errors::kInvalid, "second_factor is a string (the ID number or phone)");
    std::string factor = body.value("second_factor", "");
    TimePoint t = office.now();
    std::string client = client_address(r.remote, r.header("x-forwarded-for"), trusted_proxies);
    auto counted = guard.begin(source_key(client), code, t);
    if (!counted) {
      // Not logged: a limited source would otherwise write a log line per request. Its wrong tries were.
      throw OnestopError(errors::kTooManyAttempts, "too many wrong attempts from your address; try again in " +
                                                       std::to_string((config.lookup.window_seconds + 59) / 60) +
                                                       " minutes");
    }
    auto found = factor.empty() ? std::nullopt : office.results_for(code, factor);
    if (!found) {
      bus::log::warn("onestop.results.refused", {{"dossier", code.substr(0, 64)}, {"remote", client}});
      throw OnestopError(errors::kSecondFactor, "the dossier code and the ID number or phone do not match");
    }
    guard.succeeded(*counted);
    return *found;
  }

  HttpResponse inbox(HttpRequest& r, const std::string& kind) {
    // A delivery from our node: the node's seal over (message id, client, service, accepted time, payload
    // digest) must verify and chain to the configured roots, so no one but the bus can push into a dossier.
    if (!bus_trust) throw OnestopError(errors::kBadSeal, "this office has no bus link configured (bus.trust_roots)");
    bus::Receipt receipt;
    receipt.message_id = r.header("lgsp-message-id").value_or("");
    receipt.client = r.header("lgsp-client").value_or("");
    receipt.service = r.header("lgsp-service").value_or("");
    receipt.accepted_at = r.header("lgsp-accepted-at").value_or("");
    receipt.payload_sha256 = bus::sha256_hex(r.body);
    auto seal_text = r.header("lgsp-signature").value_or("");
    if (receipt.message_id.empty() || receipt.client.empty() || receipt.service.empty() || seal_text.empty())
      throw OnestopError(errors::kBadSeal,
                         "LGSP-Message-Id, LGSP-Client, LGSP-Service and LGSP-Signature are required");
    json seal;
    try {
      seal = json::parse(seal_text);
    } catch (const json::exception&) {
      throw OnestopError(errors::kBadSeal, "LGSP-Signature is not JSON");
    }
    auto check = bus::verify_seal(receipt.leaf(), seal, bus_trust.get());
    if (!check.valid) throw OnestopError(errors::kBadSeal, "the seal does not verify: " + check.reason);
    // Chaining to the roots is not enough: officials' certificates may come from the same PKI. Only our
    // node's own certificate may seal a delivery.
    auto der = seal.is_object() && seal.contains("cert") && seal["cert"].is_string()
                   ? contracts::base64_decode(seal["cert"].get<std::string>())
                   : std::nullopt;
    if (!der || !node_certificates.count(bus::sha256_hex(*der)))
      throw OnestopError(errors::kBadSeal,
                         "the seal is by " + check.signer + ", not by a node in bus.node_certificates");
    if (receipt.service != onestop_service(office.agency().code, kind))
      throw OnestopError(errors::kForbidden, "service " + receipt.service + " is not this office's " + kind + " inbox");
    auto outcome = to_json(office.receive(kind, receipt.message_id, receipt.client, body_json(r)));
    bus::log::info(
        "onestop.bus.received",
        {{"kind", kind}, {"message_id", receipt.message_id}, {"client", receipt.client}, {"outcome", outcome}});
    return HttpResponse::json(200, outcome);
  }

  // The official signs on their own token through `lgsp agent`: prepare, the agent signs the digest, complete
  // (docs/onestop.md, "Signing results"). The old body with a server token and a PIN is refused.
  HttpResponse sign_result(HttpRequest&, const Actor&) {
    throw OnestopError(errors::kResultTokenRemoved,
                       "a result is a PDF the official signs on their own token: POST .../results/prepare with the "
                       "PDF and the certificate from lgsp agent, sign the digest with the agent, then POST "
                       ".../results/complete with the signature");
  }

  static const std::string& string_member(const json& in, const char* name, std::size_t max_bytes) {
    if (!in.contains(name) || !in[name].is_string() || in[name].get_ref<const std::string&>().empty())
      throw OnestopError(errors::kInvalid, std::string(name) + " is a non-empty string");
    const auto& v = in[name].get_ref<const std::string&>();
    if (v.size() > max_bytes)
      throw OnestopError(errors::kInvalid, std::string(name) + " is longer than " + std::to_string(max_bytes));
    return v;
  }
  static std::vector<unsigned char> base64_member(const json& in, const char* name, std::size_t max_bytes) {
    auto bytes = contracts::base64_decode(string_member(in, name, max_bytes / 3 * 4 + 4));
    if (!bytes || bytes->empty()) throw OnestopError(errors::kInvalid, std::string(name) + " is not valid base64");
    return {bytes->begin(), bytes->end()};
  }
  static signing::X509Ptr certificate_member(std::span<const unsigned char> der, const std::string& what) {
    try {
      return signing::certificate_from_der(der);
    } catch (const std::exception&) {
      throw OnestopError(errors::kInvalid, what + " is not a DER X.509 certificate");
    }
  }

  static std::string fingerprint_of(X509* cert) {
    auto der = signing::certificate_to_der(cert);
    return bus::sha256_hex(std::string_view(reinterpret_cast<const char*>(der.data()), der.size()));
  }

  // Whether the account's signing identity (users.cpp, bind_certificate) names this certificate: its fingerprint,
  // or the CCCD number in its subject's UID=CCCD:<12 digits> (the form Vietnamese CAs issue to citizens). The one
  // rule for result signing and token sign-in.
  static bool bound_to(const UserAccount& account, X509* cert) {
    if (account.role == Role::kCitizen) return false;
    if (account.certificate_sha256 && *account.certificate_sha256 == fingerprint_of(cert)) return true;
    if (!account.cccd) return false;
    X509_NAME* subject = X509_get_subject_name(cert);
    for (int i = X509_NAME_get_index_by_NID(subject, NID_userId, -1); i >= 0;
         i = X509_NAME_get_index_by_NID(subject, NID_userId, i)) {
      unsigned char* utf8 = nullptr;
      int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));
      if (n < 0) continue;
      std::string uid(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
      OPENSSL_free(utf8);
      if (uid == "CCCD:" + *account.cccd) return true;
    }
    return false;
  }

  void check_bound(const Actor& a, X509* cert) const {
    auto account = office.user(a.username);
    if (account && bound_to(*account, cert)) return;
    throw OnestopError(errors::kCertificateNotBound,
                       "certificate " + fingerprint_of(cert) + " (" + signing::describe(cert).subject +
                           ") is bound neither by fingerprint nor by CCCD to account '" + a.username +
                           "'; an operator binds it with `lgsp onestop user bind`");
  }

  // The `chain` member (base64 DER certificates the agent sent), at most 10.
  static std::vector<signing::X509Ptr> chain_member(const json& in) {
    std::vector<signing::X509Ptr> chain;
    if (!in.contains("chain")) return chain;
    if (!in["chain"].is_array() || in["chain"].size() > 10)
      throw OnestopError(errors::kInvalid, "chain is an array of at most 10 base64 DER certificates");
    for (const auto& c : in["chain"]) {
      if (!c.is_string()) throw OnestopError(errors::kInvalid, "chain holds base64 DER certificates");
      auto der = contracts::base64_decode(c.get<std::string>().substr(0, 128 * 1024));
      if (!der) throw OnestopError(errors::kInvalid, "a chain certificate is not valid base64");
      chain.push_back(certificate_member(
          std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(der->data()), der->size()),
          "a chain certificate"));
    }
    return chain;
  }

  // The chain without the signer's own certificate, completed with signing.ca_chain (a token that holds only its
  // own certificate sends no CA).
  void complete_chain(X509* cert, std::vector<signing::X509Ptr>& chain) const {
    std::erase_if(chain, [&](const signing::X509Ptr& c) { return X509_cmp(c.get(), cert) == 0; });
    for (const auto& ca : officials_ca_chain)
      if (std::none_of(chain.begin(), chain.end(),
                       [&](const signing::X509Ptr& c) { return X509_cmp(c.get(), ca.get()) == 0; }))
        chain.push_back(signing::share(ca.get()));
  }

  // Where the signatures show on the result's first page: the official's box at the lower right, the agency
  // seal's box overlapping its left third (Decree 30/2020's layout for electronic documents).
  static constexpr signing::VisibleBox kOfficialBox{1, 330, 40, 230, 75};
  static constexpr signing::VisibleBox kSealBox{1, 255, 40, 150, 75};

  HttpResponse prepare_result(HttpRequest& r, const Actor& a) {
    if (a.role != Role::kLeader) throw OnestopError(errors::kForbidden, "results are signed by a leader");
    const std::string code = r.path_params.at("code");
    auto in = body_json(r);
    const std::string name = string_member(in, "name", 300);
    std::string doc_code = in.contains("code") ? string_member(in, "code", 32) : std::string("KQ");
    auto content = base64_member(in, "content_base64", kMaxResultBytes);
    auto cert_der = base64_member(in, "certificate", 64 * 1024);
    auto cert = certificate_member(cert_der, "certificate");
    // Checked before anything is prepared (the office's one rule for results): a digest handed out for a dossier
    // that cannot take a result would be a signature with no record.
    office.check_may_add_result(a, code);
    check_bound(a, cert.get());
    signing::Appearance look;
    look.box = kOfficialBox;
    look.signer_name = a.name;
    look.title = a.title;
    look.agency = office.agency().name;
    look.reason = "Ký kết quả giải quyết hồ sơ " + code;
    look.location = office.agency().place;
    signing::PreparedPdf prepared;
    try {
      prepared = signing::pades_prepare(content, look, cert.get(), {});
    } catch (const signing::SigningError& e) {
      throw pdf_refusal(e);
    }
    auto bytes = prepared.serialise();
    PreparedResult rec;
    rec.id = bus::random_hex(16);
    rec.dossier_code = code;
    rec.username = a.username;
    rec.name = name;
    rec.doc_code = doc_code;
    rec.certificate_sha256 =
        bus::sha256_hex(std::string_view(reinterpret_cast<const char*>(cert_der.data()), cert_der.size()));
    rec.prepared =
        contracts::base64_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    rec.created_at = office.now();
    rec.expires_at = rec.created_at + std::chrono::minutes(config.signing.prepare_minutes);
    office.add_prepared_result(rec, static_cast<int>(config.signing.max_prepared));
    bus::log::info("onestop.result.prepared", {{"dossier", code}, {"user", a.username}, {"prepared", rec.id}});
    return HttpResponse::json(
        201, {{"prepared", rec.id},
              {"digest", contracts::base64_encode(std::string_view(
                             reinterpret_cast<const char*>(prepared.digest.data()), prepared.digest.size()))},
              {"title", code + ": " + name},
              {"expires_at", format_local_rfc3339(rec.expires_at)}});
  }

  // A PDF the signing library could not take, as the office's refusal.
  static OnestopError pdf_refusal(const signing::SigningError& e) {
    const auto& c = e.code();
    if (&c == &signing::errors::kPdfNotPdf) return OnestopError(errors::kNotPdf, e.what());
    if (&c == &signing::errors::kPdfDamaged) return OnestopError(errors::kPdfDamaged, e.what());
    if (&c == &signing::errors::kPdfEncrypted) return OnestopError(errors::kPdfEncrypted, e.what());
    if (&c == &signing::errors::kMalformed || &c == &signing::errors::kAlreadySigned)
      return OnestopError(errors::kPdfDamaged, e.what());
    return OnestopError(errors::kSigning, std::string(c.code) + ": " + e.what());
  }

  // A signature verify_pdf did not accept, as the office's refusal.
  static OnestopError verification_refusal(const signing::ErrorCode* failure, const std::string& reason) {
    namespace se = signing::errors;
    if (failure == &se::kRevoked) return OnestopError(errors::kCertificateRevoked, reason);
    if (failure == &se::kExpired) return OnestopError(errors::kCertificateExpired, reason);
    if (failure == &se::kRevocationUnknown) return OnestopError(errors::kRevocationUnknown, reason);
    if (failure == &se::kUntrusted || failure == &se::kKeyUsage || failure == &se::kChainMissing ||
        failure == &se::kNoCertificate)
      return OnestopError(errors::kCertificateUntrusted, reason);
    return OnestopError(errors::kSignatureInvalid, reason);
  }

  HttpResponse complete_result(HttpRequest& r, const Actor& a) {
    if (a.role != Role::kLeader) throw OnestopError(errors::kForbidden, "results are signed by a leader");
    const std::string code = r.path_params.at("code");
    auto in = body_json(r);
    const std::string id = string_member(in, "prepared", 64);
    auto signature = base64_member(in, "signature", 16 * 1024);
    auto chain = chain_member(in);
    if (!verifier)
      throw OnestopError(errors::kSigningNotConfigured, "set signing.trust_roots to the roots officials' CAs chain to");
    auto rec = office.prepared_result(id);
    // Another user's or another dossier's prepare is answered as absent, like one that expired.
    if (!rec || rec->username != a.username || rec->dossier_code != code || rec->expires_at <= office.now())
      throw OnestopError(errors::kPreparedUnknown, "no prepared result " + id + " of yours for dossier " + code);
    auto current = office.check_may_add_result(a, code);
    auto proc = office.procedure_version(current.procedure_code, current.procedure_version);
    auto raw = contracts::base64_decode(rec->prepared);
    if (!raw) throw OnestopError(errors::kSigning, "prepared result " + id + " is damaged");
    auto prepared = signing::PreparedPdf::deserialise(
        std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(raw->data()), raw->size()));
    auto cert = certificate_member(prepared.certificate, "the prepared certificate");
    // The chain the agent sent starts with the signer's own certificate: the CMS carries the CAs.
    complete_chain(cert.get(), chain);
    std::vector<unsigned char> signed_pdf;
    try {
      signed_pdf = signing::pades_complete(prepared, signature, chain);
    } catch (const signing::SigningError& e) {
      throw verification_refusal(&e.code(), e.what());
    }
    auto report = signing::verify_pdf(signed_pdf, *verifier);
    if (!report.valid) {
      const auto& last = report.signatures.empty() ? signing::PdfSignatureReport{} : report.signatures.back();
      throw verification_refusal(last.failure ? last.failure : report.failure,
                                 last.reason.empty() ? report.reason : last.reason);
    }
    check_bound(a, cert.get());  // still bound now (an operator may have unbound it since prepare)
    DossierDocument doc;
    doc.code = rec->doc_code;
    doc.name = rec->name;
    doc.media_type = "application/pdf";
    doc.signature_format = "pades";
    doc.signer = signing::describe(cert.get()).subject;
    if (proc && proc->result_sealed) {
      signing::Appearance look;
      look.box = kSealBox;
      look.signer_name = office.agency().name;
      look.agency = office.agency().name;
      look.reason = "Đóng dấu kết quả giải quyết hồ sơ " + code;
      look.location = office.agency().place;
      auto sealed = signer.seal_pdf(signed_pdf, look);
      signed_pdf = std::move(sealed.pdf);
      doc.sealer = sealed.sealer;
    }
    // One complete wins: a second one of the same prepare finds it taken. Taken last, so that a failed check or
    // seal leaves the prepare for another try.
    if (!office.take_prepared_result(id))
      throw OnestopError(errors::kPreparedUnknown, "prepared result " + id + " was completed already");
    auto stored = office.files().put(
        std::string_view(reinterpret_cast<const char*>(signed_pdf.data()), signed_pdf.size()), "application/pdf");
    doc.sha256 = stored.sha256;
    doc.size = stored.size;
    bus::log::info("onestop.result.signed", {{"dossier", code}, {"signer", *doc.signer}, {"prepared", id}});
    return HttpResponse::json(201, to_json(office.add_result(a, code, doc)));
  }

  // A trích lục from the civil-status registry, asked for over the bus and issued as the dossier's result: the
  // registry's PAdES-signed PDF, checked (hash, size, signature, the registry's pinned seal), then sealed by the
  // agency in an incremental update so the registry's signature stays valid (docs/onestop.md, "Civil-registry
  // extracts (trích lục)"). Every refusal is recorded in the dossier's history before it is answered.
  HttpResponse civil_extract(HttpRequest& r, const Actor& a) {
    if (a.role != Role::kProcessing && a.role != Role::kLeader)
      throw OnestopError(errors::kForbidden, "extracts are asked for by a processing official or a leader");
    const std::string code = r.path_params.at("code");
    auto in = body_json(r);
    auto d = office.check_may_add_result(a, code);
    if (!registry.handles(d.procedure_code))
      throw OnestopError(errors::kNotExtractProcedure, "procedure " + d.procedure_code +
                                                           " is not in registry.procedures: its results are not "
                                                           "extracts of the civil-status registry");
    auto request = registry.request_for(d, in, format_local_rfc3339(office.now()));
    // Last: a request that could not be made anyway is answered as such, configured or not.
    if (!registry.configured())
      throw OnestopError(errors::kRegistryNotConfigured, "set registry.service and registry.seal_certificates");
    const std::string event_type = request["event_type"].is_string() ? request["event_type"].get<std::string>() : "";
    VerifiedExtract found;
    try {
      found = registry.ask(request, verifier.get());
    } catch (const ExtractFailure& e) {
      json record = e.record();
      record["code"] = e.code().code;
      try {
        office.note(a, code, "extract_refused", e.what(), record);
      } catch (const std::exception& note_error) {  // the refusal is answered even if the dossier moved meanwhile
        bus::log::warn("onestop.extract.note", {{"dossier", code}, {"error", note_error.what()}});
      }
      bus::log::warn("onestop.extract.refused", {{"dossier", code}, {"code", e.code().code}, {"detail", e.what()}});
      throw;
    }
    const std::string number = found.extract.value("extract_number", std::string());
    signing::Appearance look;  // invisible: the registry's extract carries its own signature block
    look.reason = "Cấp " + extract_title(event_type) + " số " + number + " theo hồ sơ " + code;
    look.location = office.agency().place;
    auto sealed = signer.seal_pdf(found.pdf, look);
    auto stored = office.files().put(
        std::string_view(reinterpret_cast<const char*>(sealed.pdf.data()), sealed.pdf.size()), "application/pdf");
    DossierDocument doc;
    doc.code = "TLHT";
    doc.name = extract_title(event_type) + " (bản sao) số " + number;
    doc.media_type = "application/pdf";
    doc.signature_format = "pades";
    doc.signer = found.signer;
    doc.sealer = sealed.sealer;
    doc.sha256 = stored.sha256;
    doc.size = stored.size;
    bus::log::info("onestop.extract.issued", {{"dossier", code}, {"extract", number}, {"call_id", found.call_id}});
    OneStopOffice::ResultOrigin origin{
        "extract_received", found.message,
        json{{"service", registry.service()},
             {"call_id", found.call_id},
             {"sealed_at", found.sealed_at},
             {"extract_number", number},
             {"document_sha256",
              bus::sha256_hex(std::string_view(reinterpret_cast<const char*>(found.pdf.data()), found.pdf.size()))},
             {"signer", found.signer}}};
    // One unit: the extract's receipt and the result it became are recorded together or not at all.
    return HttpResponse::json(201, to_json(office.add_result(a, code, doc, origin)));
  }

  RenderOptions render_options() const {
    RenderOptions o;
    if (!config.font_dir.empty()) {
      o.regular_font = config.font_dir / "DejaVuSans.ttf";
      o.bold_font = config.font_dir / "DejaVuSans-Bold.ttf";
      o.italic_font = config.font_dir / "DejaVuSans-Oblique.ttf";
    }
    return o;
  }

  static HttpResponse pdf(std::vector<unsigned char> bytes, const std::string& name) {
    HttpResponse r;
    r.status = 200;
    r.content_type = "application/pdf";
    r.headers.push_back({"Content-Disposition", "inline; filename=\"" + name + "\""});
    r.body.assign(bytes.begin(), bytes.end());
    return r;
  }

  std::vector<unsigned char> form_pdf(const Actor& a, const std::string& code, const std::string& form) {
    office.dossier(a, code);  // the caller may see it (a citizen: only their own)
    try {
      return dossier_form(to_json(office.form_data(code), office.agency()), form, office.now(), render_options());
    } catch (const FormError& e) {
      throw OnestopError(errors::kConflict, e.what());
    }
  }

  // Issues a form for the record: the PDF is kept with the dossier and, for 01-05, sealed with the agency seal.
  HttpResponse seal_form(HttpRequest& r, const Actor& a) {
    const std::string code = r.path_params.at("code"), form = r.path_params.at("form");
    if (a.role != Role::kReceiving && a.role != Role::kLeader)
      throw OnestopError(errors::kForbidden, "forms are issued by the receiving desk or a leader");
    auto bytes = form_pdf(a, code, form);
    office.check_may_act(a, code);  // before the seal is made
    DossierDocument doc;
    if (form_can_be_sealed(form)) {
      // Sealed in the PDF itself (PAdES, an invisible signature: the form has its own signature block).
      signing::Appearance look;
      look.reason = "Đóng dấu mẫu " + form + " của hồ sơ " + code;
      look.location = office.agency().place;
      auto sealed = signer.seal_pdf(bytes, look);
      bytes = std::move(sealed.pdf);
      doc.sealer = sealed.sealer;
      doc.signature_format = "pades";
    }
    auto stored = office.files().put(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                                     "application/pdf");
    doc.code = "MAU" + form;
    doc.name = "Mẫu " + form;
    doc.sha256 = stored.sha256;
    doc.media_type = "application/pdf";
    doc.size = stored.size;
    office.add_form(a, code, doc);
    // What was issued: the document's own fields (not the record's sequence, kind or time).
    json issued = {{"code", doc.code},
                   {"name", doc.name},
                   {"sha256", doc.sha256},
                   {"media_type", doc.media_type},
                   {"size", doc.size}};
    if (doc.sealer) {
      issued["sealer"] = *doc.sealer;
      issued["signature_format"] = *doc.signature_format;
    }
    return HttpResponse::json(201, issued);
  }

  HttpResponse file_bytes(const std::string& sha) {
    auto bytes = office.files().get(sha);
    if (!bytes) throw OnestopError(errors::kNotFound, "no file " + sha);
    HttpResponse resp;
    resp.status = 200;
    resp.content_type = "application/octet-stream";
    resp.body = std::move(*bytes);
    return resp;
  }
};

OnestopApi::OnestopApi(OneStopOffice& office, ResultSigner& signer, const OnestopConfig& config,
                       std::unique_ptr<signing::TrustStore> bus_trust, std::string bus_api_key)
    : impl_(std::make_unique<Impl>(office, signer, config, std::move(bus_trust), std::move(bus_api_key))) {}

OnestopApi::~OnestopApi() { stop(); }

void OnestopApi::stop() {
  if (impl_) impl_->routes.join();
}

void OnestopApi::add_routes(bus::Router& router) {
  Impl& m = *impl_;
  auto& office = m.office;
  const std::string v1 = "/onestop/v1";
  auto add = [&](const char* method, const std::string& path, Access access, Impl::Fn fn) {
    router.add(method, v1 + path, m.handler(access, std::move(fn)), m.header_check(access));
    // Anyone may call a public route: its small JSON or SMS body is all it may send.
    if (access == Access::kPublic) router.limit_body(method, v1 + path, kPublicBodyBytes);
  };
  // The unit a report, register or outbox covers: the account's own, or (province scope) the `unit` asked for,
  // empty for all. Another unit asked for without that scope is answered as absent.
  auto unit_in_scope = [](const Actor& a, std::map<std::string, std::string>& q) -> std::string {
    std::string asked = q.count("unit") ? q["unit"] : "";
    if (a.scope == Scope::kProvince) return asked;
    if (!asked.empty() && asked != a.unit) throw OnestopError(errors::kNotFound, "no unit " + asked + " in your scope");
    return a.unit;
  };
  auto staff = [](const Actor& a) {
    if (a.role == Role::kCitizen || a.role == Role::kAdmin)
      throw OnestopError(errors::kForbidden, "only officials may do this");
  };

  // --- public ------------------------------------------------------------------------------------------------
  add("GET", "/lookup/{code}", Access::kPublic, [&](HttpRequest& r, const Actor&) {
    auto found = office.lookup(r.path_params.at("code"));
    if (!found) throw OnestopError(errors::kNotFound, "no dossier " + r.path_params.at("code"));
    return HttpResponse::json(200, to_json(*found));
  });
  add("POST", "/sms", Access::kPublic, [&](HttpRequest& r, const Actor&) { return m.sms(r); });
  add("POST", "/results/{code}", Access::kPublic, [&](HttpRequest& r, const Actor&) {
    return HttpResponse::json(200, to_json(m.guarded_results(r, r.path_params.at("code"))));
  });
  add("POST", "/results/{code}/{sha256}", Access::kPublic, [&](HttpRequest& r, const Actor&) {
    auto found = m.guarded_results(r, r.path_params.at("code"));
    const std::string& sha = r.path_params.at("sha256");
    for (const auto& d : found.results) {
      if (d.sha256 == sha) {
        auto resp = m.file_bytes(sha);
        resp.content_type = d.media_type;
        return resp;
      }
      if (d.signature_sha256 == sha || d.seal_sha256 == sha) {
        auto resp = m.file_bytes(sha);
        resp.content_type = "application/pkcs7-signature";
        return resp;
      }
    }
    throw OnestopError(errors::kNotFound, "no result document " + sha + " in dossier " + r.path_params.at("code"));
  });
  // A signed, expiring link from a portal record or an inter-agency submission (file_links.hpp).
  add("GET", "/public/files/{sha256}", Access::kPublic, [&](HttpRequest& r, const Actor&) {
    const std::string& sha = r.path_params.at("sha256");
    const auto& links = office.agency().file_links;
    if (!links) throw OnestopError(errors::kLinkNotShared, "this office issues no file links");
    auto q = parse_query(r.query);
    switch (links->check(sha, q["expires"], q["sig"], office.now())) {
      case FileLinks::Check::kMalformed:
        throw OnestopError(errors::kLinkMalformed, "give the file's sha256, expires (unix seconds) and sig (hex)");
      case FileLinks::Check::kBadSignature:
        throw OnestopError(errors::kLinkSignature, "the signature does not match this file and expiry");
      case FileLinks::Check::kExpired:
        throw OnestopError(errors::kLinkExpired, "the link expired; the portal record's next update carries a new one");
      case FileLinks::Check::kValid:
        break;
    }
    auto media_type = office.portal_file(sha);
    if (!media_type) throw OnestopError(errors::kLinkNotShared, "file " + sha + " is in no record for the portal");
    auto resp = m.file_bytes(sha);
    resp.content_type = *media_type;
    return resp;
  });
  add("GET", "/procedures", Access::kPublic, [&](HttpRequest& r, const Actor&) {
    // q: words found in the name, code or field, with or without Vietnamese marks ("dang ky" finds "Đăng ký");
    // field: the field's code or name; level: the online level (none, partial, full).
    auto q = parse_query(r.query);
    auto fold = [](const std::string& text) {
      std::string f = detail::ascii_fold(text.substr(0, 1000));
      std::transform(f.begin(), f.end(), f.begin(), [](unsigned char c) { return std::tolower(c); });
      return f;
    };
    std::vector<std::string> words;
    {
      std::istringstream in(fold(q["q"]));
      for (std::string w; in >> w && words.size() < 10;) words.push_back(w);
    }
    std::string field = fold(q["field"]), level = q["level"];
    json out = json::array();
    for (const auto& p : office.procedures()) {
      auto j = to_json(p);
      if (!level.empty() && j.value("online_level", "") != level) continue;
      if (!field.empty() && fold(p.field_code) != field && fold(p.field_name) != field) continue;
      std::string hay = fold(p.name) + " " + fold(p.code) + " " + fold(p.field_code) + " " + fold(p.field_name);
      if (!std::all_of(words.begin(), words.end(),
                       [&](const std::string& w) { return hay.find(w) != std::string::npos; }))
        continue;
      out.push_back(std::move(j));
    }
    return HttpResponse::json(200, {{"procedures", out}});
  });
  add("GET", "/procedures/{code}", Access::kPublic, [&](HttpRequest& r, const Actor&) {
    auto p = office.procedure(r.path_params.at("code"));
    if (!p) throw OnestopError(errors::kNotFound, "no procedure " + r.path_params.at("code"));
    return HttpResponse::json(200, to_json(*p));
  });
  // Every version of a procedure, newest first: the catalogue is public, and so is how its rules changed.
  add("GET", "/procedures/{code}/versions", Access::kPublic, [&](HttpRequest& r, const Actor&) {
    const auto& code = r.path_params.at("code");
    auto versions = office.procedure_versions(code);
    if (versions.empty()) throw OnestopError(errors::kNotFound, "no procedure " + code.substr(0, 64));
    json out = json::array();
    for (const auto& v : versions)
      out.push_back({{"version", v.procedure.version},
                     {"effective_from", format_date(v.procedure.effective_from)},
                     {"name", v.procedure.name},
                     {"processing_days", v.procedure.processing_days},
                     {"steps", v.procedure.steps.size()},
                     {"imported_at", format_local_rfc3339(v.imported_at)}});
    return HttpResponse::json(200, {{"code", code}, {"versions", out}});
  });
  // The working calendar due times are computed on (holidays, days off, make-up days, office hours): public law.
  add("GET", "/calendar", Access::kPublic,
      [&](HttpRequest&, const Actor&) { return HttpResponse::json(200, office.calendar().to_json()); });

  // --- web sessions (docs/onestop.md, "Web sessions") -------------------------------------------------------------
  add("POST", "/session/signup", Access::kPublic, [&](HttpRequest& r, const Actor&) { return m.signup(r); });
  add("POST", "/session/signin", Access::kPublic, [&](HttpRequest& r, const Actor&) { return m.signin(r); });
  add("POST", "/session/challenge", Access::kPublic, [&](HttpRequest& r, const Actor&) { return m.challenge(r); });
  add("POST", "/session/token-signin", Access::kPublic,
      [&](HttpRequest& r, const Actor&) { return m.token_signin(r); });
  add("GET", "/session", Access::kPublic, [&](HttpRequest& r, const Actor&) {
    auto [a, s] = m.web->session_actor(r, false);
    return HttpResponse::json(200, m.web->answer(a, s));
  });
  add("POST", "/session/signout", Access::kPublic, [&](HttpRequest& r, const Actor&) { return m.signout(r, false); });
  add("POST", "/session/signout-all", Access::kPublic,
      [&](HttpRequest& r, const Actor&) { return m.signout(r, true); });

  // --- the bus inbox -------------------------------------------------------------------------------------------
  for (const char* kind : {"submission", "status", "result"})
    add("POST", std::string("/bus/") + kind, Access::kBus,
        [&m, kind = std::string(kind)](HttpRequest& r, const Actor&) { return m.inbox(r, kind); });

  // --- signed-in users -----------------------------------------------------------------------------------------
  add("GET", "/me", Access::kUser, [](HttpRequest&, const Actor& a) { return HttpResponse::json(200, me_json(a)); });
  add("POST", "/users", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    if (a.role != Role::kAdmin) throw OnestopError(errors::kForbidden, "users are managed by an admin");
    auto in = body_json(r);
    Role role;
    try {
      role = role_from_string(in.value("role", ""));
    } catch (const std::invalid_argument& e) {
      throw OnestopError(errors::kInvalid, e.what());
    }
    Scope scope;
    try {
      scope = scope_from_string(in.value("scope", "unit"));
    } catch (const std::invalid_argument& e) {
      throw OnestopError(errors::kInvalid, e.what());
    }
    // An admin manages their own unit's accounts; only an admin with the province scope grants it or makes
    // accounts for other units.
    std::string unit = in.value("unit", a.unit);
    if (a.scope != Scope::kProvince && (unit != a.unit || scope != Scope::kUnit))
      throw OnestopError(errors::kForbidden,
                         "an admin of unit " + a.unit + " makes unit-scoped accounts of that unit only");
    auto token = office.add_user(in.value("username", ""), role, unit, in.value("name", ""), in.value("title", ""),
                                 in.value("customer_code", ""), scope);
    return HttpResponse::json(201, {{"username", in.value("username", "")}, {"token", token}});
  });
  // Officials' accounts in the admin's scope (every unit's with the province scope); citizens' accounts are theirs
  // alone and are not listed.
  add("GET", "/users", Access::kUser, [&](HttpRequest&, const Actor& a) {
    if (a.role != Role::kAdmin) throw OnestopError(errors::kForbidden, "users are managed by an admin");
    json out = json::array();
    for (const auto& u : office.list_users())
      if (u.role != Role::kCitizen && (a.scope == Scope::kProvince || u.unit == a.unit)) out.push_back(to_json(u));
    return HttpResponse::json(200, {{"users", out}});
  });
  // Binds an official's signing identity (users.cpp, bind_certificate): `certificate` (base64 DER; "" clears)
  // and/or `cccd` (12 digits; "" clears); what is not given is kept. The same as `lgsp onestop user bind`.
  add("POST", "/users/{username}/bind", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    if (a.role != Role::kAdmin) throw OnestopError(errors::kForbidden, "signing identities are bound by an admin");
    const auto& username = r.path_params.at("username");
    auto account = office.user(username);
    // Another unit's account is answered as absent, as any other thing out of scope.
    if (!account || account->role == Role::kCitizen || (a.scope != Scope::kProvince && account->unit != a.unit))
      throw OnestopError(errors::kNotFound, "no official '" + username.substr(0, 64) + "' in your scope");
    auto in = body_json(r);
    std::optional<std::string> fingerprint, cccd;
    if (in.contains("certificate")) {
      if (in["certificate"].is_string() && in["certificate"].get_ref<const std::string&>().empty()) {
        fingerprint = "";
      } else {
        auto der = Impl::base64_member(in, "certificate", 64 * 1024);
        fingerprint = Impl::fingerprint_of(Impl::certificate_member(der, "certificate").get());
      }
    }
    if (in.contains("cccd")) {
      if (!in["cccd"].is_string())
        throw OnestopError(errors::kInvalid, "cccd is 12 digits, or \"\" to clear",
                           json::array({{{"path", "/cccd"}, {"message", "must be a string of 12 digits"}}}));
      cccd = in["cccd"].get<std::string>();
    }
    if (!fingerprint && !cccd) throw OnestopError(errors::kInvalid, "give certificate (base64 DER) and/or cccd");
    office.bind_certificate(username, fingerprint, cccd);
    bus::log::info("onestop.admin.bind", {{"admin", a.username},
                                          {"account", username},
                                          {"certificate", fingerprint ? json(*fingerprint) : json()},
                                          {"cccd_given", cccd.has_value()}});
    return HttpResponse::json(200, to_json(*office.user(username)));
  });
  add("POST", "/procedures", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    if (a.role != Role::kAdmin) throw OnestopError(errors::kForbidden, "the catalogue is managed by an admin");
    return HttpResponse::json(200, to_json(office.import_procedures(catalogue_from_json(body_json(r)))));
  });
  add("POST", "/files", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    auto f = office.upload(a, r.body, r.header("content-type").value_or(""));
    return HttpResponse::json(201, {{"sha256", f.sha256}, {"media_type", f.media_type}, {"size", f.size}});
  });
  add("GET", "/files/{sha256}", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    staff(a);
    // Another unit's file is answered as absent, like a hash nobody uploaded.
    if (!office.may_read_file(a, r.path_params.at("sha256")))
      throw OnestopError(errors::kNotFound, "no file " + r.path_params.at("sha256"));
    return m.file_bytes(r.path_params.at("sha256"));
  });
  add("POST", "/profiles", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    return HttpResponse::json(201, to_json(office.create_profile(a, citizen_identity_from_json(body_json(r)))));
  });
  // Found by ID number at the counter (officials): GET /profiles?id_number=NNNNNNNNNNNN.
  add("GET", "/profiles", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    auto q = parse_query(r.query);
    return HttpResponse::json(200, to_json(office.profile_of_id_number(a, q.count("id_number") ? q["id_number"] : "")));
  });
  add("GET", "/profiles/{customer_code}", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    return HttpResponse::json(200, to_json(office.profile(a, r.path_params.at("customer_code"))));
  });
  add("POST", "/profiles/{customer_code}/renew", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    return HttpResponse::json(200, to_json(office.renew_profile(a, r.path_params.at("customer_code"))));
  });
  add("POST", "/profiles/{customer_code}/documents", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    return HttpResponse::json(200, to_json(office.add_profile_document(a, r.path_params.at("customer_code"),
                                                                       profile_document_from_json(body_json(r)))));
  });
  add("POST", "/dossiers", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    auto in = body_json(r);
    auto request = filing_request_from_json(in);
    // A double submit files one dossier: the Idempotency-Key header (or client_request_id) names the request.
    std::string id = r.header("idempotency-key").value_or("");
    if (id.empty() && in.contains("client_request_id")) {
      if (!in["client_request_id"].is_string())
        throw OnestopError(errors::kInvalid, "client_request_id is a string",
                           json::array({{{"path", "/client_request_id"}, {"message", "must be a string"}}}));
      id = in["client_request_id"].get<std::string>();
    }
    if (id.size() > 128 || !std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
      throw OnestopError(errors::kInvalid, "Idempotency-Key is 1 to 128 printable ASCII characters");
    request.request_id = id;
    return HttpResponse::json(201, to_json(office.file_dossier(a, request)));
  });
  add("GET", "/dossiers", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    DossierFilter filter;
    auto q = parse_query(r.query);
    if (q.count("status")) {
      try {
        filter.status = std::stoi(q["status"]);
      } catch (const std::exception&) {
        throw OnestopError(errors::kInvalid, "status is a number 1..10");
      }
    }
    if (q.count("unit")) filter.unit = q["unit"];
    if (q.count("customer_code")) filter.customer_code = q["customer_code"];
    // The work queues' filters (GET /queues gives each queue's query): flags are "1" or absent.
    auto flag = [&](const char* name) {
      if (!q.count(name)) return false;
      if (q[name] != "1") throw OnestopError(errors::kInvalid, std::string(name) + " is 1 or absent");
      return true;
    };
    if (flag("overdue")) filter.overdue_at = office.now();
    if (flag("away")) filter.away_from = office.agency().code;
    if (q.count("step_role")) {
      const auto& role = q["step_role"];
      if (role != "receiving" && role != "processing" && role != "leader")
        throw OnestopError(errors::kInvalid, "step_role is receiving, processing or leader");
      filter.step_role = role;
    }
    return HttpResponse::json(200, {{"dossiers", to_json_array(office.list_dossiers(a, filter))}});
  });
  add("GET", "/dossiers/{code}", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    if (a.role == Role::kAdmin) throw OnestopError(errors::kForbidden, "dossiers are for officials and applicants");
    return HttpResponse::json(200, to_json(office.dossier(a, r.path_params.at("code"))));
  });
  add("POST", "/dossiers/{code}/actions/{action}", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    return HttpResponse::json(200, to_json(office.act(a, r.path_params.at("code"), r.path_params.at("action"),
                                                      action_input_from_json(body_json(r)))));
  });
  add("POST", "/dossiers/{code}/supplement", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    auto in = body_json(r);
    // The same shape as supplement_received's documents.
    auto parsed = action_input_from_json(json{{"documents", in.contains("documents") ? in["documents"] : json()}});
    if (parsed.documents_problem)
      throw OnestopError(errors::kInvalid, *parsed.documents_problem,
                         json::array({{{"path", "/documents"}, {"message", *parsed.documents_problem}}}));
    std::string note = in.contains("note") && in["note"].is_string() ? in["note"].get<std::string>() : "";
    return HttpResponse::json(200,
                              to_json(office.submit_supplement(a, r.path_params.at("code"), parsed.documents, note)));
  });
  add("GET", "/queues", Access::kUser,
      [&](HttpRequest&, const Actor& a) { return HttpResponse::json(200, office.queues(a)); });
  add("GET", "/notifications", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    if (a.role == Role::kCitizen) throw OnestopError(errors::kForbidden, "the notification outbox is for operators");
    auto q = parse_query(r.query);
    if (q["dossier"].empty()) throw OnestopError(errors::kInvalid, "give dossier=<code>");
    json rows = json::array();
    for (const auto& n : office.notifications(a, q["dossier"])) {
      // The address is masked: operators see that it went, not to whom in full.
      std::string to = n.recipient;
      if (n.channel == "sms" && to.size() > 4)
        to = std::string(to.size() - 3, '*') + to.substr(to.size() - 3);
      else if (auto at = to.find('@'); at != std::string::npos)
        to = to.substr(0, std::min<std::size_t>(at, 1)) + "***" + to.substr(at);
      rows.push_back({{"id", n.id},
                      {"channel", n.channel},
                      {"to", to},
                      {"kind", n.kind},
                      {"status", n.status},
                      {"attempts", n.attempts},
                      {"last_error", n.last_error ? json(*n.last_error) : json()},
                      {"created_at", format_local_rfc3339(n.created_at)},
                      {"sent_at", n.sent_at ? json(format_local_rfc3339(*n.sent_at)) : json()}});
    }
    return HttpResponse::json(200, {{"notifications", rows}});
  });
  add("POST", "/dossiers/{code}/handover", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    return HttpResponse::json(
        200, to_json(office.hand_over(a, r.path_params.at("code"), hand_over_input_from_json(body_json(r)))));
  });
  add("POST", "/dossiers/{code}/extend", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    return HttpResponse::json(
        200, to_json(office.extend(a, r.path_params.at("code"), extension_request_from_json(body_json(r)))));
  });
  add("POST", "/dossiers/{code}/results", Access::kUser,
      [&](HttpRequest& r, const Actor& a) { return m.sign_result(r, a); });
  add("POST", "/dossiers/{code}/results/prepare", Access::kUser,
      [&](HttpRequest& r, const Actor& a) { return m.prepare_result(r, a); });
  add("POST", "/dossiers/{code}/results/complete", Access::kUser,
      [&](HttpRequest& r, const Actor& a) { return m.complete_result(r, a); });
  add("POST", "/dossiers/{code}/extract", Access::kUser,
      [&](HttpRequest& r, const Actor& a) { return m.civil_extract(r, a); });
  add("GET", "/dossiers/{code}/forms/{form}", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    if (a.role == Role::kAdmin) throw OnestopError(errors::kForbidden, "forms are for officials and applicants");
    const std::string& form = r.path_params.at("form");
    return Impl::pdf(m.form_pdf(a, r.path_params.at("code"), form),
                     "mau-" + form + "-" + r.path_params.at("code") + ".pdf");
  });
  add("POST", "/dossiers/{code}/forms/{form}/seal", Access::kUser,
      [&](HttpRequest& r, const Actor& a) { return m.seal_form(r, a); });
  add("GET", "/register", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    staff(a);
    auto q = parse_query(r.query);
    auto from = parse_date(q["from"]), to = parse_date(q["to"]);
    if (!from || !to) throw OnestopError(errors::kInvalid, "from and to are dates YYYY-MM-DD (to included)");
    auto rows =
        office.register_rows(at_local(*from, std::chrono::minutes(0)),
                             at_local(Date{std::chrono::sys_days(*to) + std::chrono::days(1)}, std::chrono::minutes(0)),
                             unit_in_scope(a, q));
    try {
      return Impl::pdf(
          register_form(office.agency(), *from, *to, to_json_array(rows), office.now(), m.render_options()),
          "so-theo-doi-ho-so-" + q["from"] + "-" + q["to"] + ".pdf");
    } catch (const FormError& e) {
      throw OnestopError(errors::kInvalid, e.what());
    }
  });
  add("GET", "/report", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    if (a.role != Role::kLeader && a.role != Role::kAdmin)
      throw OnestopError(errors::kForbidden, "reports are for leaders and admins");
    auto q = parse_query(r.query);
    auto from = parse_date_or_time(q["from"]), to = parse_date_or_time(q["to"]);
    if (!from || !to) throw OnestopError(errors::kInvalid, "from and to are dates YYYY-MM-DD or RFC 3339 times");
    return HttpResponse::json(200, to_json(office.report(*from, *to, unit_in_scope(a, q))));
  });
  add("GET", "/bus-outbox", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    if (a.role != Role::kAdmin) throw OnestopError(errors::kForbidden, "the bus outbox is read by an admin");
    auto q = parse_query(r.query);
    auto [after, limit] = page_of(q);
    return HttpResponse::json(
        200, {{"messages", to_json_array(office.bus_outbox(q["pending"] == "1" || q["pending"] == "true", after, limit,
                                                           unit_in_scope(a, q)))}});
  });
  add("GET", "/outbox", Access::kUser, [&](HttpRequest& r, const Actor& a) {
    if (a.role != Role::kAdmin) throw OnestopError(errors::kForbidden, "the portal outbox is read by an admin");
    auto q = parse_query(r.query);
    auto [after, limit] = page_of(q);
    return HttpResponse::json(200,
                              {{"records", to_json_array(office.portal_outbox(after, limit, unit_in_scope(a, q)))}});
  });
}

}  // namespace lgsp::onestop
