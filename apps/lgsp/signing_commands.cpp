// `lgsp token`, `lgsp sign`, `lgsp verify`: registered here once the signing library lands.
#include "cli.hpp"

namespace lgsp::cli {

void add_signing_commands(CLI::App&, Runner&) {}

}  // namespace lgsp::cli
