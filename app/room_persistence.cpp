#include "app/room_persistence.hpp"

#include <Poco/Logger.h>

#include <stdexcept>

#include "store/database.hpp"
#include "store/room_store.hpp"

namespace commonroom::app {

RoomPersistence::RoomPersistence(std::string database_uri, Poco::Logger& log)
    : uri_(std::move(database_uri)), log_(log) {}

RoomPersistence::~RoomPersistence() = default;

store::Database& RoomPersistence::db() {
  if (!db_) db_ = std::make_unique<store::Database>(uri_);
  return *db_;
}

std::vector<muc::RoomSnapshot> RoomPersistence::load() {
  try {
    return store::RoomStore(db()).load_all();
  } catch (const std::exception& e) {
    db_.reset();
    throw std::runtime_error(std::string("cannot load the stored rooms: ") + e.what());
  }
}

bool RoomPersistence::flush() {
  if (pending_.empty()) return true;
  std::vector<store::RoomChange> changes;
  changes.reserve(pending_.size());
  for (const auto& [jid, snapshot] : pending_) changes.push_back({jid, snapshot});
  try {
    store::RoomStore(db()).apply(changes);
  } catch (const std::exception& e) {
    // A broken connection is replaced on the next attempt; the state stays pending.
    db_.reset();
    if (!failing_) {
      log_.error("cannot save " + std::to_string(changes.size()) +
                 " room(s) to PostgreSQL, will retry: " + e.what());
    }
    failing_ = true;
    return false;
  }
  if (failing_) log_.information("saved " + std::to_string(changes.size()) + " pending room(s)");
  failing_ = false;
  pending_.clear();
  return true;
}

bool RoomPersistence::retry() {
  return flush();
}

void RoomPersistence::process(const muc::Effects& effects) {
  if (!effects.saves.empty() || !effects.deletions.empty()) {
    for (auto& s : effects.saves) pending_[s.jid] = s;
    for (auto& jid : effects.deletions) pending_[jid] = std::nullopt;
    flush();
  }
}

}  // namespace commonroom::app
