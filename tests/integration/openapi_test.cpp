// docs/openapi.json against the node: every route the node serves is in it (and nothing else), every error code
// the public routes can answer is in it with its status and titles, and `lgsp serve` serves exactly its bytes at
// GET /v1/openapi.json, without credentials. docs/openapi-admin.json against the admin router likewise.
#include "http_client.hpp"
#include "lgsp/bus/config.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/node.hpp"
#include "lgsp/bus/node_services.hpp"
#include "process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using lgsp::test::HttpClient;
using nlohmann::json;

namespace {

const fs::path kSource = LGSP_SOURCE_DIR;

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

json load(const std::string& name) { return json::parse(slurp(kSource / "docs" / name)); }

// A local "#/a/b" reference followed (one level is all the documents use per step; followed until not a $ref).
const json& resolve(const json& doc, const json& node) {
  const json* at = &node;
  while (at->is_object() && at->contains("$ref")) {
    const std::string ref = (*at)["$ref"];
    if (ref.rfind("#/", 0) != 0) throw std::runtime_error("not a local reference: " + ref);
    at = &doc.at(json::json_pointer(ref.substr(1)));
  }
  return *at;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream in(path.substr(1));
  for (std::string s; std::getline(in, s, '/');) out.push_back(s);
  return out;
}

bool is_template(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// The documented paths a router pattern stands for: itself when it has no "*"; for a final "*", every documented
// path that is the pattern's prefix followed by one or more template segments (the OpenAPI spelling of a sub-path).
std::vector<std::string> documented_forms(const json& doc, const std::string& pattern) {
  std::vector<std::string> out;
  if (pattern.empty() || pattern.back() != '*') {
    if (doc["paths"].contains(pattern)) out.push_back(pattern);
    return out;
  }
  const std::string prefix = pattern.substr(0, pattern.size() - 1);
  for (const auto& [path, _] : doc["paths"].items()) {
    if (path.rfind(prefix, 0) != 0) continue;
    bool all_templates = true;
    for (const auto& s : segments("/" + path.substr(prefix.size()))) all_templates = all_templates && is_template(s);
    if (all_templates) out.push_back(path);
  }
  return out;
}

// The path parameter that stands for a "*" sub-path says so (it may hold '/').
bool has_rest_of_path_parameter(const json& doc, const json& operation, const std::string& path) {
  const auto last = segments(path).back();
  for (const auto& p : operation.value("parameters", json::array())) {
    const auto& param = resolve(doc, p);
    if (param["in"] == "path" && "{" + param["name"].get<std::string>() + "}" == last)
      return param.value("x-lgsp-rest-of-path", false);
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> public_routes() {
  lgsp::bus::Config config;
  config.store.data_dir = fs::temp_directory_path() / ("lgsp-openapi-unused-" + std::to_string(::getpid()));
  config.signing.enabled = false;  // routes only: nothing is started, nothing sealed
  lgsp::bus::Node node(config);
  lgsp::bus::NodeServices services(node);  // adds /v1/messages and /v1/call; not started
  return node.router().routes();
}

std::vector<std::pair<std::string, std::string>> admin_routes() {
  lgsp::bus::Config config;
  config.store.data_dir = fs::temp_directory_path() / ("lgsp-openapi-unused-" + std::to_string(::getpid()));
  config.signing.enabled = false;  // routes only: nothing is started, nothing sealed
  lgsp::bus::Node node(config);
  return node.admin_router().routes();
}

// Both ways: each (method, pattern) the router has is documented, and each documented operation is a route.
void expect_routes_match_document(const std::vector<std::pair<std::string, std::string>>& routes, const json& doc) {
  ASSERT_FALSE(routes.empty());
  std::set<std::pair<std::string, std::string>> covered;  // (path, method) of the document reached by a route
  for (const auto& [method, pattern] : routes) {
    SCOPED_TRACE(method + " " + pattern);
    const auto forms = documented_forms(doc, pattern);
    ASSERT_FALSE(forms.empty()) << "the route is not in the document";
    bool sub_path = false;
    for (const auto& path : forms) {
      const auto& item = doc["paths"][path];
      ASSERT_TRUE(item.contains(lower(method))) << path << " does not document " << method;
      covered.insert({path, lower(method)});
      if (pattern.back() == '*') sub_path = sub_path || has_rest_of_path_parameter(doc, item[lower(method)], path);
    }
    if (pattern.back() == '*') {
      EXPECT_TRUE(sub_path) << "no documented form ends in a parameter with x-lgsp-rest-of-path: true";
    }
  }
  const std::set<std::string> methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, _] : item.items())
      if (methods.count(method)) {
        EXPECT_TRUE(covered.count({path, method}))
            << method << " " << path << " is documented but the node has no such route";
      }
}

// The error catalogue as the sources define it: code -> (status, English title, Vietnamese title). Codes live in
// errors.hpp and, for those with one user, beside it (stages/stage.hpp, exchange_impl.hpp, provider_path.hpp).
struct Catalogued {
  std::string name;  // the C++ constant, kUnknownRoute
  unsigned status = 0;
  std::string title_en, title_vi;
};

std::vector<fs::path> bus_sources() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(kSource / "bus"))
    if (e.is_regular_file() && (e.path().extension() == ".hpp" || e.path().extension() == ".cpp"))
      out.push_back(e.path());
  return out;
}

std::map<std::string, Catalogued> catalogue() {
  static const std::regex definition(
      R"re(constexpr\s+ErrorCode\s+(k\w+)\s*\{\s*"(LGSP-[0-9]{3}-[A-Z-]+)"\s*,\s*([0-9]{3})\s*,\s*"((?:[^"\\]|\\.)*)"\s*,\s*"((?:[^"\\]|\\.)*)"\s*\})re");
  std::map<std::string, Catalogued> out;
  for (const auto& file : bus_sources()) {
    const std::string text = slurp(file);
    for (std::sregex_iterator it(text.begin(), text.end(), definition), end; it != end; ++it)
      out[(*it)[2]] = {(*it)[1], static_cast<unsigned>(std::stoul((*it)[3])), (*it)[4], (*it)[5]};
  }
  return out;
}

// The codes a source file answers with: the catalogue constants it names.
std::set<std::string> codes_used_in(const std::vector<std::string>& files,
                                    const std::map<std::string, Catalogued>& cat) {
  std::map<std::string, std::string> by_name;
  for (const auto& [code, c] : cat) by_name[c.name] = code;
  static const std::regex name(R"(\b(k[A-Z]\w*)\b)");
  std::set<std::string> out;
  for (const auto& f : files) {
    std::string text = slurp(kSource / f);
    // Definitions are not uses.
    static const std::regex definition(R"(constexpr\s+ErrorCode\s+k\w+)");
    text = std::regex_replace(text, definition, "");
    for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it)
      if (auto c = by_name.find((*it)[1]); c != by_name.end()) out.insert(c->second);
  }
  return out;
}

// The problem codes an operation documents, by HTTP status.
std::map<std::string, std::set<std::string>> documented_codes(const json& doc, const json& operation) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [status, r] : operation["responses"].items()) {
    const auto& response = resolve(doc, r);
    if (!response.contains("content") || !response["content"].contains("application/problem+json")) continue;
    const auto& schema = response["content"]["application/problem+json"]["schema"];
    // The proxy's 5xx answers are oneOf [the node's problem, a provider's own (ProviderProblem)]: the node's
    // alternative lists the node's codes.
    const json alternatives = schema.contains("oneOf") ? schema["oneOf"] : json::array({schema});
    // allOf: [the Problem schema (every code), the narrowing to this answer's codes]: the narrowing is what counts.
    for (const auto& alternative : alternatives)
      for (const auto& s : alternative.value("allOf", json::array())) {
        if (s.contains("$ref")) continue;
        if (s.contains("properties") && s["properties"].contains("code"))
          for (const auto& code : resolve(doc, s["properties"]["code"]).value("enum", json::array()))
            out[status].insert(code);
      }
  }
  return out;
}

std::set<std::string> all_codes_of(const std::map<std::string, std::set<std::string>>& by_status) {
  std::set<std::string> out;
  for (const auto& [_, codes] : by_status) out.insert(codes.begin(), codes.end());
  return out;
}

// Every code the document names (per response, in the ErrorCode list, in examples) is catalogued, under its status,
// and every example is the problem the node writes for it (type, code, status, both titles).
void expect_codes_are_catalogued(const json& doc, const std::map<std::string, Catalogued>& cat) {
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, operation] : item.items()) {
      if (!operation.is_object() || !operation.contains("responses")) continue;
      for (const auto& [status, codes] : documented_codes(doc, operation))
        for (const auto& code : codes) {
          SCOPED_TRACE(method + " " + path + " " + status + " " + code);
          ASSERT_TRUE(cat.count(code)) << "not in the catalogue";
          EXPECT_EQ(std::to_string(cat.at(code).status), status);
        }
    }
  for (const auto& code : doc["components"]["schemas"]["ErrorCode"]["enum"])
    EXPECT_TRUE(cat.count(code)) << code << " in ErrorCode is not in the catalogue";
  const json examples = doc["components"].value("examples", json::object());
  for (const auto& [name, example] : examples.items()) {
    SCOPED_TRACE("example " + name);
    const auto& v = example["value"];
    if (!v.contains("code")) continue;
    const std::string code = v["code"];
    ASSERT_TRUE(cat.count(code));
    const auto& c = cat.at(code);
    EXPECT_EQ(v["type"], "urn:lgsp:error:" + code);
    EXPECT_EQ(v["status"], c.status);
    EXPECT_EQ(v["title"], c.title_en);
    EXPECT_EQ(v["title_vi"], c.title_vi);
  }
}

TEST(OpenApi, every_route_of_the_public_listener_is_documented_and_nothing_else) {
  expect_routes_match_document(public_routes(), load("openapi.json"));
}

TEST(OpenApi, every_code_the_public_routes_answer_is_documented_on_its_route_under_its_status) {
  const json doc = load("openapi.json");
  const auto cat = catalogue();
  ASSERT_GE(cat.size(), 25u);
  expect_codes_are_catalogued(doc, cat);

  // What the HTTP layer answers on any route (parse errors, framing, limits, a handler that fails); 404 and 405
  // answer paths and methods the node does not have, so they are in the ErrorCode list and the overview.
  const auto http_layer = codes_used_in({"bus/src/http_server.cpp"}, cat);
  const auto exchange = codes_used_in(
      {"bus/src/stages/headers_stage.cpp", "bus/src/stages/access_stage.cpp", "bus/src/stages/contract_stage.cpp",
       "bus/src/stages/idempotency_stage.cpp", "bus/src/stages/seal_stage.cpp", "bus/src/stages/persist_stage.cpp",
       "bus/src/stages/pipeline.cpp", "bus/src/caller.cpp"},
      cat);
  const auto status = codes_used_in({"bus/src/exchange.cpp"}, cat);
  const auto proxy =
      codes_used_in({"bus/src/call_proxy.cpp", "bus/src/stages/headers_stage.cpp", "bus/src/stages/access_stage.cpp",
                     "bus/src/stages/contract_stage.cpp", "bus/src/stages/pipeline.cpp", "bus/src/caller.cpp"},
                    cat);
  ASSERT_TRUE(http_layer.count("LGSP-413-TOO-LARGE"));
  ASSERT_TRUE(exchange.count("LGSP-409-MESSAGE-ID"));
  ASSERT_TRUE(status.count("LGSP-404-MESSAGE"));
  ASSERT_TRUE(proxy.count("LGSP-504-PROVIDER"));
  // The edXML gateway answers its own codes and, for each addressee's copy, whatever the exchange answers.
  auto edxml = codes_used_in({"bus/src/edxml_gateway.cpp"}, cat);
  ASSERT_TRUE(edxml.count("LGSP-404-ORGAN"));
  const auto edxml_get = edxml;
  edxml.insert(exchange.begin(), exchange.end());

  std::set<std::string> every;
  for (const auto* s : {&http_layer, &exchange, &status, &proxy}) every.insert(s->begin(), s->end());
  every.insert(edxml.begin(), edxml.end());
  std::set<std::string> listed;
  for (const auto& c : doc["components"]["schemas"]["ErrorCode"]["enum"]) listed.insert(c);
  EXPECT_EQ(listed, every) << "ErrorCode lists exactly the codes the public routes answer";

  const std::string overview = doc["info"]["description"];
  for (const char* code : {"LGSP-404-ROUTE", "LGSP-405-METHOD"})
    EXPECT_NE(overview.find(code), std::string::npos) << code << " is not in info.description";

  auto expect_documents = [&](const std::string& path, const std::string& method, const std::set<std::string>& codes) {
    SCOPED_TRACE(method + " " + path);
    const auto documented = all_codes_of(documented_codes(doc, doc["paths"][path][method]));
    for (const auto& code : codes) {
      // 405 answers methods a path does not have; 404-ROUTE paths the node does not have, except the proxy's own
      // 404 for a target that names no service.
      if (code == "LGSP-405-METHOD" || (code == "LGSP-404-ROUTE" && path.rfind("/v1/call/", 0) != 0)) continue;
      EXPECT_TRUE(documented.count(code)) << code << " is not documented here";
    }
  };
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, _] : item.items()) expect_documents(path, method, http_layer);
  expect_documents("/v1/messages", "post", exchange);
  expect_documents("/v1/messages/{id}", "get", status);
  {
    auto post = edxml;
    post.erase("LGSP-404-DOCUMENT");  // GET only
    expect_documents("/v1/edxml/messages", "post", post);
    auto get = edxml_get;
    for (const char* c : {"LGSP-400-EDXML", "LGSP-400-EDXML-SIGNATURE", "LGSP-403-ORGAN", "LGSP-404-ORGAN"})
      get.erase(c);
    expect_documents("/v1/edxml/documents", "get", get);
  }
  for (const auto& path : documented_forms(doc, "/v1/call/*"))
    for (const char* method : {"get", "post", "put", "delete"}) expect_documents(path, method, proxy);
}

TEST(OpenApi, every_admin_route_is_documented_with_its_codes) {
  const json doc = load("openapi-admin.json");
  expect_routes_match_document(admin_routes(), doc);
  const auto cat = catalogue();
  expect_codes_are_catalogued(doc, cat);
  // The admin routes' own refusals, the worker-pool wrapper's and the registry's (request_handler.cpp), and the
  // HTTP layer's: each in the ErrorCode list of the admin document.
  const auto codes = codes_used_in({"bus/src/admin_api.cpp", "bus/include/lgsp/bus/request_handler.hpp",
                                    "bus/src/request_handler.cpp", "bus/src/http_server.cpp"},
                                   cat);
  std::set<std::string> listed;
  for (const auto& c : doc["components"]["schemas"]["ErrorCode"]["enum"]) listed.insert(c);
  EXPECT_EQ(listed, codes);
}

// The answer `r` is a problem the document promises for `method path` under its status: its code is listed there
// (or, for 404-ROUTE and 405, in the ErrorCode list), and its body has the Problem schema's members, nothing else,
// with the titles of the code's example.
void expect_documented_problem(const json& doc, const std::string& method, const std::string& path,
                               const lgsp::test::ClientResponse& r, const std::string& expected_code) {
  SCOPED_TRACE(method + " " + path + " -> " + std::to_string(r.status) + " " + r.body);
  EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "", "application/problem+json");
  const json body = json::parse(r.body);
  ASSERT_EQ(body.value("code", ""), expected_code);
  const std::string code = body["code"];
  if (code == "LGSP-404-ROUTE" && path.rfind("/v1/call/", 0) != 0) {
    EXPECT_EQ(r.status, 404u);
  } else if (code == "LGSP-405-METHOD") {
    EXPECT_EQ(r.status, 405u);
  } else {
    const auto by_status = documented_codes(doc, doc["paths"][path][method]);
    const auto it = by_status.find(std::to_string(r.status));
    ASSERT_NE(it, by_status.end()) << "status not documented";
    EXPECT_TRUE(it->second.count(code)) << "code not documented under this status";
    // Every header the document promises on this answer (Retry-After on a 503) is sent.
    const json& response = resolve(doc, doc["paths"][path][method]["responses"][std::to_string(r.status)]);
    const json headers = response.value("headers", json::object());
    for (const auto& [name, _] : headers.items()) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      EXPECT_TRUE(r.headers.count(lower)) << name << " is documented on this answer but was not sent";
    }
  }
  const auto& schema = doc["components"]["schemas"]["Problem"];
  for (const auto& required : schema["required"]) EXPECT_TRUE(body.contains(required)) << required;
  for (const auto& [key, _] : body.items()) EXPECT_TRUE(schema["properties"].contains(key)) << key << " undocumented";
  EXPECT_EQ(body["type"], "urn:lgsp:error:" + code);
  EXPECT_EQ(body["status"], r.status);
  // The titles: as the code's example gives them, or (a code with no example: 405) as the ErrorCode list says.
  const auto& examples = doc["components"]["examples"];
  if (examples.contains(code)) {
    EXPECT_EQ(body["title"], examples[code]["value"]["title"]);
    EXPECT_EQ(body["title_vi"], examples[code]["value"]["title_vi"]);
  } else {
    const std::string list = doc["components"]["schemas"]["ErrorCode"]["description"];
    const std::string line = "`" + code + "` (" + std::to_string(r.status) + "): " + body["title"].get<std::string>() +
                             " / " + body["title_vi"].get<std::string>();
    EXPECT_NE(list.find(line), std::string::npos) << line;
  }
  if (body.contains("errors")) {
    const auto& item = doc["components"]["schemas"]["ContractError"];
    ASSERT_FALSE(body["errors"].empty());
    for (const auto& e : body["errors"]) {
      for (const auto& required : item["required"]) EXPECT_TRUE(e.contains(required)) << required;
      for (const auto& [key, _] : e.items()) EXPECT_TRUE(item["properties"].contains(key)) << key << " undocumented";
    }
  }
}

// A node with one registered client, a service it is granted and one it is not, signing off (so an accepted
// request ends in 503 LGSP-503-SIGNING): each refusal the public routes give is one the document lists there.
TEST(OpenApi, the_node_refuses_as_the_document_says) {
  const json doc = load("openapi.json");
  const fs::path dir = fs::temp_directory_path() / ("lgsp-openapi-answers-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string data = (dir / "var").string();
  const std::string client = "000.00.13.H29/MOTCUA", other = "000.00.13.H29/HOTICH";
  const std::string granted = "000.00.13.H29/MOTCUA/hoso/v1", ungranted = "000.00.13.H29/MOTCUA/khac/v1";
  auto lgsp = [&](std::vector<std::string> args) {
    args.insert(args.begin(), LGSP_BINARY);
    args.insert(args.end(), {"--data-dir", data});
    auto r = lgsp::test::run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  };
  lgsp({"member", "add", "000.00.13.H29", "--name", "UBND phường Bến Thành", "--init"});
  lgsp({"subsystem", "add", client});
  lgsp({"subsystem", "add", other});
  for (const auto& s : {granted, ungranted})
    lgsp({"service", "add", s, "--contract", "onestop.dossier-submission@v1", "--endpoint", "http://127.0.0.1:9/in"});
  lgsp({"acl", "grant", client, granted});
  const auto made = lgsp({"apikey", "create", client});
  const std::string key = made.out.substr(0, made.out.find('\n'));
  ASSERT_EQ(key.rfind("lgsp_", 0), 0u) << made.out;

  const auto port = lgsp::test::free_port();
  lgsp::test::Process node({LGSP_BINARY, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--data-dir", data},
                           dir / "serve.log", {"LGSP_SIGNING_ENABLED=false"});
  ASSERT_TRUE(lgsp::test::wait_ready(port)) << lgsp::test::read_file(dir / "serve.log");

  using Headers = std::map<std::string, std::string>;
  auto send = [&](const std::string& method, const std::string& target, const Headers& headers,
                  const std::string& body = "") {
    return HttpClient("127.0.0.1", port).request(method, target, body, headers);
  };
  const Headers auth = {{"Authorization", "Bearer " + key}, {"LGSP-Client", client}};
  auto with = [&](Headers h, const Headers& more) {
    for (const auto& [k, v] : more) h[k] = v;
    return h;
  };
  const std::string valid =
      slurp(kSource / "contracts/onestop.dossier-submission/v1/examples/valid-2-whole-dossier-minimal.json");
  const Headers message =
      with(auth, {{"LGSP-Service", granted}, {"LGSP-Message-Id", "m-1"}, {"Content-Type", "application/json"}});

  const std::string messages = "/v1/messages", status = "/v1/messages/{id}";
  const std::string call = "/v1/call/{member}/{subsystem}/{code}/{version}", call_path = call + "/{path}";
  struct Case {
    std::string method, target;
    Headers headers;
    std::string body, doc_method, doc_path, code;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/messages", {}, valid, "post", messages, "LGSP-401-AUTH"},
      {"POST", "/v1/messages", {{"Authorization", "Bearer " + key}}, valid, "post", messages, "LGSP-400-HEADER"},
      {"POST", "/v1/messages", with(message, {{"LGSP-Client", other}}), valid, "post", messages, "LGSP-403-CLIENT"},
      {"POST", "/v1/messages", with(message, {{"LGSP-Service", "hoso"}}), valid, "post", messages, "LGSP-400-HEADER"},
      {"POST", "/v1/messages", with(message, {{"LGSP-Message-Id", "a b"}}), valid, "post", messages, "LGSP-400-HEADER"},
      {"POST", "/v1/messages", with(message, {{"LGSP-Service", "000.00.13.H29/MOTCUA/none/v1"}}), valid, "post",
       messages, "LGSP-404-SERVICE"},
      {"POST", "/v1/messages", with(message, {{"LGSP-Service", ungranted}}), valid, "post", messages, "LGSP-403-ACL"},
      {"POST", "/v1/messages", message, "{}", "post", messages, "LGSP-400-CONTRACT"},
      {"POST", "/v1/messages", message, "", "post", messages, "LGSP-400-CONTRACT"},
      {"POST", "/v1/messages", message, valid, "post", messages, "LGSP-503-SIGNING"},
      {"GET", "/v1/messages/m-404", {}, "", "get", status, "LGSP-401-AUTH"},
      {"GET", "/v1/messages/m-404", auth, "", "get", status, "LGSP-404-MESSAGE"},
      {"GET", "/v1/call/" + granted, {}, "", "get", call, "LGSP-401-AUTH"},
      {"GET", "/v1/call/000.00.13.H29/MOTCUA", auth, "", "get", call, "LGSP-404-ROUTE"},
      {"GET", "/v1/call/" + granted + "/a/%2e%2e/b", auth, "", "get", call_path, "LGSP-400-PATH"},
      {"GET", "/v1/call/" + granted + "/a", with(auth, {{"LGSP-Message-Id", "a b"}}), "", "get", call_path,
       "LGSP-400-HEADER"},
      {"DELETE", "/v1/call/" + ungranted, auth, "", "delete", call, "LGSP-403-ACL"},
      {"PUT", "/v1/call/" + granted + "/a", with(auth, {{"Content-Type", "application/json"}}), "{}", "put", call_path,
       "LGSP-400-CONTRACT"},
      {"POST", "/v1/call/" + granted, with(auth, {{"Content-Type", "application/json"}}), valid, "post", call,
       "LGSP-503-SIGNING"},
      {"PATCH", "/v1/messages", auth, "", "patch", messages, "LGSP-405-METHOD"},
      {"GET", "/v2/nothing", {}, "", "get", "/v2/nothing", "LGSP-404-ROUTE"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target + " expecting " + c.code);
    lgsp::test::ClientResponse r;
    try {
      r = send(c.method, c.target, c.headers, c.body);
    } catch (const std::exception& e) {
      FAIL() << "no answer: " << e.what();
    }
    try {
      expect_documented_problem(doc, c.doc_method, c.doc_path, r, c.code);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << " on " << r.status << " " << r.body;
    }
  }
  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(std::chrono::seconds(20)), 0);
  fs::remove_all(dir);
}

// The admin listener likewise: an auditor's and a registry admin's token, and refusals of each kind.
TEST(OpenApi, the_admin_api_refuses_as_its_document_says) {
  const json doc = load("openapi-admin.json");
  const fs::path dir = fs::temp_directory_path() / ("lgsp-openapi-admin-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string data = (dir / "var").string();
  auto token = [&](const std::string& role, const std::string& name, bool init) {
    std::vector<std::string> args = {LGSP_BINARY, "admin",  "token", "create",     "--role",
                                     role,        "--name", name,    "--data-dir", data};
    if (init) args.push_back("--init");
    auto r = lgsp::test::run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  };
  const std::string admin = token("registry-admin", "ops", true), auditor = token("auditor", "alice", false);
  const auto port = lgsp::test::free_port(), admin_port = lgsp::test::free_port();
  lgsp::test::Process node({LGSP_BINARY, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--data-dir", data},
                           dir / "serve.log",
                           {"LGSP_SIGNING_ENABLED=false", "LGSP_ADMIN_LISTEN=127.0.0.1:" + std::to_string(admin_port)});
  ASSERT_TRUE(lgsp::test::wait_ready(port)) << lgsp::test::read_file(dir / "serve.log");

  using Headers = std::map<std::string, std::string>;
  const Headers as_admin = {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/json"}};
  const Headers as_auditor = {{"Authorization", "Bearer " + auditor}, {"Content-Type", "application/json"}};
  const std::string member = R"({"code":"000.00.13.H29","name":"UBND phường Bến Thành"})";
  auto first = HttpClient("127.0.0.1", admin_port).request("POST", "/admin/v1/members", member, as_admin);
  ASSERT_EQ(first.status, 201u) << first.body;

  struct Case {
    std::string method, target;
    Headers headers;
    std::string body, doc_method, doc_path, code;
  };
  const std::string members = "/admin/v1/members", service = "/admin/v1/services/{id}";
  const std::vector<Case> cases = {
      {"GET", "/admin/v1/members", {}, "", "get", members, "LGSP-401-ADMIN"},
      {"GET", "/admin/v1/members", {{"Authorization", "Bearer lgsp_admin_nope"}}, "", "get", members, "LGSP-401-ADMIN"},
      {"POST", "/admin/v1/members", as_auditor, member, "post", members, "LGSP-403-ADMIN-ROLE"},
      {"POST", "/admin/v1/members", as_admin, "[]", "post", members, "LGSP-400-MALFORMED"},
      {"POST", "/admin/v1/members", as_admin, R"({"code":1})", "post", members, "LGSP-400-REGISTRY"},
      {"POST", "/admin/v1/members", as_admin, member, "post", members, "LGSP-409-REGISTRY"},
      {"GET", "/admin/v1/services/000.00.13.H29/MOTCUA/none/v1", as_auditor, "", "get", service, "LGSP-404-REGISTRY"},
      {"PATCH", "/admin/v1/services/000.00.13.H29/MOTCUA/none/v1", as_admin, "{}", "patch", service,
       "LGSP-404-REGISTRY"},
      {"POST", "/admin/v1/dlq/replay", as_admin, R"({"all":"yes"})", "post", "/admin/v1/dlq/replay",
       "LGSP-400-REGISTRY"},
      {"PUT", "/admin/v1/members", as_admin, member, "put", members, "LGSP-405-METHOD"},
      {"GET", "/admin/v2/members", as_admin, "", "get", "/admin/v2/members", "LGSP-404-ROUTE"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target + " expecting " + c.code);
    lgsp::test::ClientResponse r;
    try {
      r = HttpClient("127.0.0.1", admin_port).request(c.method, c.target, c.body, c.headers);
    } catch (const std::exception& e) {
      FAIL() << "no answer: " << e.what();
    }
    try {
      expect_documented_problem(doc, c.doc_method, c.doc_path, r, c.code);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << " on " << r.status << " " << r.body;
    }
  }
  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(std::chrono::seconds(20)), 0);
  fs::remove_all(dir);
}

TEST(OpenApi, the_node_serves_the_document_byte_for_byte_without_credentials) {
  const std::string file = slurp(kSource / "docs" / "openapi.json");
  const fs::path dir = fs::temp_directory_path() / ("lgsp-openapi-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto port = lgsp::test::free_port();
  lgsp::test::Process node(
      {LGSP_BINARY, "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--data-dir", (dir / "var").string()},
      dir / "serve.log", {"LGSP_SIGNING_ENABLED=false"});
  ASSERT_TRUE(lgsp::test::wait_ready(port, std::chrono::seconds(30), "/healthz"))
      << lgsp::test::read_file(dir / "serve.log");

  auto r = HttpClient("127.0.0.1", port).request("GET", "/v1/openapi.json");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_TRUE(r.body == file) << "the served document is not docs/openapi.json (" << r.body.size()
                              << " bytes, the file " << file.size() << ")";
  const std::string etag = "\"" + lgsp::bus::sha256_hex(file) + "\"";
  EXPECT_EQ(r.headers["etag"], etag);
  EXPECT_EQ(r.headers["cache-control"], "public, max-age=3600");
  EXPECT_EQ(json::parse(r.body)["openapi"], "3.1.0");

  // Revalidation: the same ETag (strong or weak, alone or in a list) is 304 without a body; another is the document.
  for (const std::string& tag : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    auto again = HttpClient("127.0.0.1", port).request("GET", "/v1/openapi.json", "", {{"If-None-Match", tag}});
    EXPECT_EQ(again.status, 304u) << tag;
    EXPECT_TRUE(again.body.empty()) << tag;
    EXPECT_EQ(again.headers["etag"], etag);
  }
  auto other = HttpClient("127.0.0.1", port).request("GET", "/v1/openapi.json", "", {{"If-None-Match", "\"old\""}});
  EXPECT_EQ(other.status, 200u);
  EXPECT_TRUE(other.body == file);

  // A bad credential changes nothing (no header check on this route), and the other methods are refused.
  auto with_key = HttpClient("127.0.0.1", port)
                      .request("GET", "/v1/openapi.json", "", {{"Authorization", "Bearer lgsp_not_a_key"}});
  EXPECT_EQ(with_key.status, 200u);
  auto post = HttpClient("127.0.0.1", port).request("POST", "/v1/openapi.json", "{}");
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(json::parse(post.body)["code"], "LGSP-405-METHOD");

  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(std::chrono::seconds(20)), 0);
  fs::remove_all(dir);
}

}  // namespace
