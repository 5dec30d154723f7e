// When the next directory sync is due and of which kind (pure: times are passed in):
// full every full_sync_interval, incremental in between, failed runs retried with backoff.
#pragma once
#include <chrono>
#include <optional>

#include "directory/directory_writer.hpp"
#include "directory/sync_settings.hpp"

namespace commonroom::directory {

class SyncSchedule {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  struct Due {
    SyncKind kind;
    TimePoint at;
  };

  explicit SyncSchedule(const LdapSettings& settings);

  // What the database remembers from earlier processes (directory_sync_runs), so a
  // restart neither forgets the rhythm nor resets the backoff after failures.
  struct History {
    std::optional<TimePoint> last_full_good, last_good;
    unsigned failures_since_good = 0;  // failed runs after the last good one
    SyncKind last_failed_kind = SyncKind::full;
    TimePoint last_failure{};  // when the newest failed run finished
  };
  void restore(const History& history);
  // New intervals and retry backoff (a configuration reload); the history is kept, so the
  // next sync is due relative to the last one, not to the reload.
  void set_intervals(const LdapSettings& settings);
  // The outcome of a run (ok and partial count as good).
  void record(SyncKind kind, RunStatus status, TimePoint started, TimePoint finished);

  Due next() const;
  unsigned consecutive_failures() const { return failures_; }

 private:
  std::chrono::seconds full_interval_, incremental_interval_, retry_initial_, retry_max_;
  std::optional<TimePoint> last_full_good_, last_good_;
  unsigned failures_ = 0;
  SyncKind failed_kind_ = SyncKind::full;
  TimePoint last_failure_{};
};

}  // namespace commonroom::directory
