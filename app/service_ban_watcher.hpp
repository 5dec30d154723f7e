// Keeps the rooms engine's service-wide bans equal to what PostgreSQL holds: LISTENs on the
// bans channel (the command line notifies it) and reloads on every notification, when the
// soonest ban expires, and every poll interval in case a notification was missed.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "muc/service_ban.hpp"

namespace Poco {
class Logger;
}

namespace commonroom::app {

class ServiceBanWatcher {
 public:
  // `apply` gets the complete list in force whenever it changes (on the watcher's thread).
  using Apply = std::function<void(std::vector<muc::ServiceBan>)>;
  ServiceBanWatcher(std::string database_uri, Apply apply, Poco::Logger& log,
                    std::chrono::seconds poll_interval = std::chrono::seconds(60));
  ~ServiceBanWatcher();  // stop()s
  ServiceBanWatcher(const ServiceBanWatcher&) = delete;
  ServiceBanWatcher& operator=(const ServiceBanWatcher&) = delete;

  // The bans in force now, read on the caller's thread (at start, before the host connection
  // connects). Throws when PostgreSQL cannot be read.
  std::vector<muc::ServiceBan> load();
  void start();
  void stop();  // idempotent; returns within a fraction of a second

  struct State;  // the runtime never sees libpqxx

 private:
  std::unique_ptr<State> state_;
};

}  // namespace commonroom::app
