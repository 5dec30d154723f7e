// One room event as abuse staff read it (search results, context, evidence exports): the
// room_events row with its retraction, if any, and the sender's XEP-0421 occupant-id.
#pragma once
#include <string>
#include <vector>

namespace pqxx {
class row;
}

namespace commonroom::store {

struct LogEvent {
  std::string event_id;
  long long seq = 0;
  std::string room;
  std::string stanza_id;      // "" when the event has none
  std::string occurred_at;    // ISO 8601 UTC with microseconds: 2026-11-25T14:03:07.123456Z
  long long occurred_us = 0;  // the same instant in microseconds since the epoch (cursors)
  std::string kind;
  std::string actor_jid;  // real full JID; "" for the service itself
  std::string actor_bare_jid;
  std::string actor_nick;
  // XEP-0421 id the room showed for the actor, recomputed from the room's key; "" when the
  // room is not stored (temporary or destroyed rooms keep no key) or there is no actor.
  std::string occupant_id;
  std::string target;
  std::string body;
  std::string detail;  // jsonb as text; "" when NULL
  std::string raw;     // the stanza as received; only filled when asked for
  // Set when a moderator later retracted this message (XEP-0425): the original stays.
  std::string retracted_at;
  std::string retracted_by;
  std::string retraction_reason;
};

// The event as one JSON object (every field; raw_file names its raw stanza in a bundle).
std::string log_event_json(const LogEvent& e, const std::string& raw_file = "");

// The page cursor of an event in newest-first order: "MICROS.SEQ".
std::string cursor_of(const LogEvent& e);

namespace log_event_sql {

// Columns read by read_row, from a room_events row aliased e, its retraction r (a lateral
// join), and the room's occupant-id key (looked up in rooms). time_format_param is the
// parameter number of kTimeFormat.
std::string select_list(int time_format_param, bool with_raw);
// The joins that go with select_list, appended after "FROM (page) e".
extern const char* const kJoins;
// to_char format for ISO 8601 UTC with microseconds.
extern const char* const kTimeFormat;

}  // namespace log_event_sql

// Reads a row selected with log_event_sql::select_list, computing the occupant-id.
LogEvent read_log_event(const pqxx::row& row, bool with_raw);

}  // namespace commonroom::store
