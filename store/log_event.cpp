#include "store/log_event.hpp"

#include <pqxx/pqxx>

#include "muc/features/feature.hpp"
#include "store/json_text.hpp"

namespace commonroom::store {

namespace log_event_sql {

const char* const kTimeFormat = "YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"";

const char* const kJoins =
    " LEFT JOIN LATERAL (SELECT x.occurred_at, x.actor_jid, x.body FROM room_events x"
    "  WHERE x.kind = 'retraction' AND x.room = e.room AND x.target = e.stanza_id"
    "  ORDER BY x.occurred_at, x.seq LIMIT 1) r ON e.stanza_id IS NOT NULL";

std::string select_list(int time_format_param, bool with_raw) {
  const std::string fmt = "$" + std::to_string(time_format_param);
  return "e.event_id, e.seq, e.room, coalesce(e.stanza_id, ''),"
         " to_char(e.occurred_at AT TIME ZONE 'UTC', " +
         fmt +
         "),"
         " (extract(epoch FROM e.occurred_at) * 1000000)::bigint, e.kind,"
         " coalesce(e.actor_jid, ''), coalesce(e.actor_bare_jid, ''), coalesce(e.actor_nick, ''),"
         " coalesce(e.target, ''), coalesce(e.body, ''), coalesce(e.detail::text, ''),"
         " coalesce(to_char(r.occurred_at AT TIME ZONE 'UTC', " +
         fmt +
         "), ''),"
         " coalesce(r.actor_jid, ''), coalesce(r.body, ''),"
         // A lookup per row of the page (rooms' primary key), not a join over every room.
         " coalesce((SELECT k.occupant_id_secret FROM rooms k WHERE k.jid = e.room), '')" +
         std::string(with_raw ? ", coalesce(e.raw, '')" : "");
}

}  // namespace log_event_sql

std::string log_event_json(const LogEvent& e, const std::string& raw_file) {
  JsonObject o;
  o.string("occurred_at", e.occurred_at)
      .string("room", e.room)
      .string("kind", e.kind)
      .string("actor_jid", e.actor_jid)
      .string("actor_bare_jid", e.actor_bare_jid)
      .string("actor_nick", e.actor_nick)
      .string("occupant_id", e.occupant_id)
      .string("target", e.target)
      .string("body", e.body)
      .raw("detail", e.detail)
      .string("stanza_id", e.stanza_id)
      .string("event_id", e.event_id)
      .number("seq", e.seq)
      .string("retracted_at", e.retracted_at)
      .string("retracted_by", e.retracted_by)
      .string("retraction_reason", e.retraction_reason);
  if (!raw_file.empty()) o.string("raw_file", raw_file);
  return o.str();
}

std::string cursor_of(const LogEvent& e) {
  return std::to_string(e.occurred_us) + "." + std::to_string(e.seq);
}

LogEvent read_log_event(const pqxx::row& row, bool with_raw) {
  LogEvent e;
  e.event_id = row[0].as<std::string>();
  e.seq = row[1].as<long long>();
  e.room = row[2].as<std::string>();
  e.stanza_id = row[3].as<std::string>();
  e.occurred_at = row[4].as<std::string>();
  e.occurred_us = row[5].as<long long>();
  e.kind = row[6].as<std::string>();
  e.actor_jid = row[7].as<std::string>();
  e.actor_bare_jid = row[8].as<std::string>();
  e.actor_nick = row[9].as<std::string>();
  e.target = row[10].as<std::string>();
  e.body = row[11].as<std::string>();
  e.detail = row[12].as<std::string>();
  e.retracted_at = row[13].as<std::string>();
  e.retracted_by = row[14].as<std::string>();
  e.retraction_reason = row[15].as<std::string>();
  const std::string secret = row[16].as<std::string>();
  // The same HMAC the room put on the live stanzas (XEP-0421), so staff can match an id
  // quoted from a client's screen.
  if (!secret.empty() && !e.actor_bare_jid.empty())
    e.occupant_id = muc::occupant_id_of(secret, e.actor_bare_jid);
  if (with_raw) e.raw = row[17].as<std::string>();
  return e;
}

}  // namespace commonroom::store
