// Keeps the rooms engine's linked memberships (who belongs to which institution and group)
// equal to the directory in PostgreSQL: LISTENs for directory changes (a sync or an
// opt-out notifies), checks the directory's data version every poll interval in case a
// notification was missed, and reloads whenever the version moved.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "muc/link_directory.hpp"

namespace Poco {
class Logger;
}

namespace commonroom::app {

class LinkWatcher {
 public:
  // `apply` gets each newly loaded directory (on the watcher's thread).
  using Apply = std::function<void(std::shared_ptr<const muc::LinkDirectory>)>;
  LinkWatcher(std::string database_uri, Apply apply, Poco::Logger& log,
              std::chrono::seconds poll_interval);
  ~LinkWatcher();  // stop()s
  LinkWatcher(const LinkWatcher&) = delete;
  LinkWatcher& operator=(const LinkWatcher&) = delete;

  // Loads on the caller's thread (at start, before the host connection opens); nullptr when
  // PostgreSQL cannot be read (logged; the watcher keeps trying once started).
  std::shared_ptr<const muc::LinkDirectory> load();
  void start();
  void stop();  // idempotent; returns within a fraction of a second

  struct State;  // the runtime never sees libpqxx

 private:
  std::unique_ptr<State> state_;
};

}  // namespace commonroom::app
