// A running one-stop office (`lgsp onestop serve`): its store and files, the /onestop/v1 API on its own
// listener, and the sender that hands the office's outgoing messages to the bus, in order per dossier, with
// retries (the outbox is durable, so a restart resends what was not yet accepted by the bus).
#pragma once

#include "lgsp/bus/config.hpp"
#include "lgsp/bus/store.hpp"
#include "lgsp/onestop/calendar.hpp"
#include "lgsp/onestop/config.hpp"

#include <memory>

namespace lgsp::onestop {

class OneStopOffice;

class OnestopServer {
 public:
  // Opens the store (migrating it), loads the calendar; throws bus::ConfigError / bus::StoreError.
  explicit OnestopServer(OnestopConfig config);
  ~OnestopServer();
  OnestopServer(const OnestopServer&) = delete;
  OnestopServer& operator=(const OnestopServer&) = delete;

  void start();  // binds the listener (throws bus::ConfigError) and starts the bus sender
  bus::HostPort endpoint() const;
  OneStopOffice& office();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Opens the office's store with the calendar and agency of `config`, for the CLI commands that do not serve.
struct OfflineOffice {
  explicit OfflineOffice(const OnestopConfig& config);
  ~OfflineOffice();
  OneStopOffice& office();
  bus::Store& store();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

WorkingCalendar load_calendar(const OnestopConfig& config);

}  // namespace lgsp::onestop
