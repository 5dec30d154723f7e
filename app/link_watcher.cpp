#include "app/link_watcher.hpp"

#include <Poco/Logger.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <thread>

#include "store/directory_store.hpp"
#include "store/link_directory_loader.hpp"

namespace commonroom::app {

namespace {

using Clock = std::chrono::steady_clock;
// How long one wait for a notification lasts: the bound on how long stop() takes.
constexpr long kWaitMicros = 200'000;
constexpr std::chrono::seconds kBackoffMax{60};

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, std::atomic<bool>& flag)
      : pqxx::notification_receiver(c, store::kDirectoryChannel), flag_(flag) {}
  void operator()(const std::string&, int) override { flag_ = true; }

 private:
  std::atomic<bool>& flag_;
};

}  // namespace

struct LinkWatcher::State {
  State(std::string u, Apply a, Poco::Logger& l, std::chrono::seconds p)
      : uri(std::move(u)), apply(std::move(a)), log(l), poll(p) {}

  std::string uri;
  Apply apply;
  Poco::Logger& log;
  std::chrono::seconds poll;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable cv;
  bool stopping = false;
  std::atomic<bool> notified{false};
  std::optional<std::int64_t> loaded_version;  // of what the engine was last given
  std::string last_error;

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

  void fail(const std::exception& e) {
    // Rooms keep the memberships they have; new ones wait until PostgreSQL answers again.
    if (e.what() == last_error) return;
    log.error(std::string("linked rooms: cannot read the directory from PostgreSQL, keeping ") +
              (loaded_version ? "the memberships loaded before" : "no linked memberships yet") +
              " and retrying: " + e.what());
    last_error = e.what();
  }

  void run() {
    std::unique_ptr<pqxx::connection> conn;
    std::unique_ptr<Receiver> receiver;
    auto backoff = std::chrono::seconds(1);
    bool check = true;
    Clock::time_point deadline{};
    for (;;) {
      {
        std::lock_guard lock(mutex);
        if (stopping) return;
      }
      try {
        if (!conn) {
          conn = std::make_unique<pqxx::connection>(uri);
          receiver = std::make_unique<Receiver>(*conn, notified);
          check = true;  // whatever changed while we were not listening
        }
        if (check || notified.exchange(false) || Clock::now() >= deadline) {
          std::int64_t version;
          {
            pqxx::read_transaction tx(*conn);
            version = tx.exec1("SELECT version FROM directory_state")[0].as<std::int64_t>();
          }
          if (version != loaded_version) {
            apply(read(*conn));
            // The result set and the build's sort buffers (tens of MiB at 200,000 people)
            // are freed by now; give the pages back instead of keeping them in this
            // thread's arena until the next load.
            malloc_trim(0);
          }
          deadline = Clock::now() + poll;
          check = false;
          if (!last_error.empty())
            log.information("linked rooms: PostgreSQL is back, watching the directory again");
          last_error.clear();
          backoff = std::chrono::seconds(1);
        }
        conn->await_notification(0, kWaitMicros);
      } catch (const std::exception& e) {
        fail(e);
        receiver.reset();
        conn.reset();
        std::unique_lock lock(mutex);
        if (cv.wait_for(lock, backoff, [this] { return stopping; })) return;
        backoff = std::min(backoff * 2, kBackoffMax);
      }
    }
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
    pqxx::connection c(state_->uri);
    return state_->read(c);
  } catch (const std::exception& e) {
    state_->fail(e);
    return nullptr;
  }
}

void LinkWatcher::start() {
  if (state_->thread.joinable()) return;
  state_->thread = std::thread([s = state_.get()] { s->run(); });
}

void LinkWatcher::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
}

}  // namespace commonroom::app
