#include "store/retention.hpp"

#include <pqxx/pqxx>

#include <stdexcept>

namespace commonroom::store {

namespace {

constexpr const char* kTimeFormat = "YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"";

}  // namespace

PurgeResult purge_room_events(pqxx::connection_base& connection, int older_than_days,
                              const std::string& actor) {
  if (older_than_days <= 0) throw std::invalid_argument("retention days must be positive");
  pqxx::work tx(connection, "retention purge");
  PurgeResult r;
  // One cutoff for the whole purge (now() is the transaction's start time).
  auto cut = tx.exec_params1(
      "SELECT to_char((now() - make_interval(days => $1)) AT TIME ZONE 'UTC', $2),"
      " count(*) FILTER (WHERE kind = 'room' AND subject_problem IS NULL),"
      " count(*) FILTER (WHERE kind = 'user' AND subject_problem IS NULL),"
      " count(*) FILTER (WHERE subject_problem IS NOT NULL)"
      " FROM legal_holds WHERE released_at IS NULL",
      older_than_days, kTimeFormat);
  r.cutoff = cut[0].as<std::string>();
  r.held_rooms = cut[1].as<long long>();
  r.held_users = cut[2].as<long long>();
  r.unusable_holds = cut[3].as<long long>();
  // What user holds keep is found from the held users' events (two indexes) and then read
  // as ranges of room_events_room_time_idx, so its cost follows what is kept, not the
  // table size; the delete itself is one pass over the expired rows.
  auto deleted = tx.exec_params1(
      "WITH kept AS ("
      " SELECT e.event_id"
      " FROM legal_hold_user_spans(now() - make_interval(days => $1), NULL) s"
      " JOIN room_events e ON e.room = s.room AND e.occurred_at BETWEEN s.lo AND s.hi"
      " WHERE e.occurred_at < now() - make_interval(days => $1)),"
      " gone AS ("
      " DELETE FROM room_events e"
      " WHERE e.occurred_at < now() - make_interval(days => $1)"
      " AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL"
      "  AND h.kind = 'room' AND h.subject = e.room)"
      " AND NOT EXISTS (SELECT 1 FROM kept k WHERE k.event_id = e.event_id)"
      " RETURNING 1)"
      " SELECT count(*) FROM gone",
      older_than_days);
  r.deleted = deleted[0].as<long long>();
  tx.exec_params(
      "INSERT INTO audit (actor, action, object, detail) VALUES ($1, 'retention.purge',"
      " 'room_events', jsonb_build_object('cutoff', $2::text, 'days', $3::int,"
      " 'deleted', $4::bigint, 'held_rooms', $5::bigint, 'held_users', $6::bigint,"
      " 'unusable_holds', $7::bigint))",
      actor, r.cutoff, older_than_days, r.deleted, r.held_rooms, r.held_users, r.unusable_holds);
  tx.commit();
  return r;
}

}  // namespace commonroom::store
