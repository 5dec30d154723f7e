// The rooms service's PostgreSQL side on the engine thread: persistent rooms loaded at
// start and saved as they change. (XEP-0313 queries go to app/archive_worker.)
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "muc/effects.hpp"
#include "muc/snapshot.hpp"

namespace Poco {
class Logger;
}
namespace commonroom::store {
class Database;
}

namespace commonroom::app {

class RoomPersistence {
 public:
  // Connects lazily (first use), and again after any database error.
  RoomPersistence(std::string database_uri, Poco::Logger& log);
  ~RoomPersistence();

  // Every stored room. Throws std::runtime_error when PostgreSQL cannot be read: serving
  // rooms without their stored state would let anyone re-create them with new owners.
  std::vector<muc::RoomSnapshot> load();

  // Writes the effects' saves and deletions (with anything still pending from earlier
  // failures) in one transaction. When PostgreSQL is down the latest state of each room is
  // kept here and written by a later call or by retry().
  void process(const muc::Effects& effects);
  // Writes what is pending; true when nothing is left.
  bool retry();
  bool has_pending() const { return !pending_.empty(); }

 private:
  store::Database& db();
  bool flush();

  std::string uri_;
  Poco::Logger& log_;
  std::unique_ptr<store::Database> db_;
  // Latest state per room not yet in PostgreSQL; nullopt = delete it.
  std::map<std::string, std::optional<muc::RoomSnapshot>> pending_;
  bool failing_ = false;  // the last write failed (logged once per outage)
};

}  // namespace commonroom::app
