// The retention job that `commonroom run` starts when [database] is configured and
// [policy] retention_days > 0: purges room events older than retention_days (except those
// under a legal hold, store/retention.hpp) at start and every retention_check_hours.
#pragma once
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/config.hpp"
#include "store/retention.hpp"

namespace commonroom::app {

// The log line for one purge ("retention: purged N room events older than D days ...").
std::string describe_purge(const store::PurgeResult& r, int days);

// Runs one purge with its own connection (actor 'system' unless given). Throws on error.
store::PurgeResult run_retention_purge(const Config& config, const std::string& actor = "system");

class RetentionJob {
 public:
  explicit RetentionJob(const Config& config);
  ~RetentionJob();  // stops and joins
  RetentionJob(const RetentionJob&) = delete;
  RetentionJob& operator=(const RetentionJob&) = delete;

  void start();
  // Returns promptly: a purge in progress finishes (one transaction), no further one starts.
  void stop();

 private:
  void loop();

  Config config_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// The job for `run`, or nullptr when there is no [database] or retention_days is 0.
std::unique_ptr<RetentionJob> start_retention_job(const Config& config);

}  // namespace commonroom::app
