#include "app/room_persistence.hpp"

#include <Poco/Logger.h>

#include <stdexcept>

#include "muc/mam_result.hpp"
#include "store/database.hpp"
#include "store/room_archive.hpp"
#include "store/room_store.hpp"
#include "xmpp/stanza_error.hpp"

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

void RoomPersistence::process(muc::Effects& effects) {
  if (!effects.saves.empty() || !effects.deletions.empty()) {
    for (auto& s : effects.saves) pending_[s.jid] = s;
    for (auto& jid : effects.deletions) pending_[jid] = std::nullopt;
    flush();
  }
  for (const auto& q : effects.mam_queries) {
    try {
      auto page = store::RoomArchive(db()).query(q);
      if (!page) {
        effects.outbound.push_back(muc::mam_error(
            q, xmpp::StanzaError::item_not_found("no such message in this room's archive")));
        continue;
      }
      for (auto& e : muc::mam_response(q, *page)) effects.outbound.push_back(std::move(e));
    } catch (const std::exception& e) {
      db_.reset();
      log_.error(q.room + ": archive query failed: " + e.what());
      effects.outbound.push_back(muc::mam_error(
          q, xmpp::StanzaError::internal_server_error("the archive is unavailable")));
    }
  }
}

}  // namespace commonroom::app
