#include "app/directory_index.hpp"

#include <Poco/Logger.h>

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "app/pg_channel_watcher.hpp"
#include "store/database.hpp"
#include "store/directory_index_loader.hpp"
#include "store/directory_store.hpp"

namespace commonroom::app {

namespace {

// The listener's own periodic refresh only wakes the loader, which polls on its own timer;
// this just keeps the listener from waking it twice per interval.
constexpr std::chrono::hours kListenerRefresh{1};

}  // namespace

struct DirectoryIndexRefresher::State {
  State(std::string u, directory::PeopleIndexHolder& h, std::chrono::seconds i)
      : uri(std::move(u)),
        holder(h),
        interval(i),
        log(Poco::Logger::get("directory")),
        // After a failure the listener retries from 1 s up to the poll interval.
        watcher(uri, std::string(store::kDirectoryChannel),
                {[this](pqxx::connection_base&) {
                   wake();  // at every (re)connect, so nothing missed meanwhile stays missed
                   return std::chrono::steady_clock::duration(kListenerRefresh);
                 },
                 [this](const std::exception& e) {
                   log.warning(std::string("directory search: not listening for directory "
                                           "changes (checking every ") +
                               std::to_string(interval.count()) +
                               " s until PostgreSQL answers): " + e.what());
                 },
                 [this] { log.information("directory search: listening for changes again"); },
                 [this](const std::string& payload) { notice(payload); }},
                interval) {}

  std::string uri;
  directory::PeopleIndexHolder& holder;
  std::chrono::seconds interval;
  Poco::Logger& log;

  std::mutex mutex;  // guards what follows, and every publish
  std::condition_variable cv;
  bool stopping = false;
  bool check_due = true;
  std::optional<std::int64_t> loaded_version;  // of the last whole directory loaded
  // Opt-outs newer than that load: dropped from every index published until a load that
  // already lacks them (uid -> the data version that removed them).
  std::map<std::string, std::int64_t> removed;
  std::string last_error;  // of the loader, reported once per distinct problem
  std::thread loader;
  PgChannelWatcher watcher;  // last: its thread stops before the rest goes

  void wake() {
    {
      std::lock_guard lock(mutex);
      check_due = true;
    }
    cv.notify_all();
  }

  // Listener thread: an opt-out is gone from search now, not after the reload.
  void notice(const std::string& payload) {
    auto opt_out = store::parse_opt_out_notice(payload);
    if (!opt_out) return;
    std::lock_guard lock(mutex);
    if (loaded_version && opt_out->version <= *loaded_version) return;  // already loaded so
    removed[opt_out->uid] = opt_out->version;
    if (auto current = holder.current()) holder.publish(current->without(opt_out->uid));
    log.information("directory search: " + opt_out->uid +
                    " opted out; removed from search now, reloading the directory");
  }

  // Loader thread: checks at every wake-up and every interval.
  void run() {
    for (;;) {
      {
        std::unique_lock lock(mutex);
        cv.wait_for(lock, interval, [this] { return stopping || check_due; });
        if (stopping) return;
        check_due = false;
      }
      check();
    }
  }

  void check() {
    try {
      // A connection per check: one cheap query per interval or change, and nothing to go
      // stale while PostgreSQL restarts.
      store::Database db(uri);
      if (loaded_version == store::directory_version(db)) return;
      store::LoadedDirectory loaded = store::load_directory_index(db);
      std::shared_ptr<const directory::PeopleIndex> index = std::move(loaded.index);
      {
        std::lock_guard lock(mutex);
        loaded_version = loaded.version;
        std::erase_if(removed, [&](const auto& r) { return r.second <= loaded.version; });
        for (const auto& [uid, version] : removed) index = index->without(uid);
        holder.publish(index);
      }
      char summary[160];
      std::snprintf(summary, sizeof summary,
                    "directory search: %zu people loaded (read %lld ms, index %lld ms, %.1f MiB)",
                    index->size(), static_cast<long long>(loaded.read_time.count()),
                    static_cast<long long>(loaded.build_time.count()),
                    static_cast<double>(index->memory_bytes()) / (1024.0 * 1024.0));
      log.information(summary);
      last_error.clear();
    } catch (const std::exception& e) {
      // Searches keep the last good index; say so once per distinct problem, not every poll.
      if (e.what() != last_error) {
        log.warning(std::string("directory search: cannot load the directory (searches use ") +
                    (holder.current() ? "the last loaded one" : "nothing yet") + "): " + e.what());
        last_error = e.what();
      }
    }
  }
};

DirectoryIndexRefresher::DirectoryIndexRefresher(std::string database_uri,
                                                 directory::PeopleIndexHolder& holder,
                                                 std::chrono::seconds interval)
    : state_(std::make_unique<State>(std::move(database_uri), holder, interval)) {}

DirectoryIndexRefresher::~DirectoryIndexRefresher() {
  stop();
}

void DirectoryIndexRefresher::start() {
  if (state_->loader.joinable()) return;
  state_->loader = std::thread([s = state_.get()] { s->run(); });
  state_->watcher.start();
}

void DirectoryIndexRefresher::stop() {
  state_->watcher.stop();
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  if (state_->loader.joinable()) state_->loader.join();
}

}  // namespace commonroom::app
