// `lgsp onestop serve|procedure|user|report`: the one-stop office, a member system of the bus with its own
// store (<data_dir>/onestop.db) and its own config file (deploy/config/onestop.example.toml).
#include "cli.hpp"
#include "files.hpp"
#include "lgsp/bus/digest.hpp"
#include "lgsp/bus/log.hpp"
#include "lgsp/onestop/api_json.hpp"
#include "lgsp/onestop/office.hpp"
#include "lgsp/onestop/passwords.hpp"
#include "lgsp/onestop/server.hpp"
#include "lgsp/signing/certificate.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <pthread.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <memory>

namespace lgsp::cli {
namespace {
using nlohmann::json;

struct OnestopOptions {
  std::optional<std::string> config_file, listen, data_dir;
  void add_to(CLI::App& cmd, bool with_listen) {
    cmd.add_option("--config", config_file, "One-stop config (TOML); see deploy/config/onestop.example.toml")
        ->type_name("FILE");
    if (with_listen)
      cmd.add_option("--listen", listen, "Address of the /onestop/v1 API (overrides server.listen) [127.0.0.1:8090]")
          ->type_name("HOST:PORT");
    cmd.add_option("--data-dir", data_dir, "Data directory (overrides store.data_dir) [./var/onestop]")
        ->type_name("DIR");
  }
  onestop::OnestopConfig load() const {
    std::optional<std::filesystem::path> file;
    if (config_file) file = *config_file;
    auto c = onestop::OnestopConfig::load(file, bus::Config::process_environment());
    if (listen) c.listen = bus::HostPort::parse(*listen, "--listen");
    if (data_dir) {
      if (data_dir->empty()) throw bus::ConfigError("--data-dir", "must not be empty");
      c.data_dir = std::filesystem::absolute(*data_dir).lexically_normal();
    }
    c.validate();
    return c;
  }
};

// Runs `body` with the office opened offline (no listener), turning its errors into exit codes.
int with_office(const OnestopOptions& o, const std::function<int(onestop::OneStopOffice&)>& body) {
  try {
    auto config = o.load();
    onestop::OfflineOffice offline(config);
    return body(offline.office());
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  } catch (const onestop::OnestopError& e) {
    std::string detail = e.what();
    for (const auto& err : e.errors()) detail += "\n  " + err.dump();
    return fail(std::string(e.code().code), detail, kExitFailed);
  } catch (const onestop::ProcedureError& e) {
    return fail("procedure", e.what(), kExitFailed);
  } catch (const bus::StoreError& e) {
    return fail("store", e.what(), kExitFailed);
  }
}

int serve(const OnestopOptions& o) {
  onestop::OnestopConfig config;
  try {
    config = o.load();
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::unique_ptr<onestop::OnestopServer> server;
  try {
    server = std::make_unique<onestop::OnestopServer>(config);
    server->start();
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  } catch (const bus::StoreError& e) {
    return fail("store", e.what(), kExitFailed);
  }
  int sig = 0;
  sigwait(&signals, &sig);
  bus::log::info("onestop.signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server->stop();
  return kExitOk;
}

onestop::TimePoint parse_when(const std::string& text, const std::string& option) {
  if (auto t = onestop::parse_date_or_time(text)) return *t;
  throw bus::ConfigError(option, "must be a date YYYY-MM-DD or an RFC 3339 time, got '" + text + "'");
}

// The SHA-256 (hex) of the DER of the certificate in `file` (PEM or DER); nullopt, with the reason printed, when
// it holds none.
std::optional<std::string> certificate_fingerprint(const std::string& file) {
  auto bytes = read_limited(file, 1 << 20);
  if (!bytes) {
    fail(file, "cannot be read or is larger than 1 MiB", kExitUsage);
    return std::nullopt;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes->data());
  signing::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(bytes->size())));
  if (!cert) {
    BIO* bio = BIO_new_mem_buf(bytes->data(), static_cast<int>(bytes->size()));
    cert.reset(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
  }
  ERR_clear_error();
  if (!cert) {
    fail(file, "holds no X.509 certificate (PEM or DER)", kExitUsage);
    return std::nullopt;
  }
  auto der = signing::certificate_to_der(cert.get());
  return bus::sha256_hex(std::string_view(reinterpret_cast<const char*>(der.data()), der.size()));
}

std::string csv_field(const json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

void add_onestop_commands(CLI::App& app, Runner& run) {
  auto* group =
      app.add_subcommand("onestop", "The one-stop (một cửa) office: serve its API, catalogue, users, reports");
  group->require_subcommand(1);

  {
    auto* cmd = group->add_subcommand("serve", "Run the one-stop office: the /onestop/v1 API and its bus link");
    cmd->footer(
        "Without --config: the agency 000.00.13.H29 on 127.0.0.1:8090, data in ./var/onestop, no bus link.\n"
        "LGSP_ONESTOP_<SECTION>_<KEY> environment variables override the file. SIGTERM/SIGINT: drain and exit 0.\n"
        "See docs/onestop.md for the API.");
    auto o = std::make_shared<OnestopOptions>();
    o->add_to(*cmd, true);
    cmd->callback([&run, o] { run = [o] { return serve(*o); }; });
  }

  auto* procedure = group->add_subcommand("procedure", "The procedures catalogue (thủ tục hành chính)");
  procedure->require_subcommand(1);
  {
    auto* cmd = procedure->add_subcommand("import", "Import a catalogue JSON file ({\"procedures\": [...]})");
    auto o = std::make_shared<OnestopOptions>();
    auto file = std::make_shared<std::string>();
    cmd->add_option("FILE", *file, "e.g. onestop/samples/procedures.json")->required();
    o->add_to(*cmd, false);
    cmd->callback([&run, o, file] {
      run = [o, file] {
        auto text = read_limited(*file, 64 << 20);
        if (!text) return fail(*file, "cannot be read or is larger than 64 MiB", kExitUsage);
        json j;
        try {
          j = json::parse(*text);
        } catch (const json::exception& e) {
          return fail(*file, std::string("not JSON: ") + e.what(), kExitFailed);
        }
        return with_office(*o, [&](onestop::OneStopOffice& office) {
          auto procedures = onestop::catalogue_from_json(j);
          auto r = office.import_procedures(procedures);
          std::cout << "imported " << r.imported << ", unchanged " << r.unchanged << " (of " << procedures.size()
                    << " in " << *file << ")\n";
          return kExitOk;
        });
      };
    });
  }
  {
    auto* cmd = procedure->add_subcommand("list", "List the procedures in force (latest version of each)");
    auto o = std::make_shared<OnestopOptions>();
    o->add_to(*cmd, false);
    cmd->callback([&run, o] {
      run = [o] {
        return with_office(*o, [](onestop::OneStopOffice& office) {
          for (const auto& p : office.procedures())
            std::cout << p.code << "\tv" << p.version << "\t" << p.processing_days << " ngày\t" << p.name << "\n";
          return kExitOk;
        });
      };
    });
  }
  {
    auto* cmd = procedure->add_subcommand("export", "Write the catalogue (latest versions) as JSON");
    auto o = std::make_shared<OnestopOptions>();
    auto out = std::make_shared<std::string>();
    cmd->add_option("--out", *out, "File to write (default: standard output)");
    o->add_to(*cmd, false);
    cmd->callback([&run, o, out] {
      run = [o, out] {
        return with_office(*o, [&](onestop::OneStopOffice& office) {
          std::string text = onestop::catalogue_to_json(office.procedures()).dump(2) + "\n";
          if (out->empty()) {
            std::cout << text;
          } else {
            std::ofstream f(*out);
            f << text;
            if (!f) return fail(*out, "cannot be written", kExitFailed);
          }
          return kExitOk;
        });
      };
    });
  }

  auto* user = group->add_subcommand("user", "Accounts of the one-stop API (each with one role)");
  user->require_subcommand(1);
  {
    auto* cmd = user->add_subcommand("add", "Create an account and print its API token (shown once)");
    auto o = std::make_shared<OnestopOptions>();
    struct U {
      std::string username, role, unit, name, title, customer_code, scope = "unit", certificate, cccd;
    };
    auto u = std::make_shared<U>();
    cmd->add_option("USERNAME", u->username)->required();
    cmd->add_option("--role", u->role, "citizen, receiving, processing, leader or admin")->required();
    cmd->add_option("--unit", u->unit, "Agency code of the user's unit (default: the office's)");
    cmd->add_option("--name", u->name, "Display name, recorded in dossier histories");
    cmd->add_option("--title", u->title, "Job title, e.g. \"Công chức Tư pháp - Hộ tịch\"");
    cmd->add_option("--customer-code", u->customer_code, "Citizens: the customer code of their e-profile");
    cmd->add_option("--scope", u->scope,
                    "unit: the account sees and acts on its unit's records only; province: a provincial "
                    "supervisor, who also reads every unit's records [unit]")
        ->check(CLI::IsMember({"unit", "province"}));
    cmd->add_option("--certificate", u->certificate,
                    "Officials: their signing certificate (PEM or DER); results are signed only with a bound one")
        ->type_name("FILE");
    cmd->add_option("--cccd", u->cccd,
                    "Officials: their CCCD number (12 digits), matched against a certificate's UID=CCCD:<number>");
    o->add_to(*cmd, false);
    cmd->callback([&run, o, u] {
      run = [o, u] {
        onestop::Role role;
        try {
          role = onestop::role_from_string(u->role);
        } catch (const std::invalid_argument& e) {
          return fail("--role", e.what(), kExitUsage);
        }
        std::optional<std::string> fingerprint;
        if (!u->certificate.empty()) {
          fingerprint = certificate_fingerprint(u->certificate);
          if (!fingerprint) return kExitUsage;
        }
        return with_office(*o, [&](onestop::OneStopOffice& office) {
          auto token = office.add_user(u->username, role, u->unit, u->name.empty() ? u->username : u->name, u->title,
                                       u->customer_code, onestop::scope_from_string(u->scope));
          if (fingerprint || !u->cccd.empty())
            office.bind_certificate(u->username, fingerprint,
                                    u->cccd.empty() ? std::nullopt : std::optional<std::string>(u->cccd));
          std::cout << token << "\n";
          return kExitOk;
        });
      };
    });
  }
  {
    auto* cmd = user->add_subcommand(
        "bind", "Bind an official's signing certificate and/or CCCD number to their account (or clear them)");
    cmd->footer(
        "A result is completed only when its signer's certificate is the bound one (SHA-256 of its DER) or carries\n"
        "UID=CCCD:<the bound number> in its subject. --certificate \"\" or --cccd \"\" clears; an option not given\n"
        "is kept. See docs/onestop.md, \"Signing results\".");
    auto o = std::make_shared<OnestopOptions>();
    struct B {
      std::string username;
      std::optional<std::string> certificate, cccd;
    };
    auto b = std::make_shared<B>();
    cmd->add_option("USERNAME", b->username)->required();
    cmd->add_option("--certificate", b->certificate, "The official's signing certificate (PEM or DER)")
        ->type_name("FILE");
    cmd->add_option("--cccd", b->cccd, "The official's CCCD number (12 digits)");
    o->add_to(*cmd, false);
    cmd->callback([&run, o, b] {
      run = [o, b] {
        if (!b->certificate && !b->cccd) return fail("bind", "give --certificate and/or --cccd", kExitUsage);
        std::optional<std::string> fingerprint;
        if (b->certificate) {
          fingerprint = b->certificate->empty() ? std::string() : certificate_fingerprint(*b->certificate);
          if (!fingerprint) return kExitUsage;
        }
        return with_office(*o, [&](onestop::OneStopOffice& office) {
          office.bind_certificate(b->username, fingerprint, b->cccd);
          auto bound = office.user(b->username);
          std::cout << b->username << "\tcertificate " << bound->certificate_sha256.value_or("-") << "\tcccd "
                    << bound->cccd.value_or("-") << "\n";
          return kExitOk;
        });
      };
    });
  }
  {
    auto* cmd = user->add_subcommand("password",
                                     "Set an account's web sign-in password, read from standard input (first line)");
    cmd->footer(
        "The password (8 to 128 characters) is hashed with Argon2id ([web] argon2_memory_kib, argon2_iterations);\n"
        "every web session of the account ends. Officials sign in with it only when [web]\n"
        "official_password_sign_in = true. See docs/onestop.md, \"Web sessions\".");
    auto o = std::make_shared<OnestopOptions>();
    auto username = std::make_shared<std::string>();
    cmd->add_option("USERNAME", *username)->required();
    o->add_to(*cmd, false);
    cmd->callback([&run, o, username] {
      run = [o, username] {
        std::string password;
        std::getline(std::cin, password);
        if (!password.empty() && password.back() == '\r') password.pop_back();
        if (auto why = onestop::password_problem(password); !why.empty()) return fail("password", why, kExitUsage);
        return with_office(*o, [&](onestop::OneStopOffice& office) {
          office.set_password(*username, onestop::hash_password(password, o->load().web));
          std::cout << *username << "\tpassword set\n";
          return kExitOk;
        });
      };
    });
  }
  {
    auto* cmd = user->add_subcommand("list", "List the accounts (never their tokens)");
    auto o = std::make_shared<OnestopOptions>();
    o->add_to(*cmd, false);
    cmd->callback([&run, o] {
      run = [o] {
        return with_office(*o, [](onestop::OneStopOffice& office) {
          for (const auto& u : office.list_users())
            std::cout << u.username << "\t" << onestop::to_string(u.role) << "\t" << u.unit << "\t"
                      << onestop::to_string(u.scope) << "\t" << u.name
                      << (u.certificate_sha256 ? "\tcertificate " + *u.certificate_sha256 : std::string())
                      << (u.cccd ? "\tcccd " + *u.cccd : std::string()) << "\n";
          return kExitOk;
        });
      };
    });
  }

  {
    auto* cmd = group->add_subcommand(
        "report", "Received, resolved early / on time / late and overdue now, by unit and procedure");
    auto o = std::make_shared<OnestopOptions>();
    struct R {
      std::string from, to, unit, format = "csv";
    };
    auto r = std::make_shared<R>();
    cmd->add_option("--from", r->from, "Start of the period: YYYY-MM-DD (local midnight) or RFC 3339")->required();
    cmd->add_option("--to", r->to, "End of the period (exclusive)")->required();
    cmd->add_option("--unit", r->unit, "Only this unit (agency code)");
    cmd->add_option("--format", r->format, "csv or json [csv]")->check(CLI::IsMember({"csv", "json"}));
    o->add_to(*cmd, false);
    cmd->callback([&run, o, r] {
      run = [o, r] {
        onestop::TimePoint from, to;
        try {
          from = parse_when(r->from, "--from");
          to = parse_when(r->to, "--to");
        } catch (const bus::ConfigError& e) {
          return fail_config(e);
        }
        if (to <= from) return fail("--to", "must be after --from", kExitUsage);
        return with_office(*o, [&](onestop::OneStopOffice& office) {
          // The same JSON as GET /onestop/v1/report; the CSV is its lines.
          auto report = onestop::to_json(office.report(from, to, r->unit));
          if (r->format == "json") {
            std::cout << report.dump(2) << "\n";
            return kExitOk;
          }
          static const char* cols[] = {"unit",        "procedure_code", "procedure_name",   "received",
                                       "resolved",    "resolved_early", "resolved_on_time", "resolved_late",
                                       "in_progress", "overdue_now",    "on_time_rate"};
          std::string line;
          for (const char* c : cols) line += std::string(line.empty() ? "" : ",") + c;
          std::cout << line << "\n";
          for (const auto& l : report["lines"]) {
            line.clear();
            bool first = true;
            for (const char* c : cols) {
              line += (first ? "" : ",") + csv_field(l[c]);
              first = false;
            }
            std::cout << line << "\n";
          }
          return kExitOk;
        });
      };
    });
  }
}

}  // namespace lgsp::cli
