// The sync job's own store (<state_dir>/portal-sync.db, SQLite, synchronous=FULL): the checkpoint (the last
// outbox id the portal confirmed or that was dead-lettered), the record waiting on an answer that was not
// what the API says, the dead letters (bounded, oldest dropped and counted) and the counters the metrics
// show. A confirmation and its checkpoint, or a dead letter and its checkpoint, are one transaction.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lgsp::portal {

struct DeadLetter {
  std::int64_t id = 0;
  std::int64_t outbox_id = 0;
  std::string dossier_code, service;
  std::string record;  // the outbox record's JSON text, as the office wrote it
  std::string error_code, reason;
  std::int64_t at = 0;  // unix seconds
  std::int64_t attempts = 0;
};

struct PendingRecord {
  std::int64_t outbox_id = 0;
  std::string reason;
  std::int64_t since = 0;  // unix seconds of the first failure
  std::int64_t attempts = 0;
};

struct SyncStats {
  std::int64_t checkpoint = 0;
  std::int64_t confirmed = 0;      // records the portal confirmed (sent or found already there)
  std::int64_t already_there = 0;  // of which found at the portal already (a resend avoided)
  std::int64_t refused = 0;        // dead-lettered, ever
  std::int64_t letters = 0;        // dead letters kept now
  std::int64_t letters_dropped = 0;
  std::int64_t last_success_at = 0;  // unix seconds; 0: never
};

class SyncState {
 public:
  SyncState(const std::filesystem::path& file, std::int64_t max_letters);
  ~SyncState();
  SyncState(const SyncState&) = delete;
  SyncState& operator=(const SyncState&) = delete;

  std::int64_t checkpoint() const;
  // The portal confirmed outbox record `outbox_id` (ids only grow): checkpoint, counters, pending cleared.
  // `dossier_code` given for a DongBoHoSoMC: the newest dossier state the portal holds (see newest_state).
  void confirm(std::int64_t outbox_id, bool already_there, std::int64_t now, const std::string& dossier_code = "");
  // The outbox id of the newest DongBoHoSoMC of that dossier the portal confirmed; 0: none. A dead letter
  // older than it must not be replayed: it would put an older state of the dossier over a newer one.
  std::int64_t newest_state(const std::string& dossier_code) const;
  void note_dossier_state(const std::string& dossier_code, std::int64_t outbox_id);
  // The portal refused it: kept as a dead letter and passed, in one transaction.
  void dead_letter(const DeadLetter& letter, std::int64_t now);
  // Whether outbox record `outbox_id` of that dossier is a dead letter (still kept).
  bool dead_lettered(std::int64_t outbox_id, const std::string& dossier_code) const;
  // The record at the head waits: its reason (attempts counted while it is the same record).
  void set_pending(std::int64_t outbox_id, const std::string& reason, std::int64_t now);
  std::optional<PendingRecord> pending() const;

  std::vector<DeadLetter> letters(std::int64_t after_id, int limit) const;
  std::optional<DeadLetter> letter(std::int64_t id) const;
  // Replayed: confirmed by the portal (`dossier_code` for a DongBoHoSoMC), or superseded (not counted).
  void remove_letter(std::int64_t id, std::int64_t now, bool confirmed = true);
  void letter_failed(std::int64_t id, const std::string& error_code, const std::string& reason);

  SyncStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lgsp::portal
