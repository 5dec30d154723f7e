// The sync thread: runs what the schedule says, runs on request, stops cleanly.
#include "directory/sync_job.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <vector>

namespace commonroom::directory {
namespace {

using namespace std::chrono_literals;

struct Recorder {
  std::mutex m;
  std::condition_variable cv;
  std::vector<SyncKind> kinds;
  RunStatus status = RunStatus::ok;

  SyncRunRecord run(SyncKind kind) {
    SyncRunRecord r;
    r.kind = kind;
    r.status = status;
    r.started_at = r.finished_at = std::chrono::system_clock::now();
    std::lock_guard lock(m);
    kinds.push_back(kind);
    cv.notify_all();
    return r;
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, 5s, [&] { return kinds.size() >= n; });
  }
};

TEST(SyncJob, FirstSyncIsFullAndImmediateThenRequestsRunAtOnce) {
  Recorder rec;
  LdapSettings s;  // 24 h / 15 min: nothing else would run during the test
  SyncJob job(SyncSchedule(s), [&](SyncKind k) { return rec.run(k); });
  job.start();
  ASSERT_TRUE(rec.wait_for(1));
  job.request(SyncKind::incremental);
  ASSERT_TRUE(rec.wait_for(2));
  job.request(SyncKind::full);
  ASSERT_TRUE(rec.wait_for(3));
  job.stop();
  std::lock_guard lock(rec.m);
  EXPECT_EQ(rec.kinds,
            (std::vector<SyncKind>{SyncKind::full, SyncKind::incremental, SyncKind::full}));
  ASSERT_TRUE(job.last_run());
  EXPECT_EQ(job.last_run()->kind, SyncKind::full);
}

TEST(SyncJob, RescheduleWakesTheWaitingJobWithTheNewInterval) {
  Recorder rec;
  LdapSettings s;  // the next sync would be 15 min after the first
  SyncJob job(SyncSchedule(s), [&](SyncKind k) { return rec.run(k); });
  job.start();
  ASSERT_TRUE(rec.wait_for(1));
  s.incremental_interval = 1s;
  job.reschedule(s);
  ASSERT_TRUE(rec.wait_for(2));  // about a second later, not a quarter of an hour
  job.stop();
  std::lock_guard lock(rec.m);
  EXPECT_EQ(rec.kinds[1], SyncKind::incremental);
}

TEST(SyncJob, FailedSyncIsRetriedAfterTheBackoff) {
  Recorder rec;
  rec.status = RunStatus::failed;
  LdapSettings s;
  s.retry_initial = 1s;
  s.retry_max = 1s;
  SyncJob job(SyncSchedule(s), [&](SyncKind k) { return rec.run(k); });
  const auto t0 = std::chrono::steady_clock::now();
  job.start();
  ASSERT_TRUE(rec.wait_for(2));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);  // not hammering a dead server
  job.stop();
  EXPECT_EQ(job.last_run()->status, RunStatus::failed);
}

TEST(SyncJob, StopWhileWaitingReturnsPromptly) {
  Recorder rec;
  SyncJob job(SyncSchedule(LdapSettings{}), [&](SyncKind k) { return rec.run(k); });
  job.start();
  ASSERT_TRUE(rec.wait_for(1));  // now waiting 15 minutes for the next incremental sync
  const auto t0 = std::chrono::steady_clock::now();
  job.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

}  // namespace
}  // namespace commonroom::directory
