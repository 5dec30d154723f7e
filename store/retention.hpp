// Retention of the abuse log (room_events) and the legal holds that exempt rooms and users
// from it (schema/0005_retention.sql). Every purge and every hold change writes an audit row.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

namespace pqxx {
class connection_base;
}

namespace commonroom::store {

struct PurgeResult {
  long long deleted = 0;     // room events removed
  long long held_rooms = 0;  // active room holds respected
  long long held_users = 0;  // active user holds respected
  std::string cutoff;        // events that occurred before this instant (ISO 8601, UTC) were purged
};

// Deletes, in one transaction, every room event older than older_than_days days, except those
// in a room under an active hold or whose actor or target (bare JID) is under an active user
// hold, and records the purge in audit (action 'retention.purge', object 'room_events').
// older_than_days must be > 0. Throws on a database error (nothing is then deleted).
PurgeResult purge_room_events(pqxx::connection_base& connection, int older_than_days,
                              const std::string& actor);

struct LegalHold {
  long long id = 0;
  std::string kind;  // room | user
  std::string subject;
  std::string reason;
  std::string placed_by;
  std::string placed_at;  // ISO 8601, UTC
};

// Thrown for a hold that cannot be placed or released (already held, not held, bad kind).
class HoldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Places an active hold (audit 'retention.hold.place'); throws HoldError when the subject is
// already under one. kind is "room" or "user"; subject a bare JID.
LegalHold place_hold(pqxx::connection_base& connection, const std::string& kind,
                     const std::string& subject, const std::string& reason, const std::string& by);
// Releases the active hold (audit 'retention.hold.release'); throws HoldError when none.
void release_hold(pqxx::connection_base& connection, const std::string& kind,
                  const std::string& subject, const std::string& by);
// The active holds, oldest first.
std::vector<LegalHold> list_holds(pqxx::connection_base& connection);

}  // namespace commonroom::store
