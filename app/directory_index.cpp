#include "app/directory_index.hpp"

#include <Poco/Logger.h>

#include <cstdint>
#include <cstdio>
#include <optional>

#include "app/pg_channel_watcher.hpp"
#include "store/database.hpp"
#include "store/directory_index_loader.hpp"
#include "store/directory_store.hpp"

namespace commonroom::app {

struct DirectoryIndexRefresher::State {
  State(std::string uri, directory::PeopleIndexHolder& h, std::chrono::seconds i)
      : holder(h),
        interval(i),
        log(Poco::Logger::get("directory")),
        // After a failure it retries from 1 s up to the poll interval, so a PostgreSQL that
        // comes back is noticed at least as soon as the poll would have.
        watcher(std::move(uri), std::string(store::kDirectoryChannel),
                {[this](pqxx::connection_base&) { return refresh(); },
                 [this](const std::exception& e) { failed(e); },
                 [this] { log.information("directory search: PostgreSQL is back"); }},
                interval) {}

  directory::PeopleIndexHolder& holder;
  std::chrono::seconds interval;
  Poco::Logger& log;
  std::optional<std::int64_t> loaded_version;  // of the index searches use
  PgChannelWatcher watcher;                    // last: its thread stops before the rest goes

  // On the watcher's thread: at start, on every notification and every interval. The
  // watcher's own connection only LISTENs; the loader reads through store/ on its own
  // connection, as the polling loader did.
  std::chrono::steady_clock::duration refresh() {
    store::Database db(watcher.database_uri());
    if (loaded_version == store::directory_version(db)) return interval;
    store::LoadedDirectory loaded = store::load_directory_index(db);
    const std::size_t people = loaded.index->size();
    const double mib = static_cast<double>(loaded.index->memory_bytes()) / (1024.0 * 1024.0);
    holder.publish(std::move(loaded.index));
    loaded_version = loaded.version;
    char summary[160];
    std::snprintf(summary, sizeof summary,
                  "directory search: %zu people loaded (read %lld ms, index %lld ms, %.1f MiB)",
                  people, static_cast<long long>(loaded.read_time.count()),
                  static_cast<long long>(loaded.build_time.count()), mib);
    log.information(summary);
    return interval;
  }

  // The first failure of a run (the watcher reports no more until one refresh works).
  void failed(const std::exception& e) {
    log.warning(std::string("directory search: cannot load the directory (searches use ") +
                (holder.current() ? "the last loaded one" : "nothing yet") + "): " + e.what());
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
  state_->watcher.start();
}

void DirectoryIndexRefresher::stop() {
  state_->watcher.stop();
}

}  // namespace commonroom::app
