// The one-stop office's web pages (onestop/web/): static files served by `lgsp onestop serve` on the same origin
// as /onestop/v1, with the security headers every page and asset carries (docs/web.md).
#pragma once

#include "lgsp/bus/http.hpp"
#include "lgsp/bus/router.hpp"

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace lgsp::onestop {

struct WebAssetsOptions {
  std::filesystem::path dir;                        // the assets folder (web.assets_dir, else the installed one)
  std::string agent_url = "http://127.0.0.1:8731";  // the officials' `lgsp agent` origin (CSP connect-src)
  bool https = false;                               // the public address is https://: send HSTS
};

// The assets folder as installed with the binary: $LGSP_ONESTOP_WEB_DIR's value at build time (the source tree's
// onestop/web, or the install prefix's share/lgsp/web).
std::filesystem::path default_web_dir();

// Every file of the folder, read once at start (bounded: 4 MiB a file, 64 MiB in all), with its ETag and, for
// text, its gzip form when smaller. Throws bus::ConfigError("web.assets_dir", why) when the folder is unusable.
class WebAssets {
 public:
  explicit WebAssets(WebAssetsOptions options);
  ~WebAssets();
  WebAssets(const WebAssets&) = delete;
  WebAssets& operator=(const WebAssets&) = delete;

  // The answer to GET `path` (a page route → index.html; a file; else the Vietnamese 404 page with status 404),
  // honouring If-None-Match and Accept-Encoding: gzip, with the security headers.
  bus::HttpResponse answer(const bus::HttpRequest& request) const;
  // The headers every page and asset carries (CSP, Referrer-Policy, nosniff, HSTS when https, …).
  const std::vector<std::pair<std::string, std::string>>& security_headers() const;
  std::size_t file_count() const;

  // Adds the web routes after every API route: GET /* for pages and assets; for the other methods, and for GET
  // under /onestop/, the same 404/405 problem answers the router gave before, decided on the header. Call last.
  void add_routes(bus::Router& router) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::onestop
