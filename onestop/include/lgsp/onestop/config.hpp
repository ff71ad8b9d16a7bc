// Configuration of a one-stop server (`lgsp onestop serve`): its own TOML file, since the one-stop module is
// a member system of the bus, not part of a node. Every key is optional; see deploy/config/onestop.example.toml.
#pragma once

#include "lgsp/bus/config.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace lgsp::onestop {

struct AgencyConfig {
  std::string code = "000.00.13.H29";  // mã định danh of the agency this server is the one-stop office of
  std::string name = "UBND phường Hàng Bạc";
  std::string parent_name = "UBND quận Hoàn Kiếm";  // cơ quan chủ quản, printed above the agency on forms
  std::string place = "Hà Nội";                     // địa danh on forms: "Hà Nội, ngày ... tháng ... năm ..."
  std::string dossier_code_pattern = "{agency}-{yymmdd}-{seq}";
  // Base URL citizens use for the public lookup (printed as the QR code on the receipt slip).
  std::string public_url = "http://127.0.0.1:8090";
};

// How this server reaches the bus and proves who it is there: the bus's public API, like any member system.
struct BusLinkConfig {
  std::string url;           // the local node, e.g. "https://127.0.0.1:8443"; empty: no bus (no inter-agency steps)
  std::string client;        // this system's subsystem on the bus, default "<agency>/MOTCUA"
  std::string api_key_file;  // file holding the API key for `client`; else $LGSP_ONESTOP_BUS_API_KEY
  std::filesystem::path ca;  // PEM roots the node's HTTPS certificate must chain to (empty: system)
  std::filesystem::path trust_roots;  // PEM roots a delivering node's seal must chain to (required with url)
  // PEM certificates of the node(s) whose seals this office accepts (its own node): a seal by any other
  // certificate under the same roots (an official's token, say) is refused. Required with url.
  std::filesystem::path node_certificates;
  unsigned retry_seconds = 5;  // pause before sending a refused or failed bus message again
};

struct SigningConfig {
  std::filesystem::path module;            // PKCS#11 module; default $LGSP_PKCS11_MODULE
  std::string seal_token = "agency-seal";  // the agency seal's token (PIN from $LGSP_PIN)
  std::filesystem::path ca_chain;          // PEM CA certificates to carry when a token holds only its certificate
};

struct LookupConfig {
  unsigned max_failures = 5;      // wrong second factors per dossier code and per client address ...
  unsigned window_seconds = 900;  // ... within this window, then 429 until the window has passed
};

struct OnestopConfig {
  bus::HostPort listen{"127.0.0.1", 8090};
  unsigned threads = 2;  // I/O threads; blocking work runs on `workers`
  unsigned workers = 4;
  std::uint64_t max_body_bytes = 32 * 1024 * 1024;  // an uploaded document
  unsigned max_connections_per_source = 256;        // open connections per client address; 0: no cap
  std::filesystem::path data_dir = "var/onestop";   // onestop.db and files/ (content-addressed)
  unsigned group_commit_max_rows = 512;             // as the node's [store]: units per transaction at most
  unsigned group_commit_max_delay_ms = 2;           // how long the first unit of a batch waits for others
  std::filesystem::path calendar;                   // calendar JSON; empty: onestop/samples/calendar.json
  std::filesystem::path font_dir;                   // TrueType fonts for forms; empty: DejaVu from Debian
  AgencyConfig agency;
  BusLinkConfig bus;
  SigningConfig signing;
  LookupConfig lookup;
  std::optional<std::filesystem::path> source_file;

  // Defaults, then the file, then LGSP_ONESTOP_<SECTION>_<KEY> environment variables. Relative paths in the
  // file are resolved against its folder. Unknown keys and bad values throw bus::ConfigError.
  static OnestopConfig load(const std::optional<std::filesystem::path>& file,
                            const std::map<std::string, std::string>& environment);
  void validate() const;
  std::string bus_client() const { return bus.client.empty() ? agency.code + "/MOTCUA" : bus.client; }
};

// The folder of the shipped samples (procedures.json, calendar.json) in the source tree.
std::filesystem::path samples_dir();

}  // namespace lgsp::onestop
