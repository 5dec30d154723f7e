#include "app/link_watcher.hpp"

#include <Poco/Logger.h>
#include <malloc.h>

#include <cstdio>
#include <optional>
#include <pqxx/pqxx>

#include "app/pg_channel_watcher.hpp"
#include "store/directory_store.hpp"
#include "store/link_directory_loader.hpp"

namespace commonroom::app {

namespace {

constexpr std::chrono::seconds kBackoffMax{60};

}  // namespace

struct LinkWatcher::State {
  State(std::string uri, Apply a, Poco::Logger& l, std::chrono::seconds p)
      : apply(std::move(a)),
        log(l),
        poll(p),
        watcher(
            std::move(uri), std::string(store::kDirectoryChannel),
            {[this](pqxx::connection_base& c) { return refresh(c); },
             [this](const std::exception& e) { failed(e); },
             [this] {
               log.information("linked rooms: PostgreSQL is back, watching the directory again");
             },
             nullptr},
            kBackoffMax) {}

  Apply apply;
  Poco::Logger& log;
  std::chrono::seconds poll;
  std::optional<std::int64_t> loaded_version;  // of what the engine was last given
  PgChannelWatcher watcher;                    // last: its thread stops before the rest goes

  std::shared_ptr<const muc::LinkDirectory> read(pqxx::connection_base& c) {
    store::LoadedLinks loaded = store::load_link_directory(c);
    loaded_version = loaded.version;
    const muc::LinkDirectory& d = *loaded.directory;
    char summary[256];
    std::snprintf(summary, sizeof summary,
                  "linked rooms: %zu institutions and groups, %zu memberships of %zu people "
                  "(read %lld ms, build %lld ms, %.1f MiB)",
                  d.link_count(), d.memberships(), d.people(),
                  static_cast<long long>(loaded.read_time.count()),
                  static_cast<long long>(loaded.build_time.count()),
                  static_cast<double>(d.memory_bytes()) / (1024.0 * 1024.0));
    log.information(summary);
    if (d.rejected() > 0)
      log.warning("linked rooms: skipped " + std::to_string(d.rejected()) +
                  " directory JID(s) that are not valid bare JIDs");
    return loaded.directory;
  }

  // Reloads only when the directory's data version moved (a sync or an opt-out bumps it).
  std::chrono::steady_clock::duration refresh(pqxx::connection_base& c) {
    std::int64_t version;
    {
      pqxx::read_transaction tx(c);
      version = tx.exec1("SELECT version FROM directory_state")[0].as<std::int64_t>();
    }
    if (version != loaded_version) {
      apply(read(c));
      // The result set and the build's sort buffers (tens of MiB at 200,000 people) are
      // freed by now; give the pages back instead of keeping them in this thread's arena
      // until the next load.
      malloc_trim(0);
    }
    return poll;
  }

  void failed(const std::exception& e) {
    // Rooms keep the memberships they have; new ones wait until PostgreSQL answers again.
    log.error(std::string("linked rooms: cannot read the directory from PostgreSQL, keeping ") +
              (loaded_version ? "the memberships loaded before" : "no linked memberships yet") +
              " and retrying: " + e.what());
  }
};

LinkWatcher::LinkWatcher(std::string database_uri, Apply apply, Poco::Logger& log,
                         std::chrono::seconds poll_interval)
    : state_(
          std::make_unique<State>(std::move(database_uri), std::move(apply), log, poll_interval)) {}

LinkWatcher::~LinkWatcher() {
  stop();
}

std::shared_ptr<const muc::LinkDirectory> LinkWatcher::load() {
  try {
    pqxx::connection c(state_->watcher.database_uri());
    return state_->read(c);
  } catch (const std::exception& e) {
    state_->failed(e);
    return nullptr;
  }
}

void LinkWatcher::start() {
  state_->watcher.start();
}

void LinkWatcher::stop() {
  state_->watcher.stop();
}

}  // namespace commonroom::app
