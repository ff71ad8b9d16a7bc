// Reading whole configuration files (certificates, CRLs) into memory.
#pragma once

#include <filesystem>
#include <string>

namespace lgsp::signing {

// Throws SigningError(kConfiguration) naming the file and the system error.
std::string read_config_file(const std::filesystem::path& file);

}  // namespace lgsp::signing
