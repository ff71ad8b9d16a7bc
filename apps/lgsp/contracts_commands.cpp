// `lgsp contracts list`, `lgsp validate`, `lgsp edxml pack|unpack`.
#include "cli.hpp"
#include "files.hpp"
#include "lgsp/contracts/catalogue.hpp"
#include "lgsp/contracts/edxml.hpp"
#include "lgsp/contracts/safe_json.hpp"

#include <iostream>
#include <memory>
#include <set>

namespace lgsp::cli {
namespace fs = std::filesystem;
namespace edxml = contracts::edxml;

namespace {

// The options every catalogue-using command takes.
struct CatalogueOptions {
  std::optional<std::string> config_file;
  std::optional<std::string> contracts_dir;

  void add_to(CLI::App& command) {
    command.add_option("--config", config_file, "Config file (for contracts.dir and [limits])")->type_name("FILE");
    command.add_option("--contracts-dir", contracts_dir, "Contract catalogue folder (overrides contracts.dir)")
        ->type_name("DIR");
  }

  // Throws bus::ConfigError or contracts::ContractError.
  std::pair<bus::Config, contracts::Catalogue> load() const {
    std::optional<fs::path> file;
    if (config_file) file = *config_file;
    auto config = bus::Config::load(file, bus::Config::process_environment());
    if (contracts_dir) config.contracts.dir = fs::absolute(*contracts_dir);
    auto catalogue = contracts::Catalogue::load(config.contracts.dir);
    return {std::move(config), std::move(catalogue)};
  }
};

// Runs `body`, turning configuration and catalogue problems into exit code 2.
template <typename Body>
int with_catalogue(const CatalogueOptions& options, Body body) {
  try {
    auto [config, catalogue] = options.load();
    return body(config, catalogue);
  } catch (const bus::ConfigError& e) {
    return fail_config(e);
  } catch (const contracts::ContractError& e) {
    std::cerr << "lgsp: contract " << e.what() << "\n";
    return kExitUsage;
  } catch (const FileError& e) {
    return fail(e.file, e.why, kExitUsage);
  }
}

int list_contracts(const CatalogueOptions& options, bool json) {
  return with_catalogue(options, [&](const bus::Config&, const contracts::Catalogue& catalogue) {
    auto out = nlohmann::json::array();
    for (const auto* c : catalogue.list()) {
      if (json)
        out.push_back({{"name", c->name()},
                       {"version", c->version()},
                       {"id", c->id()},
                       {"media_type", c->media_type()},
                       {"description", c->description()}});
      else
        std::cout << c->id() << "\t" << c->media_type() << "\t" << c->description() << "\n";
    }
    if (json) std::cout << out.dump(2) << "\n";
    return kExitOk;
  });
}

int validate(const CatalogueOptions& options, const std::string& contract_id, const std::string& file, bool json,
             const std::string& profile_name) {
  const auto profile = contracts::parse_profile(profile_name);
  if (!profile) return fail("--profile " + profile_name, "expected strict or receive", kExitUsage);
  return with_catalogue(options, [&](const bus::Config& config, const contracts::Catalogue& catalogue) {
    const auto* contract = catalogue.find(contract_id);
    if (!contract) {
      if (!contracts::Catalogue::parse_id(contract_id))
        return fail("--contract " + contract_id, "expected NAME@vN, e.g. edxml@v1", kExitUsage);
      return fail("--contract " + contract_id, "unknown contract (see 'lgsp contracts list')", kExitUsage);
    }
    auto document = read_limited(file, config.limits.max_document_bytes);
    contracts::ValidationResult result;
    if (document)
      result = contract->validate(*document, config.limits, *profile);
    else
      result.errors.push_back(
          {"", 0, 0,
           "document is larger than the limit of " + std::to_string(config.limits.max_document_bytes) + " bytes"});
    if (json) {
      std::cout << nlohmann::json{{"contract", contract->id()},
                                  {"file", file},
                                  {"profile", contracts::to_string(*profile)},
                                  {"valid", result.valid()},
                                  {"errors", contracts::to_json(result.errors)},
                                  {"warnings", contracts::to_json(result.warnings)}}
                       .dump(2)
                << "\n";
    } else if (!result.valid()) {
      std::cerr << "lgsp: " << file << " : not valid against " << contract->id()
                << (*profile == contracts::Profile::receive ? " (receive profile)" : "") << "\n"
                << contracts::to_text(result.errors) << contracts::to_text(result.warnings);
    } else if (!result.warnings.empty()) {
      std::cerr << "lgsp: " << file << " : valid against " << contract->id()
                << " (receive profile), with variants the strict profile refuses:\n"
                << contracts::to_text(result.warnings);
    }
    return result.valid() ? kExitOk : kExitFailed;
  });
}

int pack(const CatalogueOptions& options, const std::string& header_file, const std::vector<std::string>& attach,
         const std::string& out, const std::optional<std::string>& hop) {
  return with_catalogue(options, [&](const bus::Config& config, const contracts::Catalogue& catalogue) {
    auto text = read_limited(header_file, config.limits.max_document_bytes);
    if (!text) return fail("header " + header_file, "larger than the document limit", kExitFailed);
    std::vector<contracts::ValidationError> errors;
    auto header = contracts::parse_ordered_json(*text, config.limits, errors);
    if (!header) {
      const auto& e = errors.front();
      return fail("header " + header_file,
                  (e.line > 0 ? std::to_string(e.line) + ":" + std::to_string(e.column) + ": " : "") + e.message,
                  kExitFailed);
    }

    edxml::Package package;
    package.header = std::move(*header);
    std::set<std::string> names;
    for (std::size_t i = 0; i < attach.size(); ++i) {
      auto data = read_limited(attach[i], config.limits.max_document_bytes);
      if (!data) return fail("attachment " + attach[i], "larger than the document limit", kExitFailed);
      edxml::Attachment a;
      a.name = fs::path(attach[i]).filename().string();
      if (!names.insert(a.name).second)
        return fail("attachment " + attach[i], "two attachments are named '" + a.name + "'", kExitUsage);
      // Content ids carry no spaces or non-ASCII (receivers compare them as tokens).
      std::string token;
      for (unsigned char c : a.name) token += std::isalnum(c) || c == '.' || c == '-' || c == '_' ? char(c) : '_';
      a.content_id = "cid:" + std::to_string(i + 1) + "-" + token;
      a.content_type = edxml::media_type_for(attach[i]);
      a.data = std::move(*data);
      package.attachments.push_back(std::move(a));
    }
    try {
      // This node is a hop: record it. The sender's agency unless --hop names another.
      auto& mh = package.header["MessageHeader"];
      std::string organ = hop ? *hop
                              : (mh.is_object() && mh.contains("From") && mh["From"].is_object() &&
                                         mh["From"].contains("OrganId") && mh["From"]["OrganId"].is_string()
                                     ? mh["From"]["OrganId"].get<std::string>()
                                     : "");
      if (organ.empty()) return fail("header " + header_file, "MessageHeader.From.OrganId is missing", kExitFailed);
      edxml::add_trace_header(package.header, organ, std::chrono::system_clock::now());
      auto& list = package.header["TraceHeaderList"];
      if (!list.contains("Bussiness")) list["Bussiness"] = {{"BussinessDocType", "0"}};  // a new document
      std::string xml = edxml::pack(package);
      auto result = catalogue.find("edxml@v1")->validate(xml, config.limits);
      if (!result.valid()) {
        std::cerr << "lgsp: header " << header_file << " : the package would not be valid edxml@v1\n"
                  << contracts::to_text(result.errors);
        return kExitFailed;
      }
      write_atomically(out, xml);
    } catch (const edxml::EdxmlError& e) {
      return fail("header " + header_file, e.what(), kExitFailed);
    }
    return kExitOk;
  });
}

// An attachment name from a package is untrusted: it must not climb out of the output folder.
std::string safe_file_name(const std::string& name) {
  std::string base = name.substr(name.find_last_of("/\\") == std::string::npos ? 0 : name.find_last_of("/\\") + 1);
  if (base.empty() || base == "." || base == ".." || base == "header.json") return "";
  for (unsigned char c : base)
    if (c < 0x20 || c == 0x7f) return "";
  return base;
}

int unpack(const CatalogueOptions& options, const std::string& file, const std::string& out) {
  return with_catalogue(options, [&](const bus::Config& config, const contracts::Catalogue& catalogue) {
    auto xml = read_limited(file, config.limits.max_document_bytes);
    if (!xml) return fail(file, "larger than the document limit", kExitFailed);
    auto result = catalogue.find("edxml@v1")->validate(*xml, config.limits);
    if (!result.valid()) {
      std::cerr << "lgsp: " << file << " : not a valid edxml@v1 package\n" << contracts::to_text(result.errors);
      return kExitFailed;
    }
    edxml::Package package;
    try {
      package = edxml::unpack(*xml, config.limits);
    } catch (const edxml::EdxmlError& e) {
      return fail(file, e.what(), kExitFailed);
    }
    std::vector<std::pair<std::string, std::string>> files = {{"header.json", package.header.dump(2) + "\n"}};
    std::set<std::string> names = {"header.json"};
    for (auto& a : package.attachments) {
      auto name = safe_file_name(a.name);
      if (name.empty()) return fail(file, "attachment " + a.content_id + " has an unsafe name '" + a.name + "'", 1);
      if (!names.insert(name).second)
        return fail(file, "two attachments would both be written as '" + name + "'", kExitFailed);
      files.emplace_back(name, std::move(a.data));
    }
    write_folder_atomically(out, files);
    return kExitOk;
  });
}

}  // namespace

void add_contract_commands(CLI::App& app, Runner& run) {
  {
    auto* contracts_cmd = app.add_subcommand("contracts", "List the exchange contracts in the catalogue");
    contracts_cmd->require_subcommand(1);
    auto* list = contracts_cmd->add_subcommand("list", "Name@version, media type and description of every contract");
    auto options = std::make_shared<CatalogueOptions>();
    auto json = std::make_shared<bool>(false);
    options->add_to(*list);
    list->add_flag("--json", *json, "Print a JSON array");
    list->callback([&run, options, json] { run = [=] { return list_contracts(*options, *json); }; });
  }
  {
    auto* cmd = app.add_subcommand("validate", "Check a document against a contract (exit 0 valid, 1 invalid)");
    auto options = std::make_shared<CatalogueOptions>();
    auto contract = std::make_shared<std::string>();
    auto file = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    auto profile = std::make_shared<std::string>("strict");
    cmd->add_option("--contract", *contract, "Contract, NAME@vN (see 'lgsp contracts list')")->required();
    cmd->add_option("FILE", *file, "Document to check")->required();
    cmd->add_flag("--json", *json,
                  "Print {contract, file, profile, valid, errors[], warnings[]} on stdout instead of errors on stderr");
    cmd->add_option("--profile", *profile,
                    "strict: exactly as the standard says (what we send); receive: also the named variants real "
                    "producers send, reported as warnings (what the node accepts inbound) [strict]")
        ->type_name("strict|receive");
    options->add_to(*cmd);
    cmd->footer(
        "Errors: one per line, <path>:<line>:<column>: <message> (XPath-like path for XML, JSON Pointer\n"
        "for JSON). Warnings (receive profile): warning: <variant>: <path>: <detail>, on stderr.\n"
        "Exit 2 for an unknown contract, an unknown profile or an unreadable file.");
    cmd->callback([&run, options, contract, file, json, profile] {
      run = [=] { return validate(*options, *contract, *file, *json, *profile); };
    });
  }
  {
    auto* cmd = app.add_subcommand("edxml", "Build and read edXML document-exchange packages (QCVN 102:2016)");
    cmd->require_subcommand(1);
    auto* pack_cmd = cmd->add_subcommand("pack", "Build an edXML package from a JSON header and attachments");
    auto options = std::make_shared<CatalogueOptions>();
    auto header = std::make_shared<std::string>();
    auto attach = std::make_shared<std::vector<std::string>>();
    auto out = std::make_shared<std::string>();
    auto hop = std::make_shared<std::optional<std::string>>();
    pack_cmd->add_option("--header", *header, "Header JSON: {MessageHeader, TraceHeaderList} (see docs/contracts.md)")
        ->required();
    pack_cmd->add_option("--attach", *attach, "Files to attach (base64, listed in the manifest)")->expected(0, -1);
    pack_cmd->add_option("--out", *out, "The package to write")->required();
    pack_cmd->add_option("--hop", *hop, "Agency code recorded in the new TraceHeader [MessageHeader.From.OrganId]");
    options->add_to(*pack_cmd);
    pack_cmd->footer(
        "Adds a TraceHeader for this hop (now, Vietnam time) and Bussiness {BussinessDocType 0} when the\n"
        "header has none. The package is checked against edxml@v1 before anything is written.");
    pack_cmd->callback([&run, options, header, attach, out, hop] {
      run = [=] { return pack(*options, *header, *attach, *out, *hop); };
    });

    auto* unpack_cmd =
        cmd->add_subcommand("unpack", "Check an edXML package and write header.json and its attachments");
    auto u_options = std::make_shared<CatalogueOptions>();
    auto u_file = std::make_shared<std::string>();
    auto u_out = std::make_shared<std::string>();
    unpack_cmd->add_option("FILE", *u_file, "The package")->required();
    unpack_cmd->add_option("--out", *u_out, "Folder to create (must not exist, or be empty)")->required();
    u_options->add_to(*unpack_cmd);
    unpack_cmd->callback(
        [&run, u_options, u_file, u_out] { run = [=] { return unpack(*u_options, *u_file, *u_out); }; });
    add_edxml_exchange_commands(*cmd, run);
  }
}

}  // namespace lgsp::cli
