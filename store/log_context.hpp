// A message in its room's timeline for abuse staff: N events before and after it (joins,
// leaves, nick changes, kicks, bans, subject changes, other messages), retracted messages
// with their original text and who removed them.
#pragma once
#include <string>
#include <vector>

#include "store/log_event.hpp"

namespace pqxx {
class transaction_base;
}

namespace commonroom::store {

// What a stable link names: one event (event_id, or a message's stanza-id, optionally with
// its room), or a room and an instant.
struct ContextRef {
  std::string event_id;
  std::string stanza_id;
  std::string room;  // bare room JID: with `at`, or to tell a stanza-id's room
  std::string at;    // ISO 8601 (no zone means UTC)
};

struct LogContext {
  std::string room;
  std::vector<LogEvent> events;  // oldest first
  int anchor = -1;               // index of the referenced event in events; -1 for a time
};

// Throws LogQueryError when the reference names nothing, or more than one message.
// before/after: 0-1000 events each side.
LogContext read_context(pqxx::transaction_base& tx, const ContextRef& ref, int before, int after);

// The reference as JSON (audit trail).
std::string context_ref_json(const ContextRef& ref);

}  // namespace commonroom::store
