// The `vxp` adapter kind: the connector to the national document-exchange axis (VXP) for organs outside the
// province. Outbound, the node delivers to it the edXML packages and status replies addressed to the organs it
// serves, and it sends each to the axis (sendEdoc), once per message id. Inbound, it polls the axis
// (getReceivedEdocList), fetches each document (getEdoc), hands it to the node's edXML route as its own subsystem
// and, after the node's 202, acknowledges it on the axis (updateStatus "done"): a restart neither loses nor
// duplicates, the axis's DocId being the key. See docs/adapters.md#national-document-exchange-axis-vxp.
#pragma once

#include "lgsp/adapters/adapter.hpp"

#include <memory>
#include <string>
#include <vector>

namespace lgsp::adapters {

// What `lgsp adapter vxp agencies` needs from a vxp adapter made from the config (not started).
class VxpConnector : public Adapter {
 public:
  struct AgencyRow {
    std::string id, code, name, pid, mail;
  };
  // getAgenciesList on the axis: the organs it connects. Throws std::runtime_error with the reason when the
  // axis does not answer as its API says.
  virtual std::vector<AgencyRow> list_agencies() = 0;
};

std::unique_ptr<Adapter> make_vxp_adapter(ConfigTable& table);

}  // namespace lgsp::adapters
