// Argon2id password hashes of web accounts (docs/onestop.md, "Web sessions"), shared by the server and
// `lgsp onestop user password`.
#pragma once

#include "lgsp/onestop/config.hpp"

#include <string>

namespace lgsp::onestop {

// A PHC string ($argon2id$v=19$m=...,t=...,p=1$salt$hash): `config`'s memory and passes, one lane, a 16-byte
// random salt, a 32-byte hash.
std::string hash_password(const std::string& password, const WebConfig& config);
// Constant time in the password; a malformed hash is a mismatch.
bool password_matches(const std::string& hash, const std::string& password);
// What a password must be: 8 to 128 characters (UTF-8); empty when it is, else why not.
std::string password_problem(const std::string& password);

}  // namespace lgsp::onestop
