#include "app/directory_index.hpp"

#include <Poco/Logger.h>

#include <cstdio>
#include <memory>

#include "store/database.hpp"
#include "store/directory_index_loader.hpp"

namespace commonroom::app {

DirectoryIndexRefresher::DirectoryIndexRefresher(std::string database_uri,
                                                 directory::PeopleIndexHolder& holder,
                                                 std::chrono::seconds interval)
    : uri_(std::move(database_uri)), holder_(holder), interval_(interval) {}

DirectoryIndexRefresher::~DirectoryIndexRefresher() {
  stop();
}

void DirectoryIndexRefresher::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void DirectoryIndexRefresher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DirectoryIndexRefresher::loop() {
  for (;;) {
    check();
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
  }
}

void DirectoryIndexRefresher::check() {
  auto& log = Poco::Logger::get("directory");
  try {
    // A connection per check: one cheap query every few seconds, and nothing to go stale
    // while PostgreSQL restarts.
    store::Database db(uri_);
    std::int64_t version = store::directory_version(db);
    if (loaded_version_ == version) return;
    store::LoadedDirectory loaded = store::load_directory_index(db);
    const std::size_t people = loaded.index->size();
    const double mib = static_cast<double>(loaded.index->memory_bytes()) / (1024.0 * 1024.0);
    holder_.publish(std::move(loaded.index));
    loaded_version_ = loaded.version;
    char summary[160];
    std::snprintf(summary, sizeof summary,
                  "directory search: %zu people loaded (read %lld ms, index %lld ms, %.1f MiB)",
                  people, static_cast<long long>(loaded.read_time.count()),
                  static_cast<long long>(loaded.build_time.count()), mib);
    log.information(summary);
    last_error_.clear();
  } catch (const std::exception& e) {
    // Searches keep the last good index; say so once per distinct problem, not every poll.
    if (e.what() != last_error_) {
      log.warning(std::string("directory search: cannot load the directory (searches use ") +
                  (holder_.current() ? "the last loaded one" : "nothing yet") + "): " + e.what());
      last_error_ = e.what();
    }
  }
}

}  // namespace commonroom::app
