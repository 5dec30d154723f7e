#include "store/retention.hpp"

#include <pqxx/pqxx>

namespace commonroom::store {

namespace {

constexpr const char* kTimeFormat = "YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"";

bool valid_kind(const std::string& kind) {
  return kind == "room" || kind == "user";
}

}  // namespace

PurgeResult purge_room_events(pqxx::connection_base& connection, int older_than_days,
                              const std::string& actor) {
  if (older_than_days <= 0) throw std::invalid_argument("retention days must be positive");
  pqxx::work tx(connection, "retention purge");
  PurgeResult r;
  // One cutoff for the whole purge (now() is the transaction's start time).
  auto cut = tx.exec_params1(
      "SELECT to_char((now() - make_interval(days => $1)) AT TIME ZONE 'UTC', $2),"
      " (SELECT count(*) FROM legal_holds WHERE kind = 'room' AND released_at IS NULL),"
      " (SELECT count(*) FROM legal_holds WHERE kind = 'user' AND released_at IS NULL)",
      older_than_days, kTimeFormat);
  r.cutoff = cut[0].as<std::string>();
  r.held_rooms = cut[1].as<long long>();
  r.held_users = cut[2].as<long long>();
  auto deleted = tx.exec_params1(
      "WITH gone AS ("
      " DELETE FROM room_events e"
      " WHERE e.occurred_at < now() - make_interval(days => $1)"
      " AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL"
      "  AND h.kind = 'room' AND h.subject = e.room)"
      " AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL"
      "  AND h.kind = 'user' AND (h.subject = split_part(e.actor_jid, '/', 1)"
      "   OR h.subject = split_part(e.target, '/', 1)))"
      " RETURNING 1)"
      " SELECT count(*) FROM gone",
      older_than_days);
  r.deleted = deleted[0].as<long long>();
  tx.exec_params(
      "INSERT INTO audit (actor, action, object, detail) VALUES ($1, 'retention.purge',"
      " 'room_events', jsonb_build_object('cutoff', $2::text, 'days', $3::int,"
      " 'deleted', $4::bigint, 'held_rooms', $5::bigint, 'held_users', $6::bigint))",
      actor, r.cutoff, older_than_days, r.deleted, r.held_rooms, r.held_users);
  tx.commit();
  return r;
}

LegalHold place_hold(pqxx::connection_base& connection, const std::string& kind,
                     const std::string& subject, const std::string& reason, const std::string& by) {
  if (!valid_kind(kind)) throw HoldError("a hold is on a room or a user, not \"" + kind + "\"");
  if (subject.empty() || subject.find('/') != std::string::npos)
    throw HoldError("a hold needs a bare JID, got \"" + subject + "\"");
  if (reason.empty()) throw HoldError("a hold needs a reason");
  if (by.empty()) throw HoldError("a hold needs the name of who places it");
  pqxx::work tx(connection, "place hold");
  auto rows = tx.exec_params(
      "INSERT INTO legal_holds (kind, subject, reason, placed_by) VALUES ($1, $2, $3, $4)"
      " ON CONFLICT (kind, subject) WHERE released_at IS NULL DO NOTHING"
      " RETURNING id, to_char(placed_at AT TIME ZONE 'UTC', $5)",
      kind, subject, reason, by, kTimeFormat);
  if (rows.empty()) throw HoldError(kind + " " + subject + " is already under a legal hold");
  LegalHold h{rows[0][0].as<long long>(), kind, subject, reason, by, rows[0][1].as<std::string>()};
  tx.exec_params(
      "INSERT INTO audit (actor, action, object, detail) VALUES ($1, 'retention.hold.place', $2,"
      " jsonb_build_object('kind', $3::text, 'reason', $4::text, 'hold_id', $5::bigint))",
      by, subject, kind, reason, h.id);
  tx.commit();
  return h;
}

void release_hold(pqxx::connection_base& connection, const std::string& kind,
                  const std::string& subject, const std::string& by) {
  if (!valid_kind(kind)) throw HoldError("a hold is on a room or a user, not \"" + kind + "\"");
  if (by.empty()) throw HoldError("releasing a hold needs the name of who releases it");
  pqxx::work tx(connection, "release hold");
  auto rows = tx.exec_params(
      "UPDATE legal_holds SET released_at = now(), released_by = $3"
      " WHERE kind = $1 AND subject = $2 AND released_at IS NULL RETURNING id",
      kind, subject, by);
  if (rows.empty()) throw HoldError(kind + " " + subject + " is not under a legal hold");
  tx.exec_params(
      "INSERT INTO audit (actor, action, object, detail) VALUES ($1, 'retention.hold.release',"
      " $2, jsonb_build_object('kind', $3::text, 'hold_id', $4::bigint))",
      by, subject, kind, rows[0][0].as<long long>());
  tx.commit();
}

std::vector<LegalHold> list_holds(pqxx::connection_base& connection) {
  pqxx::read_transaction tx(connection, "list holds");
  std::vector<LegalHold> out;
  for (const auto& row : tx.exec_params(
           "SELECT id, kind, subject, reason, placed_by, to_char(placed_at AT TIME ZONE 'UTC', $1)"
           " FROM legal_holds WHERE released_at IS NULL ORDER BY placed_at, id",
           kTimeFormat))
    out.push_back({row[0].as<long long>(), row[1].as<std::string>(), row[2].as<std::string>(),
                   row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>()});
  return out;
}

}  // namespace commonroom::store
