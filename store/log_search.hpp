// Abuse staff's search of the room log: a typed query turned into one parameterised
// statement over room_events, every filter combined with AND, newest first, keyset paging.
#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/log_event.hpp"

namespace pqxx {
class transaction_base;
}

namespace commonroom::store {

// A query staff cannot run as written (a bad JID, cursor or time, no searchable word...).
class LogQueryError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct LogQuery {
  std::vector<std::string> rooms;  // bare room JIDs (any of them)
  std::vector<std::string> users;  // real bare JIDs of the actor (any of them)
  std::vector<std::string> nicks;  // the actor's nick at the time (any of them)
  // XEP-0421 occupant-ids as a client showed them. They are per room, so they need rooms:
  // each is resolved to the real bare JID it stands for in those rooms.
  std::vector<std::string> occupant_ids;
  // Words in web-search syntax ("a phrase", or, -not), accents and case ignored.
  std::string words;
  std::string from;  // ISO 8601 (no zone means UTC), inclusive; "" for no bound
  std::string to;    // exclusive; "" for no bound
  // Event kinds (room_events.kind); empty means messages: groupchat and private_message.
  std::vector<std::string> kinds;
  bool all_kinds = false;
};

// JIDs prepared (stringprep, as the rooms engine stores them), kinds defaulted, and the
// combination checked. Throws LogQueryError naming the problem.
LogQuery prepared(const LogQuery& q);

// The query as a JSON object (for the audit trail and the evidence manifest).
std::string query_json(const LogQuery& q);

// An occupant-id of the query and the real bare JID it stands for in a room.
struct ResolvedOccupant {
  std::string occupant_id;
  std::string room;
  std::string bare_jid;
};

struct LogPage {
  std::vector<LogEvent> events;  // newest first
  std::string next;              // cursor of the next (older) page; "" when this is the last
  std::vector<ResolvedOccupant> occupants;
};

// One page of at most `limit` events (1-1000000) older than `after` (a cursor from a previous
// page; "" for the newest). q must be prepared(). with_raw also reads the raw stanzas.
LogPage search_log(pqxx::transaction_base& tx, const LogQuery& q, const std::string& after,
                   int limit, bool with_raw = false);

// What PostgreSQL does for that page: EXPLAIN (ANALYZE, BUFFERS) of the same statement with
// the same parameters (benchmarks print it; operators can too).
std::string explain_search_log(pqxx::transaction_base& tx, const LogQuery& q,
                               const std::string& after, int limit);

}  // namespace commonroom::store
