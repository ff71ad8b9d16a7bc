// Who is acting: an authenticated user of the one-stop API with one role, or the system itself.
#pragma once

#include <string>

namespace lgsp::onestop {

// citizen (files online, follows own dossiers), receiving (bộ phận một cửa: receives, hands back results),
// processing (chuyên viên: processes steps), leader (lãnh đạo: approves and signs), admin (catalogue, users).
// "system" and "remote" are used by the module itself (deadlines, messages from another agency).
enum class Role { kCitizen, kReceiving, kProcessing, kLeader, kAdmin, kSystem, kRemote };
std::string to_string(Role r);
// nullopt-free: throws std::invalid_argument for an unknown name (only the five user roles are accepted).
Role role_from_string(const std::string& name);

struct Actor {
  std::string username;
  std::string name;   // display name, recorded in the history
  std::string title;  // "Công chức Tư pháp - Hộ tịch"
  Role role = Role::kSystem;
  std::string unit;           // agency code of the unit the user works for
  std::string customer_code;  // citizens: their e-profile
};

}  // namespace lgsp::onestop
