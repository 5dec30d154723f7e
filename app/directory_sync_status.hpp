// Keeps the directory sync status the admin web's /metrics shows: polls PostgreSQL on its
// own thread and keeps the last snapshot, so a scrape never waits on the database.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "admin-web/link_state.hpp"

namespace commonroom::app {

class DirectorySyncStatusPoller {
 public:
  DirectorySyncStatusPoller(std::string database_uri, std::chrono::seconds interval);
  ~DirectorySyncStatusPoller();  // stops and joins
  DirectorySyncStatusPoller(const DirectorySyncStatusPoller&) = delete;
  DirectorySyncStatusPoller& operator=(const DirectorySyncStatusPoller&) = delete;

  void start();
  void stop();
  // The latest snapshot (any thread). Before the first read: readable = false, no figures.
  admin_web::DirectorySyncState snapshot() const;

 private:
  void loop();
  void poll();

  std::string uri_;
  std::chrono::seconds interval_;
  // Poll thread only: people are recounted only when the data version moved.
  std::optional<std::int64_t> counted_version_;
  std::string last_error_;
  mutable std::mutex mutex_;
  admin_web::DirectorySyncState state_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace commonroom::app
