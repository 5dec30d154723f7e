#include "store/log_context.hpp"

#include <pqxx/pqxx>

#include <algorithm>

#include "store/json_text.hpp"
#include "store/log_search.hpp"
#include "xmpp/jid.hpp"

namespace commonroom::store {

namespace {

constexpr const char* kAt = "('epoch'::timestamptz + $3::bigint * interval '1 microsecond')";

// One side of the anchor ($2 room, $3 micros, $4 seq, $5 limit): "<" reads back from it,
// ">=" forward from it (the anchor included).
std::vector<LogEvent> side(pqxx::transaction_base& tx, const std::string& room, long long at_us,
                           long long seq, int limit, bool backwards) {
  if (limit <= 0) return {};
  const std::string order = backwards ? " DESC" : "";
  std::string sql = "SELECT " + log_event_sql::select_list(1, false) +
                    " FROM (SELECT * FROM room_events e WHERE e.room = $2 AND e.occurred_at " +
                    (backwards ? "<= " : ">= ") + kAt + " AND (e.occurred_at, e.seq) " +
                    (backwards ? "< (" : ">= (") + kAt + ", $4::bigint) ORDER BY e.occurred_at" +
                    order + ", e.seq" + order + " LIMIT $5::bigint) e" + log_event_sql::kJoins +
                    " ORDER BY e.occurred_at, e.seq";
  std::vector<LogEvent> out;
  for (const auto& row : tx.exec_params(sql, log_event_sql::kTimeFormat, room, at_us, seq,
                                        static_cast<long long>(limit)))
    out.push_back(read_log_event(row, false));
  return out;
}

std::string prepared_room(const std::string& text) {
  try {
    auto jid = xmpp::Jid::parse(text);
    if (jid.has_resource() || !jid.has_node())
      throw LogQueryError("room \"" + text + "\" is not a bare room JID (room@service)");
    return std::string(jid.bare_str());
  } catch (const xmpp::JidError& e) {
    throw LogQueryError("room \"" + text + "\" is not a JID: " + e.what());
  }
}

}  // namespace

LogContext read_context(pqxx::transaction_base& tx, const ContextRef& ref, int before, int after) {
  if (before < 0 || before > 1000 || after < 0 || after > 1000)
    throw LogQueryError("context shows 0 to 1000 events on each side");
  const int named = !ref.event_id.empty() + !ref.stanza_id.empty() + !ref.at.empty();
  if (named != 1)
    throw LogQueryError("name one event: an event id, a stanza-id, or a room and a time");
  tx.exec0("SET LOCAL TimeZone = 'UTC'");
  LogContext ctx;
  long long at_us = 0, seq = 0;
  if (!ref.at.empty()) {
    if (ref.room.empty()) throw LogQueryError("a time needs its room");
    LogQuery check;
    check.from = ref.at;
    (void)prepared(check);  // the same time syntax as searches, with the same error
    ctx.room = prepared_room(ref.room);
    at_us =
        tx.exec_params1("SELECT (extract(epoch FROM $1::timestamptz) * 1000000)::bigint", ref.at)[0]
            .as<long long>();
    seq = 0;  // every event of that microsecond comes after the cut
  } else {
    pqxx::result rows;
    const std::string cols =
        "SELECT room, (extract(epoch FROM occurred_at) * 1000000)::bigint, seq FROM room_events";
    if (!ref.event_id.empty()) {
      rows = tx.exec_params(cols + " WHERE event_id = $1", ref.event_id);
      if (rows.empty()) throw LogQueryError("no event has the id " + ref.event_id);
    } else {
      // The message itself, not a retraction that names it.
      const std::string room = ref.room.empty() ? "" : prepared_room(ref.room);
      rows = tx.exec_params(cols +
                                " WHERE stanza_id = $1 AND kind <> 'retraction'"
                                " AND ($2 = '' OR room = $2) ORDER BY occurred_at, seq LIMIT 2",
                            ref.stanza_id, room);
      if (rows.empty())
        throw LogQueryError("no message has the stanza-id " + ref.stanza_id +
                            (room.empty() ? "" : " in " + room));
      if (rows.size() > 1)
        throw LogQueryError("the stanza-id " + ref.stanza_id + " is in more than one room (" +
                            rows[0][0].as<std::string>() + ", " + rows[1][0].as<std::string>() +
                            "); give the room too");
    }
    ctx.room = rows[0][0].as<std::string>();
    at_us = rows[0][1].as<long long>();
    seq = rows[0][2].as<long long>();
  }
  ctx.events = side(tx, ctx.room, at_us, seq, before, true);
  // With an anchor event, "after" counts the events after it, so it reads one more.
  auto later = side(tx, ctx.room, at_us, seq, ref.at.empty() ? after + 1 : after, false);
  if (ref.at.empty() && !later.empty()) ctx.anchor = static_cast<int>(ctx.events.size());
  ctx.events.insert(ctx.events.end(), later.begin(), later.end());
  return ctx;
}

std::string context_ref_json(const ContextRef& ref) {
  JsonObject o;
  if (!ref.event_id.empty()) o.string("event_id", ref.event_id);
  if (!ref.stanza_id.empty()) o.string("stanza_id", ref.stanza_id);
  if (!ref.room.empty()) o.string("room", ref.room);
  if (!ref.at.empty()) o.string("at", ref.at);
  return o.str();
}

}  // namespace commonroom::store
