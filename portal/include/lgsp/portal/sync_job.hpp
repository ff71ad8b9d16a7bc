// The DVCQG sync job (`lgsp portal sync`): the office outbox, oldest first, after the checkpoint; for each
// DongBoHoSoMC record TraCuuHoSo decides isUpdating (and finds a record the portal already holds, so a resend
// after a crash is not made), then DongBoHoSoMC; a CapNhatTienDoHoSoMC record only after its DongBoHoSoMC was
// confirmed. Each confirmation moves the checkpoint (synchronously on disk) before the next record is sent.
#pragma once

#include "lgsp/portal/config.hpp"
#include "lgsp/portal/dvcqg_client.hpp"
#include "lgsp/portal/office_client.hpp"
#include "lgsp/portal/sync_state.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

namespace lgsp::portal {

// What became of one record.
struct RecordOutcome {
  enum class Kind { confirmed, refused, waiting, superseded };
  Kind kind = Kind::waiting;
  bool already_there = false;  // confirmed without sending: the portal held it already
  std::string error_code, reason;
};

class SyncJob {
 public:
  // `progress`: where the progress bar (a terminal) or one log line per batch goes.
  SyncJob(PortalConfig config, std::ostream& progress, bool terminal);
  ~SyncJob();

  // Runs until `stopping`, or with `once` until the outbox is read to its end. Waits (backoff) while the
  // office or the portal is down. Returns 0.
  int run(bool once, const std::atomic<bool>& stopping);
  // Sends dead letter `id` again; the letter is removed when the portal confirms it.
  RecordOutcome replay(std::int64_t id);

  // Prometheus text: backlog, lag of the oldest record, last success, refusals, ...
  std::string metrics_text() const;
  SyncState& state() { return state_; }

 private:
  RecordOutcome process(const OutboxRecord& r);
  RecordOutcome send_dossier(const OutboxRecord& r);
  RecordOutcome send_progress(const OutboxRecord& r);
  void count_backlog();
  void show_progress(bool final_line);

  PortalConfig config_;
  std::ostream& progress_;
  bool terminal_;
  SyncState state_;
  OfficeClient office_;
  DvcqgClient portal_;
  bool uncertain_ = true;  // the head record's fate at the portal is unknown (just started, or no clear answer)

  mutable std::mutex mutex_;  // the figures below, read by the metrics listener
  std::int64_t backlog_ = 0;
  double oldest_at_ = 0;  // unix seconds of the oldest record not yet confirmed; 0: none
  std::int64_t done_this_run_ = 0;
  std::int64_t total_this_run_ = 0;
  std::string waiting_reason_;
  std::chrono::steady_clock::time_point started_;
};

// "2026-12-04T09:30:00+07:00" (or with fractions, or Z) to unix seconds; nullopt when it is not RFC 3339.
std::optional<double> parse_rfc3339(const std::string& text);

}  // namespace lgsp::portal
