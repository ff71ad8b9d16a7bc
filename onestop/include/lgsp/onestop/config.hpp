// Configuration of a one-stop server (`lgsp onestop serve`): its own TOML file, since the one-stop module is
// a member system of the bus, not part of a node. Every key is optional; see deploy/config/onestop.example.toml.
#pragma once

#include "lgsp/bus/config.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::onestop {

class FileLinks;

struct AgencyConfig {
  std::string code = "000.00.13.H29";  // mã định danh of the agency this server is the one-stop office of
  std::string name = "UBND phường Bến Thành";
  std::string parent_name = "UBND Quận 1";  // cơ quan chủ quản, printed above the agency on forms
  std::string place = "Bến Thành";          // địa danh on forms: "Bến Thành, ngày ... tháng ... năm ..."
  std::string dossier_code_pattern = "{agency}-{yymmdd}-{seq}";
  // Base URL citizens and the portal use for this office (the lookup QR code on the receipt slip, the signed
  // file links of portal records). Empty: http://<server.listen>, so it follows the listen address.
  std::string public_url;
  // How long the signed file links in portal records and inter-agency submissions stay valid.
  unsigned file_link_days = 30;
  // Not from the config file: the office's link key, from <data_dir>/file-link.key (OfflineOffice opens it).
  // Null: links are plain /onestop/v1/files/<sha256> (for officials only), as in unit tests.
  std::shared_ptr<const FileLinks> file_links;
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

// The civil-status registry the office asks for extracts (trích lục) over its node's /v1/call
// (docs/onestop.md, "Civil-registry extracts"). Empty service: no extracts.
struct RegistryConfig {
  std::string service;  // e.g. "000.00.00.H29/HOTICH/trichluc/v1": hotich.trichluc-request@v1 -> -result@v1
  // The registry's document service: GET <document_service>/<sha256> answers the signed extract's bytes (the
  // result contract names the document by hash only). Required with service.
  std::string document_service;
  // Procedures (MaTTHC) whose dossiers may ask for an extract; default the national code of "cấp bản sao trích
  // lục hộ tịch".
  std::vector<std::string> procedures{"2.000635"};
  // PEM certificates of the registry's seal: the extract's signature must be made by one of them (pinned, not
  // merely chained to signing.trust_roots). Required with service.
  std::filesystem::path seal_certificates;
  unsigned timeout_seconds = 30;  // the whole call through the bus (the node's own timeout_ms is shorter)
};

struct SigningConfig {
  std::filesystem::path module;            // PKCS#11 module; default $LGSP_PKCS11_MODULE
  std::string seal_token = "agency-seal";  // the agency seal's token (PIN from $LGSP_PIN)
  std::filesystem::path ca_chain;          // PEM CA certificates to carry when a token holds only its certificate
  // Officials' signatures on results (POST .../results/complete) are verified against these roots, with
  // revocation checked by `revocation`: "ocsp" (the certificate's AIA, or ocsp_url), "crl" (the `crl` file) or
  // "none". Without trust_roots no result can be completed.
  std::filesystem::path trust_roots;
  std::string revocation = "ocsp";
  std::filesystem::path crl;
  std::string ocsp_url;
  unsigned prepare_minutes = 15;  // a prepared result waits this long for its signature
  unsigned max_prepared = 200;    // results one official may have prepared and not completed
};

// Result download (POST /results/{code}): guesses of the second factor are limited per SOURCE, never per dossier
// alone, so a stranger's wrong tries cannot lock the applicant out (docs/onestop.md, "Result download").
struct LookupConfig {
  unsigned max_failures = 10;     // wrong tries from one source (an IPv4 address, an IPv6 /64) ...
  unsigned window_seconds = 900;  // ... within this window; then that source gets 429 until the window has passed
  // A dossier with this many wrong tries (from all sources) within dossier_window_seconds is under attack: each
  // source then gets at most kTriesPerSourceUnderAttack wrong tries on that dossier per dossier window. The
  // right answer from any other source still succeeds.
  unsigned dossier_max_failures = 30;
  unsigned dossier_window_seconds = 86400;
};

// Uploads (POST /files): a quota per account over a sliding window (429 LGSP-429-ONESTOP-QUOTA), and the expiry
// of uploaded files that no dossier and no e-profile uses.
struct UploadConfig {
  std::uint64_t max_bytes = 512ull * 1024 * 1024;  // bytes one account may upload per window
  unsigned max_files = 500;                        // uploads one account may make per window
  unsigned window_seconds = 86400;
  unsigned unused_max_age_seconds = 7 * 86400;  // an upload no dossier or e-profile uses is deleted after this
  unsigned sweep_seconds = 3600;                // how often the server looks for such files
};

// Web sign-in for the pages (docs/onestop.md, "Web sessions"): cookie sessions, password and token sign-in.
struct WebConfig {
  // The origin the pages are served from (https://motcua.example.vn): token sign-in challenges bind it. Empty:
  // agency.public_url's origin.
  std::string origin;
  unsigned session_idle_minutes = 30;  // a session unused this long ends
  unsigned session_max_hours = 12;     // a session ends this long after sign-in whatever its use
  // When set (tests, kiosks), the idle limit in seconds instead of session_idle_minutes.
  unsigned session_idle_seconds = 0;
  unsigned max_sessions_per_account = 10;  // the oldest session ends when an account opens one more
  unsigned challenge_seconds = 300;        // a token sign-in challenge waits this long for its signature
  bool official_password_sign_in = false;  // officials may sign in with a password (else their token only)
  // Wrong sign-ins: per source and per account, as lookup.* limits second-factor guesses (ResultGuard): a
  // source past signin_max_failures in signin_window_seconds gets 429; an account past account_max_failures in
  // the window is under attack and each source then has 3 tries on it.
  unsigned signin_max_failures = 10;
  unsigned signin_window_seconds = 900;
  unsigned account_max_failures = 5;
  unsigned signups_per_source = 10;  // sign-ups one source may make per signin_window_seconds
  // Argon2id cost (memory in KiB, passes; one lane). Stored with each hash: a change applies to new passwords.
  unsigned argon2_memory_kib = 12288;
  unsigned argon2_iterations = 3;
};

// Notifications to citizens (docs/onestop.md, "Notifications"): e-mail over SMTP, SMS through an HTTP gateway,
// sent from an outbox with retries.
struct NotifyConfig {
  std::string smtp_host;  // empty: no e-mail
  unsigned smtp_port = 587;
  std::string smtp_from;                   // "Bộ phận một cửa <motcua@example.vn>" or an address
  std::string smtp_starttls = "required";  // required, optional (when offered), none (tests on loopback)
  std::filesystem::path smtp_ca;  // PEM roots the SMTP server's certificate must chain to (empty: the system's)
  std::string smtp_username;
  std::filesystem::path smtp_password_file;
  std::string sms_url;                     // empty: no SMS; POST {to, text} as JSON
  std::filesystem::path sms_api_key_file;  // sent as Authorization: Bearer <key>
  // The lookup link in messages; {code} is the dossier code. Empty: <agency.public_url>/tra-cuu?ma={code}.
  std::string lookup_url;
  unsigned retry_seconds = 30;  // first retry; doubled per failure up to an hour
  unsigned max_attempts = 12;   // then the notification is marked failed (kept, visible to operators)
  unsigned timeout_seconds = 10;
  unsigned poll_ms = 1000;  // how often the sender looks for due notifications
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
  // [store] backend: the SQLite file <data_dir>/onestop.db (the default), or a PostgreSQL database that several
  // office instances may share (docs/onestop.md, "Office on PostgreSQL / two instances"). The URL never carries
  // the password: postgresql_password_file, else $LGSP_STORE_POSTGRESQL_PASSWORD, else libpq's own sources.
  bus::StoreBackendKind store_backend = bus::StoreBackendKind::sqlite;
  std::string postgresql_url;
  std::filesystem::path postgresql_password_file;
  unsigned pool_size = 4;          // PostgreSQL read connections (the writer has one more of its own)
  std::filesystem::path calendar;  // calendar JSON; empty: onestop/samples/calendar.json
  std::filesystem::path font_dir;  // TrueType fonts for forms; empty: DejaVu from Debian
  // [web] pages (docs/web.md): the assets folder (empty: the one installed with the binary) and the officials'
  // `lgsp agent` origin the pages may call (the CSP's connect-src).
  std::filesystem::path web_assets_dir;
  std::string web_agent_url = "http://127.0.0.1:8731";
  AgencyConfig agency;
  BusLinkConfig bus;
  SigningConfig signing;
  RegistryConfig registry;
  LookupConfig lookup;
  UploadConfig uploads;
  WebConfig web;
  NotifyConfig notify;
  // Peers whose X-Forwarded-For is believed (the TLS proxy in front of the loopback listener). Empty: the header
  // is never believed and every request's source is its TCP peer.
  std::vector<std::string> trusted_proxies;
  std::optional<std::filesystem::path> source_file;

  // Defaults, then the file, then LGSP_ONESTOP_<SECTION>_<KEY> environment variables. Relative paths in the
  // file are resolved against its folder. Unknown keys and bad values throw bus::ConfigError.
  static OnestopConfig load(const std::optional<std::filesystem::path>& file,
                            const std::map<std::string, std::string>& environment);
  void validate() const;
  // The agency as the office uses it: public_url derived from the listen address when not set.
  AgencyConfig effective_agency() const;
  std::string bus_client() const { return bus.client.empty() ? agency.code + "/MOTCUA" : bus.client; }
};

// The folder of the shipped samples (procedures.json, calendar.json) in the source tree.
std::filesystem::path samples_dir();

}  // namespace lgsp::onestop
