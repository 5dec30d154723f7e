#include "app/retention_job.hpp"

#include <Poco/Logger.h>

#include "store/database.hpp"

namespace commonroom::app {

std::string describe_purge(const store::PurgeResult& r, int days) {
  return "retention: purged " + std::to_string(r.deleted) + " room events older than " +
         std::to_string(days) + " days (cutoff " + r.cutoff + "); " + std::to_string(r.held_rooms) +
         " rooms and " + std::to_string(r.held_users) + " users under legal hold kept" +
         (r.unusable_holds == 0
              ? std::string()
              : "; warning: " + std::to_string(r.unusable_holds) +
                    " legal holds name something that is not a JID and protect nothing"
                    " (see commonroom hold list)");
}

store::PurgeResult run_retention_purge(const Config& config, const std::string& actor) {
  store::Database db(config.database_uri);
  return store::purge_room_events(db.connection(), config.retention.days, actor);
}

RetentionJob::RetentionJob(const Config& config) : config_(config) {}

RetentionJob::~RetentionJob() {
  stop();
}

void RetentionJob::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void RetentionJob::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RetentionJob::loop() {
  Poco::Logger& log = Poco::Logger::get("app");
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    try {
      const auto r = run_retention_purge(config_);
      if (r.unusable_holds == 0)
        log.information("%s", describe_purge(r, config_.retention.days));
      else
        log.warning("%s", describe_purge(r, config_.retention.days));
    } catch (const std::exception& e) {
      log.error("retention: purge failed (retrying in %d hours): %s",
                static_cast<int>(config_.retention.check_interval.count()), std::string(e.what()));
    }
    std::unique_lock lock(mutex_);
    if (cv_.wait_for(lock, config_.retention.check_interval, [this] { return stopping_; })) return;
  }
}

std::unique_ptr<RetentionJob> start_retention_job(const Config& config) {
  if (config.database_uri.empty() || config.retention.days <= 0) return nullptr;
  auto job = std::make_unique<RetentionJob>(config);
  job->start();
  return job;
}

}  // namespace commonroom::app
