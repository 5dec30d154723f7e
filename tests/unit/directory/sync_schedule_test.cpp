// When directory syncs run: full on its interval, incremental in between, failures retried
// with a growing delay.
#include "directory/sync_schedule.hpp"

#include <gtest/gtest.h>

namespace commonroom::directory {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

LdapSettings settings() {
  LdapSettings s;
  s.full_sync_interval = 24h;
  s.incremental_interval = 15min;
  s.retry_initial = 30s;
  s.retry_max = 10min;
  return s;
}

const TimePoint t0 = std::chrono::system_clock::from_time_t(1706702400);

TEST(SyncSchedule, FirstEverSyncIsFullAndImmediate) {
  SyncSchedule s(settings());
  auto due = s.next();
  EXPECT_EQ(due.kind, SyncKind::full);
  EXPECT_LE(due.at, t0);
}

TEST(SyncSchedule, IncrementalBetweenFullSyncs) {
  SyncSchedule s(settings());
  s.record(SyncKind::full, RunStatus::ok, t0, t0 + 40s);
  auto due = s.next();
  EXPECT_EQ(due.kind, SyncKind::incremental);
  EXPECT_EQ(due.at, t0 + 15min);
  s.record(SyncKind::incremental, RunStatus::ok, t0 + 15min, t0 + 15min + 1s);
  EXPECT_EQ(s.next().at, t0 + 30min);
}

TEST(SyncSchedule, NewIntervalsCountFromTheLastSyncNotFromTheChange) {
  SyncSchedule s(settings());
  s.record(SyncKind::full, RunStatus::ok, t0, t0 + 40s);
  auto faster = settings();
  faster.incremental_interval = 5min;
  s.set_intervals(faster);
  auto due = s.next();
  EXPECT_EQ(due.kind, SyncKind::incremental);
  EXPECT_EQ(due.at, t0 + 5min);
}

TEST(SyncSchedule, FullSyncWhenItsIntervalIsUp) {
  SyncSchedule s(settings());
  s.restore({.last_full_good = t0 - 24h, .last_good = t0 - 10min});
  auto due = s.next();
  EXPECT_EQ(due.kind, SyncKind::full);
  EXPECT_EQ(due.at, t0);
}

TEST(SyncSchedule, IncrementalCanBeSwitchedOff) {
  auto cfg = settings();
  cfg.incremental_interval = 0s;
  SyncSchedule s(cfg);
  s.record(SyncKind::full, RunStatus::ok, t0, t0 + 1min);
  EXPECT_EQ(s.next().kind, SyncKind::full);
  EXPECT_EQ(s.next().at, t0 + 24h);
}

TEST(SyncSchedule, FailuresRetryTheSameKindWithGrowingDelayUpToTheCap) {
  SyncSchedule s(settings());
  s.record(SyncKind::full, RunStatus::ok, t0, t0 + 1min);
  TimePoint t = t0 + 15min;
  std::vector<std::chrono::seconds> delays;
  for (int i = 0; i < 7; ++i) {
    s.record(SyncKind::incremental, RunStatus::failed, t, t + 10s);
    auto due = s.next();
    EXPECT_EQ(due.kind, SyncKind::incremental);
    delays.push_back(std::chrono::duration_cast<std::chrono::seconds>(due.at - (t + 10s)));
    t = due.at;
  }
  EXPECT_EQ(delays, (std::vector<std::chrono::seconds>{30s, 60s, 120s, 240s, 480s, 600s, 600s}));
  EXPECT_EQ(s.consecutive_failures(), 7u);
  // Success resets the backoff and the normal rhythm resumes.
  s.record(SyncKind::incremental, RunStatus::ok, t, t + 1s);
  EXPECT_EQ(s.consecutive_failures(), 0u);
  EXPECT_EQ(s.next().at, t + 15min);
}

TEST(SyncSchedule, RestartKeepsBackingOffAfterFailures) {
  SyncSchedule s(settings());
  s.restore({.last_full_good = t0 - 1h,
             .last_good = t0 - 30min,
             .failures_since_good = 3,
             .last_failed_kind = SyncKind::incremental,
             .last_failure = t0});
  auto due = s.next();
  EXPECT_EQ(due.kind, SyncKind::incremental);
  EXPECT_EQ(due.at, t0 + 120s);  // the fourth attempt waits 30 s * 2^2
}

TEST(SyncSchedule, PartialRunCountsAsGood) {
  SyncSchedule s(settings());
  s.record(SyncKind::full, RunStatus::partial, t0, t0 + 1min);
  EXPECT_EQ(s.next().kind, SyncKind::incremental);
  EXPECT_EQ(s.consecutive_failures(), 0u);
}

}  // namespace
}  // namespace commonroom::directory
