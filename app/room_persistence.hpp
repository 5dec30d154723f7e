// The rooms service's PostgreSQL side: persistent rooms loaded at start and saved as they
// change. (XEP-0313 queries go to app/archive_worker.)
//
// Saves are written by a thread of their own. The engine thread hands each outcome's saves
// over and, while PostgreSQL keeps up, waits for the commit before anything is sent (a
// client does not see a change a crash could undo); it never waits longer than the wait
// budget, and not at all while PostgreSQL is failing or behind, so a stalled or unreachable
// PostgreSQL cannot freeze the rooms. The latest state of each room not yet written is
// kept and written when PostgreSQL answers again.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "muc/effects.hpp"
#include "muc/snapshot.hpp"
#include "store/room_store.hpp"

namespace Poco {
class Logger;
}

namespace commonroom::app {

class RoomPersistence {
 public:
  // Writes the changes in one transaction; throws when it could not.
  using Writer = std::function<void(const std::vector<store::RoomChange>&)>;
  struct Timing {
    std::chrono::milliseconds wait_budget{1000};     // the longest an outcome waits for its save
    std::chrono::milliseconds retry_interval{5000};  // between attempts while PostgreSQL fails
  };
  // The writer over one PostgreSQL connection, replaced after any error.
  static Writer postgres_writer(std::string database_uri);

  RoomPersistence(std::string database_uri, Poco::Logger& log);
  RoomPersistence(std::string database_uri, Writer writer, Poco::Logger& log, Timing timing);
  ~RoomPersistence();  // stops the writer; what is not written by then is lost (see flush)
  RoomPersistence(const RoomPersistence&) = delete;
  RoomPersistence& operator=(const RoomPersistence&) = delete;

  // Every stored room, read on the caller's thread. Throws std::runtime_error when
  // PostgreSQL cannot be read: serving rooms without their stored state would let anyone
  // re-create them with new owners.
  std::vector<muc::RoomSnapshot> load();

  // Hands the effects' saves and deletions to the writer and waits for them as described
  // above.
  void process(const muc::Effects& effects);
  // Waits up to `timeout` until everything handed over is written; true when it is.
  bool flush(std::chrono::milliseconds timeout);
  // Rooms whose latest state is not written yet.
  bool has_pending() const;

  struct State;

 private:
  std::string uri_;
  std::shared_ptr<State> state_;
  std::thread writer_;
};

}  // namespace commonroom::app
