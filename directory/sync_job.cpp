#include "directory/sync_job.hpp"

#include <Poco/Logger.h>

#include <ctime>

namespace commonroom::directory {

SyncJob::SyncJob(SyncSchedule schedule, RunFn run)
    : schedule_(std::move(schedule)), run_(std::move(run)) {}

SyncJob::~SyncJob() {
  stop();
}

void SyncJob::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void SyncJob::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SyncJob::request(SyncKind kind) {
  {
    std::lock_guard lock(mutex_);
    // A requested full sync is not downgraded by a later incremental request.
    if (!requested_ || kind == SyncKind::full) requested_ = kind;
  }
  wake_.notify_all();
}

void SyncJob::reschedule(const LdapSettings& settings) {
  {
    std::lock_guard lock(mutex_);
    schedule_.set_intervals(settings);
    rescheduled_ = true;
  }
  wake_.notify_all();
}

std::optional<SyncRunRecord> SyncJob::last_run() const {
  std::lock_guard lock(mutex_);
  return last_run_;
}

void SyncJob::loop() {
  auto& log = Poco::Logger::get("directory");
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto due = schedule_.next();
    SyncKind kind = due.kind;
    if (!requested_) {
      const std::time_t at = std::chrono::system_clock::to_time_t(due.at);
      char buf[32] = "now";
      if (due.at > std::chrono::system_clock::now()) {
        std::tm tm{};
        gmtime_r(&at, &tm);
        std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
      }
      log.debug("directory sync: next " + std::string(to_string(kind)) + " sync at " + buf);
      wake_.wait_until(lock, due.at,
                       [&] { return stopping_ || rescheduled_ || requested_.has_value(); });
      if (stopping_) break;
      if (rescheduled_) {
        rescheduled_ = false;
        continue;
      }
      // Woken by a request, or the time has come (wait_until may wake a little early).
      if (!requested_ && std::chrono::system_clock::now() < due.at) continue;
    }
    if (requested_) {
      kind = *requested_;
      requested_.reset();
    }
    lock.unlock();
    SyncRunRecord record;
    try {
      record = run_(kind);
    } catch (const std::exception& e) {
      // run_ reports failures in the record; this is a bug, but it must not end the thread.
      record.kind = kind;
      record.status = RunStatus::failed;
      record.started_at = record.finished_at = std::chrono::system_clock::now();
      record.error = e.what();
      log.error("directory sync: " + record.error);
    }
    lock.lock();
    schedule_.record(record.kind, record.status, record.started_at, record.finished_at);
    last_run_ = record;
    if (record.status == RunStatus::failed) {
      const auto retry = schedule_.next();
      const auto in_s =
          std::chrono::duration_cast<std::chrono::seconds>(retry.at - record.finished_at).count();
      log.warning("directory sync: serving the last good data; retrying in " +
                  std::to_string(in_s) + " s (failure " +
                  std::to_string(schedule_.consecutive_failures()) + " in a row)");
    }
  }
}

}  // namespace commonroom::directory
