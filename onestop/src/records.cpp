#include "lgsp/onestop/records.hpp"

namespace lgsp::onestop {

nlohmann::json identity_json(const CitizenIdentity& id) {
  return {{"full_name", id.full_name},
          {"id_number", id.id_number},
          {"date_of_birth", id.date_of_birth},
          {"gender", id.gender},
          {"hometown", id.hometown},
          {"ethnicity", id.ethnicity},
          {"nationality", id.nationality},
          {"permanent_address", id.permanent_address},
          {"phone", id.phone},
          {"email", id.email},
          {"current_address", id.current_address}};
}

CitizenIdentity identity_from_stored(const nlohmann::json& j) {
  auto s = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  return CitizenIdentity{s("full_name"), s("id_number"), s("date_of_birth"),  s("gender"),
                         s("hometown"),  s("ethnicity"), s("nationality"),    s("permanent_address"),
                         s("phone"),     s("email"),     s("current_address")};
}

}  // namespace lgsp::onestop
