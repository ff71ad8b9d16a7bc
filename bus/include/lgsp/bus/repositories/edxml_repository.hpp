// edXML document exchange (docs/edxml.md): which member system answers for an organ id (QCVN 102 OrganId), the
// documents the node accepted for each addressee, and the status replies recorded against them.
#pragma once

#include "lgsp/bus/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::bus {

// An organ id handled by one subsystem: its edXML arrives at the subsystem's services
// `<subsystem>/edxml-document/v1` (packages) and `<subsystem>/edxml-status/v1` (status replies).
struct EdxmlOrgan {
  std::string organ_id;   // e.g. "000.00.21.H41"
  std::string subsystem;  // "MEMBER/NAME"
  std::string name;       // the organ's name, for operators
  std::string created_at;
};

// One package (or status reply) the node accepted for one addressee.
struct EdxmlDelivery {
  std::int64_t id = 0;
  std::string kind;         // "document" or "status"
  std::string document_id;  // DocumentId (of the document a status answers, for a status)
  std::string from_organ;
  std::string to_organ;
  std::string client;      // the sending subsystem
  std::string service;     // the addressee's service
  std::string message_id;  // the exchange message carrying it
  std::string subject;     // bounded, for listings
  std::string accepted_at;
};

// A status reply (StatusCode 01 ... 16) recorded against a document.
struct EdxmlStatus {
  std::int64_t id = 0;
  std::string document_id;
  std::string from_organ;   // the addressee reporting
  std::string status_code;  // two digits
  std::string description;  // bounded
  std::string timestamp;    // the reply's own Timestamp ("yyyy/MM/dd HH:mm:ss", Vietnam time)
  std::string message_id;   // the exchange message that carried it back
  std::string recorded_at;
};

class EdxmlRepository {
 public:
  virtual ~EdxmlRepository() = default;

  // Adds or moves an organ id to a subsystem (which must exist).
  virtual void put_organ(Transaction& tx, const EdxmlOrgan& organ) const = 0;
  // Whether an organ id was removed.
  virtual bool remove_organ(Transaction& tx, const std::string& organ_id) const = 0;
  virtual std::optional<EdxmlOrgan> find_organ(Transaction& tx, const std::string& organ_id) const = 0;
  // All organs, ordered by id, up to `limit`.
  virtual std::vector<EdxmlOrgan> organs(Transaction& tx, std::int64_t limit) const = 0;

  // Records one accepted delivery; a repeated (client, message id) is kept once. Returns whether it was new.
  virtual bool record_delivery(Transaction& tx, const EdxmlDelivery& delivery) const = 0;
  // Deliveries of a document id (its package to each addressee and the status replies), oldest first.
  virtual std::vector<EdxmlDelivery> deliveries(Transaction& tx, const std::string& document_id,
                                                std::int64_t limit) const = 0;
  // Packages addressed to an organ ("document" deliveries), newest first.
  virtual std::vector<EdxmlDelivery> inbox(Transaction& tx, const std::string& to_organ, std::int64_t limit) const = 0;

  // Records a status reply; a repeated (document, organ, message id) is kept once. Returns whether it was new.
  virtual bool record_status(Transaction& tx, const EdxmlStatus& status) const = 0;
  // A document's status replies, oldest first.
  virtual std::vector<EdxmlStatus> statuses(Transaction& tx, const std::string& document_id,
                                            std::int64_t limit) const = 0;
};

// The edXML repository for the backend `tx` runs on; throws StoreError for a backend without one.
const EdxmlRepository& edxml_repository(const Transaction& tx);

}  // namespace lgsp::bus
