#include "lgsp/onestop/web_assets.hpp"

#include "lgsp/bus/config.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/errors.hpp"

#include <zlib.h>

#include <array>
#include <fstream>
#include <string_view>

namespace lgsp::onestop {
namespace fs = std::filesystem;
using bus::HttpRequest;
using bus::HttpResponse;

fs::path default_web_dir() { return LGSP_ONESTOP_WEB_DIR; }

namespace {
constexpr std::uintmax_t kMaxFileBytes = 4u * 1024 * 1024;
constexpr std::uintmax_t kMaxTotalBytes = 64u * 1024 * 1024;
constexpr std::size_t kMaxFiles = 2000;

// The pages the client-side router (assets/app.js) draws: each answers index.html. "{}" is one path segment.
constexpr std::array<std::string_view, 19> kPageRoutes = {
    "/",
    "/thu-tuc",
    "/thu-tuc/{}",
    "/tra-cuu",
    "/tra-cuu/{}",
    "/tai-khoan",
    "/tai-khoan/dang-ky",
    "/tai-khoan/dang-nhap",
    "/nop-ho-so/{}",
    "/bien-nhan/{}",
    "/ho-so-cua-toi",
    "/ho-so-cua-toi/{}",
    "/can-bo",
    "/can-bo/dang-nhap",
    "/can-bo/ho-so/{}",
    "/can-bo/tiep-nhan",
    "/can-bo/ky-so",
    "/can-bo/bao-cao",
    "/can-bo/quan-tri",
};

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto seg = path.substr(0, slash);
    if (!seg.empty()) out.push_back(seg);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_page_route(std::string_view path) {
  auto p = segments(path);
  for (std::string_view route : kPageRoutes) {
    auto r = segments(route);
    if (r.size() != p.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; ok && i < r.size(); ++i) ok = r[i] == "{}" ? p[i].size() <= 80 : r[i] == p[i];
    if (ok) return true;
  }
  return false;
}

std::string content_type_of(const fs::path& file) {
  static const std::map<std::string, std::string> types = {{".html", "text/html; charset=utf-8"},
                                                           {".js", "text/javascript; charset=utf-8"},
                                                           {".mjs", "text/javascript; charset=utf-8"},
                                                           {".css", "text/css; charset=utf-8"},
                                                           {".json", "application/json"},
                                                           {".svg", "image/svg+xml"},
                                                           {".png", "image/png"},
                                                           {".ico", "image/x-icon"},
                                                           {".txt", "text/plain; charset=utf-8"},
                                                           {".woff2", "font/woff2"},
                                                           {".webmanifest", "application/manifest+json"}};
  auto it = types.find(file.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

bool compressible(const std::string& type) {
  return type.starts_with("text/") || type == "application/json" || type == "image/svg+xml" ||
         type == "application/manifest+json";
}

std::string gzip(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

struct Asset {
  std::string type;
  std::string body;
  std::string gzipped;  // empty: not worth it
  std::string etag;
};

bool accepts_gzip(const HttpRequest& r) {
  auto v = r.header("accept-encoding");
  return v && v->find("gzip") != std::string::npos;
}

bool api_path(std::string_view path) { return path == "/onestop" || path.starts_with("/onestop/"); }
}  // namespace

struct WebAssets::Impl {
  WebAssetsOptions options;
  std::map<std::string, Asset> files;  // by URL path ("/assets/app.js")
  std::vector<std::pair<std::string, std::string>> security;

  void load() {
    std::error_code ec;
    if (!fs::is_directory(options.dir, ec))
      throw bus::ConfigError("web.assets_dir", options.dir.string() + " is not a folder");
    std::uintmax_t total = 0;
    for (fs::recursive_directory_iterator it(options.dir, ec), end; !ec && it != end; it.increment(ec)) {
      const auto& entry = *it;
      auto name = entry.path().filename().string();
      if (name.starts_with(".")) {
        if (entry.is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (!entry.is_regular_file()) continue;
      auto size = entry.file_size();
      if (size > kMaxFileBytes)
        throw bus::ConfigError("web.assets_dir", entry.path().string() + " is larger than 4 MiB");
      total += size;
      if (total > kMaxTotalBytes || files.size() >= kMaxFiles)
        throw bus::ConfigError("web.assets_dir", options.dir.string() + " holds more than 64 MiB or 2000 files");
      std::ifstream in(entry.path(), std::ios::binary);
      std::string body(static_cast<std::size_t>(size), '\0');
      in.read(body.data(), static_cast<std::streamsize>(body.size()));
      if (!in) throw bus::ConfigError("web.assets_dir", "cannot read " + entry.path().string());
      Asset a;
      a.type = content_type_of(entry.path());
      a.etag = "\"" + bus::sha256_hex(body).substr(0, 32) + "\"";
      if (compressible(a.type) && body.size() > 256) {
        a.gzipped = gzip(body);
        if (a.gzipped.size() + 64 >= body.size()) a.gzipped.clear();
      }
      a.body = std::move(body);
      files["/" + fs::relative(entry.path(), options.dir).generic_string()] = std::move(a);
    }
    if (ec) throw bus::ConfigError("web.assets_dir", options.dir.string() + ": " + ec.message());
    for (const char* needed : {"/index.html", "/404.html"})
      if (!files.contains(needed))
        throw bus::ConfigError("web.assets_dir", options.dir.string() + " has no " + std::string(needed + 1));
    // What the pages read at start: the agent's address (not a secret; the CSP names it too).
    Asset config;
    config.type = "application/json";
    config.body = nlohmann::json{{"agent_url", options.agent_url}}.dump();
    config.etag = "\"" + bus::sha256_hex(config.body).substr(0, 32) + "\"";
    files["/assets/web-config.json"] = std::move(config);
  }

  void make_headers() {
    std::string csp =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "font-src 'self'; connect-src 'self'";
    if (!options.agent_url.empty()) csp += " " + options.agent_url;
    csp +=
        "; frame-src 'self' blob:; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'";
    security = {{"Content-Security-Policy", csp},
                {"Referrer-Policy", "no-referrer"},
                {"X-Content-Type-Options", "nosniff"},
                {"X-Frame-Options", "DENY"},
                {"Cross-Origin-Opener-Policy", "same-origin"},
                {"Cross-Origin-Resource-Policy", "same-origin"},
                {"Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"}};
    if (options.https) security.emplace_back("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  }

  HttpResponse serve(const Asset& a, unsigned status, const HttpRequest& r) const {
    HttpResponse resp;
    resp.status = status;
    resp.content_type = a.type;
    resp.headers = security;
    resp.headers.emplace_back("ETag", a.etag);
    // Names are not hashed: the browser revalidates each time and gets 304 while nothing changed.
    resp.headers.emplace_back("Cache-Control", "no-cache");
    resp.headers.emplace_back("Vary", "Accept-Encoding");
    if (status == 200) {
      if (auto inm = r.header("if-none-match"); inm && inm->find(a.etag) != std::string::npos) {
        resp.status = 304;
        return resp;
      }
    }
    if (!a.gzipped.empty() && accepts_gzip(r)) {
      resp.headers.emplace_back("Content-Encoding", "gzip");
      resp.body = a.gzipped;
    } else {
      resp.body = a.body;
    }
    return resp;
  }
};

WebAssets::WebAssets(WebAssetsOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  while (!impl_->options.agent_url.empty() && impl_->options.agent_url.back() == '/')
    impl_->options.agent_url.pop_back();
  impl_->load();
  impl_->make_headers();
}
WebAssets::~WebAssets() = default;

std::size_t WebAssets::file_count() const { return impl_->files.size(); }
const std::vector<std::pair<std::string, std::string>>& WebAssets::security_headers() const { return impl_->security; }

HttpResponse WebAssets::answer(const HttpRequest& request) const {
  const auto& files = impl_->files;
  const std::string& path = request.path;
  if (is_page_route(path)) return impl_->serve(files.at("/index.html"), 200, request);
  // index.html and 404.html are reached by their routes only; everything else by its path.
  if (path != "/index.html" && path != "/404.html" && path.find("/.") == std::string::npos) {
    if (auto it = files.find(path); it != files.end()) return impl_->serve(it->second, 200, request);
  }
  return impl_->serve(files.at("/404.html"), 404, request);
}

void WebAssets::add_routes(bus::Router& router) const {
  // The router's own answer for a path no API route takes with this method: 405 with Allow when another method
  // takes it, else 404 (as before these catch-all routes existed).
  const bus::Router* r = &router;
  auto api_answer = [r](const HttpRequest& header) -> HttpResponse {
    std::string allow;
    for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
      HttpRequest probe;
      probe.method = m;
      probe.path = header.path;
      auto match = r->match(probe);
      if (match.handler && match.route != "/*") allow += (allow.empty() ? "" : ", ") + std::string(m);
    }
    if (allow.empty()) return bus::problem(bus::errors::kUnknownRoute, "no resource at " + header.path);
    auto answer = bus::problem(bus::errors::kMethodNotAllowed, header.method + " is not allowed on " + header.path);
    answer.headers.emplace_back("Allow", allow);
    return answer;
  };
  router.add(
      "GET", "/*", [this](HttpRequest& request, bus::Reply reply) { reply(answer(request)); },
      [api_answer](const HttpRequest& header) -> std::optional<HttpResponse> {
        if (api_path(header.path)) return api_answer(header);
        return std::nullopt;
      });
  for (const char* m : {"POST", "PUT", "PATCH", "DELETE"})
    router.add(
        m, "/*", [](HttpRequest&, bus::Reply reply) { reply(bus::problem(bus::errors::kInternal, "unreachable")); },
        [api_answer](const HttpRequest& header) -> std::optional<HttpResponse> { return api_answer(header); });
}

}  // namespace lgsp::onestop
