// `lgsp`: one binary, git-style subcommands.
#include "cli.hpp"
#include "lgsp_version.hpp"

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"LGSP: interoperability and digital-signature bus for local government", "lgsp"};
  app.set_version_flag("--version", std::string("lgsp ") + LGSP_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  lgsp::cli::Runner run;
  lgsp::cli::add_serve_command(app, run);
  lgsp::cli::add_contract_commands(app, run);
  lgsp::cli::add_registry_commands(app, run);
  lgsp::cli::add_message_commands(app, run);
  lgsp::cli::add_signing_commands(app, run);
  lgsp::cli::add_receipt_command(app, run);
  lgsp::cli::add_onestop_commands(app, run);
  lgsp::cli::add_adapter_commands(app, run);
  lgsp::cli::add_agent_command(app, run);
  lgsp::cli::add_portal_commands(app, run);

  // CLI11 would call an unknown command "extra arguments"; name it plainly.
  if (argc > 1 && argv[1][0] != '-' &&
      app.get_subcommands([&](CLI::App* c) { return c->get_name() == argv[1]; }).empty())
    return lgsp::cli::fail("usage", std::string("unknown command '") + argv[1] + "' (see 'lgsp --help')",
                           lgsp::cli::kExitUsage);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return lgsp::cli::fail("usage", std::string(e.what()) + " (see 'lgsp --help')", lgsp::cli::kExitUsage);
  }
  try {
    return run ? run() : lgsp::cli::kExitUsage;
  } catch (const std::exception& e) {
    return lgsp::cli::fail("error", e.what(), lgsp::cli::kExitFailed);
  }
}
