#include "app/directory_sync_status.hpp"

#include <Poco/Logger.h>

#include "store/database.hpp"
#include "store/directory_store.hpp"

namespace commonroom::app {

namespace {

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

DirectorySyncStatusPoller::DirectorySyncStatusPoller(std::string database_uri,
                                                     std::chrono::seconds interval)
    : uri_(std::move(database_uri)), interval_(interval) {}

DirectorySyncStatusPoller::~DirectorySyncStatusPoller() {
  stop();
}

void DirectorySyncStatusPoller::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void DirectorySyncStatusPoller::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

admin_web::DirectorySyncState DirectorySyncStatusPoller::snapshot() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void DirectorySyncStatusPoller::loop() {
  for (;;) {
    poll();
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
  }
}

void DirectorySyncStatusPoller::poll() {
  try {
    // A connection per poll, as the index refresher does: nothing to go stale while
    // PostgreSQL restarts.
    store::Database db(uri_);
    store::DirectoryStore st(db);
    store::DirectorySyncStatus s = st.sync_status();
    std::optional<uint64_t> people;
    // Counting 200,000 rows takes a while; the version says whether anything changed.
    if (counted_version_ != s.data_version) people = st.people_count();

    std::lock_guard lock(mutex_);
    state_.readable = true;
    if (people) {
      state_.people = *people;
      counted_version_ = s.data_version;
    }
    state_.last_status = s.last_status ? std::string(directory::to_string(*s.last_status)) : "";
    state_.last_success.reset();
    state_.last_full_success.reset();
    state_.last_failure.reset();
    if (s.last_success) state_.last_success = unix_seconds(*s.last_success);
    if (s.last_full_success) state_.last_full_success = unix_seconds(*s.last_full_success);
    if (s.last_failure) state_.last_failure = unix_seconds(*s.last_failure);
    state_.last_failure_message = s.last_failure_message;
    last_error_.clear();
  } catch (const std::exception& e) {
    {
      std::lock_guard lock(mutex_);
      state_.readable = false;
    }
    if (e.what() != last_error_) {
      Poco::Logger::get("directory")
          .warning(std::string("directory sync status: cannot read it from PostgreSQL "
                               "(/metrics shows the last figures read): ") +
                   e.what());
      last_error_ = e.what();
    }
  }
}

}  // namespace commonroom::app
