// A thread that keeps something in step with PostgreSQL: it LISTENs on one channel and calls
// `refresh` whenever a notification arrives, the connection is new (anything may have
// changed while nobody listened), or the interval `refresh` asked for has passed (in case a
// notification was missed). When PostgreSQL goes away it reconnects with backoff; whatever
// was applied before stays in force meanwhile. Serves the service-ban and linked-room
// watchers.
#pragma once
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>

namespace pqxx {
class connection_base;
}

namespace commonroom::app {

class PgChannelWatcher {
 public:
  struct Hooks {
    // Reads and applies; returns how long until it must run again without a notification.
    // Throwing counts as PostgreSQL failing: the connection is dropped and retried.
    std::function<std::chrono::steady_clock::duration(pqxx::connection_base&)> refresh;
    // The first failure of a run of failures (later ones are not reported until it recovers).
    std::function<void(const std::exception&)> failed;
    // The first successful refresh after a failure.
    std::function<void()> recovered;
    // Optional: each notification's payload, on the watcher's thread as it arrives (before
    // the refresh it triggers). Must not throw.
    std::function<void(const std::string& payload)> notice;
  };

  PgChannelWatcher(std::string database_uri, std::string channel, Hooks hooks,
                   std::chrono::seconds max_backoff);
  ~PgChannelWatcher();  // stop()s
  PgChannelWatcher(const PgChannelWatcher&) = delete;
  PgChannelWatcher& operator=(const PgChannelWatcher&) = delete;

  const std::string& database_uri() const;
  void start();  // idempotent
  void stop();   // idempotent; returns within a fraction of a second

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace commonroom::app
