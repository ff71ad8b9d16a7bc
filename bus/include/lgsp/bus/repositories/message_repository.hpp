// Accepted messages and what became of them: tables message, message_body and delivery_attempt.
#pragma once

#include "lgsp/bus/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::bus {

// A message as the persist stage accepts it (its body goes in with store_body).
struct NewMessage {
  std::string id;
  std::string client;
  std::string service;
  std::optional<std::string> conversation;
  std::string content_type;
  std::string payload_sha256;
  std::string accepted_at;
  std::int64_t next_attempt_ms = 0;
};

// What a repeated message id is answered with: the original receipt's parts.
struct AcceptedMessage {
  std::string payload_sha256;
  std::string service;
  std::string accepted_at;
  std::string seal;  // the stored form (may name its certificate)
};

// A message as GET /v1/messages/{id} shows it.
struct MessageStatus {
  std::int64_t seq = 0;
  std::string service;
  std::string state;  // accepted, delivering, delivered, dead
  std::string accepted_at;
  std::string seal;
  std::optional<std::string> last_error;
  std::optional<std::string> conversation;
  std::string payload_sha256;
};

struct DeliveryAttempt {
  std::int64_t message_seq = 0;
  std::int64_t attempt = 0;
  std::string at;
  std::optional<std::int64_t> status;  // HTTP status, none when no answer came
  std::optional<std::string> error;
  bool operator==(const DeliveryAttempt&) const = default;
};

// A message the deliverer may send now.
struct DueMessage {
  std::int64_t seq = 0;
  std::string id;
  std::string client;
  std::string service;
  std::optional<std::string> conversation;
  std::string content_type;
  std::optional<Blob> payload;  // none once dropped
  std::string accepted_at;
  std::string seal;
  std::int64_t attempts = 0;
  std::string payload_sha256;
  std::int64_t replayed_after = 0;
};

// A delivery's outcome: the message's new state.
struct DeliveryState {
  std::int64_t seq = 0;
  std::string state;  // delivering, delivered, dead
  std::int64_t attempts = 0;
  std::int64_t next_attempt_ms = 0;
  std::optional<std::string> last_error;
  // Set on a shared store: the node whose claim the delivery ran under. The state is recorded only while that
  // claim still holds (a node whose lease ran out and whose message another node took over records nothing),
  // and recording it ends the claim.
  std::optional<std::string> claimed_by;
};

// Messages waiting for one service (metrics).
struct ServiceQueue {
  std::string service;
  std::int64_t depth = 0;
  std::optional<std::string> oldest_accepted_at;
};

struct DeadMessage {
  std::int64_t seq = 0;
  std::string client;
  std::string id;
  std::string service;
  std::string accepted_at;
  std::int64_t attempts = 0;
  std::optional<std::string> last_error;
};

// A stored message with its body, as the log audit compares it with the log.
struct StoredMessage {
  std::int64_t seq = 0;
  std::string id;
  std::string client;
  std::string service;
  std::string payload_sha256;
  std::string accepted_at;
  std::string state;
  std::int64_t attempts = 0;
  bool has_body = false;            // a message_body row exists
  std::optional<Blob> payload;      // none when dropped (or no body)
  bool payload_not_a_blob = false;  // the payload column holds something else (the store was changed)
  std::string seal;                 // empty without a body
};

class MessageRepository {
 public:
  virtual ~MessageRepository() = default;

  // Inserts an accepted message; its seq, or none when the client already used this id (the row is
  // left as it was).
  virtual std::optional<std::int64_t> accept(Transaction& tx, const NewMessage& m) const = 0;
  virtual void store_body(Transaction& tx, std::int64_t seq, Blob payload, const std::string& seal) const = 0;
  // The idempotency lookup.
  virtual std::optional<AcceptedMessage> find_accepted(Transaction& tx, const std::string& client,
                                                       const std::string& id) const = 0;
  virtual std::optional<MessageStatus> find_status(Transaction& tx, const std::string& client,
                                                   const std::string& id) const = 0;
  virtual std::vector<DeliveryAttempt> attempts(Transaction& tx, std::int64_t seq) const = 0;

  // Up to `limit` messages due at `now_ms`, oldest due first, none whose conversation has an older
  // message still undelivered (accepted, delivering or dead): per-conversation order.
  virtual std::vector<DueMessage> due(Transaction& tx, std::int64_t now_ms, std::int64_t limit) const = 0;
  // The same messages, claimed for `node` until now_ms + lease_ms (several nodes on one database): a message
  // another node holds an unexpired claim on is not due, nor is a later one of its conversation. On PostgreSQL
  // rows another transaction is claiming are skipped (FOR UPDATE SKIP LOCKED), so nodes never wait on each other
  // nor claim one message twice. A write: run it in Store::write.
  virtual std::vector<DueMessage> claim_due(Transaction& tx, std::int64_t now_ms, std::int64_t limit,
                                            const std::string& node, std::int64_t lease_ms) const = 0;
  // Ends every claim `node` holds on a message still to be delivered (the node starts or stops): those messages
  // are due again at once instead of after the lease. How many.
  virtual std::int64_t release_claims(Transaction& tx, const std::string& node) const = 0;
  virtual void record_attempt(Transaction& tx, const DeliveryAttempt& a) const = 0;
  // False when nothing was recorded: no such message, or s.claimed_by no longer holds its claim.
  virtual bool set_delivery_state(Transaction& tx, const DeliveryState& s) const = 0;
  // After delivery to a service that keeps no payloads: only the digest stays.
  virtual void drop_payload(Transaction& tx, std::int64_t seq) const = 0;
  virtual std::vector<ServiceQueue> queues(Transaction& tx) const = 0;
  // Messages to `service` still to be delivered (accepted or delivering).
  virtual std::int64_t count_undelivered(Transaction& tx, const std::string& service) const = 0;

  // The dead-letter queue, in acceptance order.
  virtual std::vector<DeadMessage> dead(Transaction& tx) const = 0;
  // Dead messages by id and/or client (each optional), in acceptance order.
  virtual std::vector<DeadMessage> find_dead(Transaction& tx, const std::optional<std::string>& id,
                                             const std::optional<std::string>& client) const = 0;
  // Back in line: due at `now_ms`, the retry policy counting from `replayed_after` attempts.
  virtual void requeue(Transaction& tx, std::int64_t seq, std::int64_t now_ms, std::int64_t replayed_after) const = 0;

  // Up to `limit` messages after `after_seq`, in seq order, with their bodies.
  virtual std::vector<StoredMessage> page(Transaction& tx, std::int64_t after_seq, std::int64_t limit) const = 0;
};

}  // namespace lgsp::bus
