// The background thread that runs directory syncs when the schedule says so (and on demand).
#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "directory/directory_writer.hpp"
#include "directory/sync_schedule.hpp"

namespace commonroom::directory {

class SyncJob {
 public:
  // Runs one sync of the given kind and returns its record (LdapSync::run in production).
  using RunFn = std::function<SyncRunRecord(SyncKind)>;

  SyncJob(SyncSchedule schedule, RunFn run);
  ~SyncJob();  // stops and joins
  SyncJob(const SyncJob&) = delete;
  SyncJob& operator=(const SyncJob&) = delete;

  void start();
  // Waits for a running sync to finish (a sync is not interrupted half-way).
  void stop();
  // Runs a sync of this kind as soon as the current one (if any) is done.
  void request(SyncKind kind);
  // New intervals from a reloaded configuration; the next sync is worked out again at once.
  void reschedule(const LdapSettings& settings);
  // The newest finished run, for status pages.
  std::optional<SyncRunRecord> last_run() const;

 private:
  void loop();

  SyncSchedule schedule_;
  RunFn run_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<SyncKind> requested_;
  bool rescheduled_ = false;  // the waiting loop works out the next sync again
  std::optional<SyncRunRecord> last_run_;
  std::thread thread_;
};

}  // namespace commonroom::directory
