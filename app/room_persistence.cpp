#include "app/room_persistence.hpp"

#include <Poco/Logger.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "store/database.hpp"

namespace commonroom::app {

using Clock = std::chrono::steady_clock;

struct RoomPersistence::State {
  State(Writer w, Poco::Logger& l, Timing t) : writer(std::move(w)), log(l), timing(t) {}

  Writer writer;
  Poco::Logger& log;
  Timing timing;
  mutable std::mutex mutex;
  std::condition_variable cv;
  // Latest state per room not yet handed to the writer; nullopt = delete it.
  std::map<std::string, std::optional<muc::RoomSnapshot>> pending;
  std::size_t in_flight = 0;    // rooms the writer is writing now
  std::uint64_t submitted = 0;  // generation of the last hand-over
  std::uint64_t written = 0;    // every hand-over up to this one is in PostgreSQL
  bool failing = false;         // the last write failed (logged once per outage)
  bool lagging = false;         // an outcome gave up waiting; no waits until caught up
  Clock::time_point retry_at{};
  bool stopping = false;
  bool exited = false;

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      cv.wait(lock, [&] { return stopping || !pending.empty(); });
      if (stopping) break;
      if (failing && cv.wait_until(lock, retry_at, [&] { return stopping; })) break;
      auto batch = std::move(pending);
      pending.clear();
      std::uint64_t generation = submitted;
      in_flight = batch.size();
      lock.unlock();
      std::vector<store::RoomChange> changes;
      changes.reserve(batch.size());
      for (const auto& [jid, snapshot] : batch) changes.push_back({jid, snapshot});
      std::optional<std::string> error;
      try {
        writer(changes);
      } catch (const std::exception& e) {
        error = e.what();
      }
      lock.lock();
      in_flight = 0;
      // The owner gave up waiting and left this thread behind: it may be exiting the process,
      // which destroys the logger, so nothing more is logged (or retried) from here.
      if (stopping) break;
      if (error) {
        // Newer states handed over meanwhile win; the rest waits for the next attempt.
        for (auto& [jid, snapshot] : batch) pending.try_emplace(jid, std::move(snapshot));
        if (!failing)
          log.error("cannot save " + std::to_string(changes.size()) +
                    " room(s) to PostgreSQL, will retry: " + *error);
        failing = true;
        retry_at = Clock::now() + timing.retry_interval;
      } else {
        if (failing || lagging)
          log.information("saved " + std::to_string(changes.size()) + " pending room(s)");
        failing = false;
        written = generation;
        if (pending.empty()) lagging = false;
      }
      cv.notify_all();
    }
    exited = true;
    cv.notify_all();
  }
};

RoomPersistence::Writer RoomPersistence::postgres_writer(std::string database_uri) {
  auto db = std::make_shared<std::unique_ptr<store::Database>>();
  return [uri = std::move(database_uri), db](const std::vector<store::RoomChange>& changes) {
    try {
      if (!*db) *db = std::make_unique<store::Database>(uri);
      store::RoomStore(**db).apply(changes);
    } catch (...) {
      db->reset();  // a broken connection is replaced on the next attempt
      throw;
    }
  };
}

RoomPersistence::RoomPersistence(std::string database_uri, Poco::Logger& log)
    : RoomPersistence(database_uri, postgres_writer(database_uri), log, Timing{}) {}

RoomPersistence::RoomPersistence(std::string database_uri, Writer writer, Poco::Logger& log,
                                 Timing timing)
    : uri_(std::move(database_uri)),
      state_(std::make_shared<State>(std::move(writer), log, timing)) {
  // The thread shares the state: if a write hangs at shutdown it is left behind, not joined.
  writer_ = std::thread([state = state_] { state->run(); });
}

RoomPersistence::~RoomPersistence() {
  constexpr auto kStopWait = std::chrono::seconds(2);
  bool exited;
  {
    std::unique_lock lock(state_->mutex);
    state_->stopping = true;
    state_->cv.notify_all();
    exited = state_->cv.wait_for(lock, kStopWait, [this] { return state_->exited; });
  }
  if (exited) {
    writer_.join();
  } else {
    writer_.detach();  // stuck in a write to a PostgreSQL that does not answer
  }
}

std::vector<muc::RoomSnapshot> RoomPersistence::load() {
  try {
    store::Database db(uri_);
    store::RoomStore rooms(db);
    // Rooms saved by a binary that kept passwords in clear are hashed before anything uses
    // them (also done by migrate; this covers a service started without it).
    rooms.hash_clear_passwords();
    return rooms.load_all();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot load the stored rooms: ") + e.what());
  }
}

void RoomPersistence::process(const muc::Effects& effects) {
  if (effects.saves.empty() && effects.deletions.empty()) return;
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  for (const auto& snapshot : effects.saves) s.pending[snapshot.jid] = snapshot;
  for (const auto& jid : effects.deletions) s.pending[jid] = std::nullopt;
  std::uint64_t generation = ++s.submitted;
  s.cv.notify_all();
  if (s.failing || s.lagging) return;
  bool saved = s.cv.wait_for(lock, s.timing.wait_budget,
                             [&] { return s.written >= generation || s.failing || s.stopping; });
  if (!saved) {
    s.lagging = true;
    s.log.warning("saving rooms to PostgreSQL takes longer than " +
                  std::to_string(s.timing.wait_budget.count()) +
                  " ms; rooms carry on and the saves follow");
  }
}

bool RoomPersistence::flush(std::chrono::milliseconds timeout) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  std::uint64_t generation = s.submitted;
  return s.cv.wait_for(lock, timeout, [&] { return s.written >= generation; });
}

bool RoomPersistence::has_pending() const {
  std::lock_guard lock(state_->mutex);
  return !state_->pending.empty() || state_->in_flight > 0;
}

}  // namespace commonroom::app
