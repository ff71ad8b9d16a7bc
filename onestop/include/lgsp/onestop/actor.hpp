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

// Where an account may look. Every account works for one unit (an agency code) and sees and acts on that unit's
// dossiers, e-profiles, files, reports and outbox records only. A provincial supervisor's account has scope
// "province": it may also READ every unit's records (never act on another unit's dossiers). Set only from the
// CLI or by an admin who has that scope.
enum class Scope { kUnit, kProvince };
std::string to_string(Scope s);
Scope scope_from_string(const std::string& name);  // "unit" or "province"; std::invalid_argument otherwise

struct Actor {
  std::string username;
  std::string name;   // display name, recorded in the history
  std::string title;  // "Công chức Tư pháp - Hộ tịch"
  Role role = Role::kSystem;
  std::string unit;           // agency code of the unit the user works for
  std::string customer_code;  // citizens: their e-profile
  Scope scope = Scope::kUnit;
};

}  // namespace lgsp::onestop
