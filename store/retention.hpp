// Retention of the abuse log (room_events): the purge, which keeps what legal holds
// (store/legal_holds.hpp) cover. Every purge writes an audit row.
#pragma once
#include <string>

#include "store/legal_holds.hpp"

namespace pqxx {
class connection_base;
}

namespace commonroom::store {

struct PurgeResult {
  long long deleted = 0;     // room events removed
  long long held_rooms = 0;  // active room holds respected
  long long held_users = 0;  // active user holds respected
  // Active holds whose subject cannot be prepared as a JID: they keep nothing.
  long long unusable_holds = 0;
  std::string cutoff;  // events that occurred before this instant (ISO 8601, UTC) were purged
};

// Deletes, in one transaction, every room event older than older_than_days days, except those
// in a room under an active hold and those a user hold keeps (in the same room within the
// hold's context_minutes of an event whose actor or target bare JID is the held user;
// schema/0008, legal_hold_user_spans), and records the purge in audit (action
// 'retention.purge', object 'room_events').
// older_than_days must be > 0. Throws on a database error (nothing is then deleted).
PurgeResult purge_room_events(pqxx::connection_base& connection, int older_than_days,
                              const std::string& actor);

}  // namespace commonroom::store
