#include "store/room_archive.hpp"

#include <pqxx/pqxx>

#include <algorithm>

#include "store/pg_array.hpp"
#include "xmpp/jid.hpp"

namespace commonroom::store {

namespace {

using TimePoint = std::chrono::system_clock::time_point;

std::optional<long long> micros(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count();
}

// The archive of room $1 with the query's filters ($2 start, $3 end, $4 sender nick, $5 ids,
// $6 after-id, $7 before-id). Retracted messages are left out: XEP-0425 says they are gone
// for readers (abuse staff still see them in room_events_with_retractions).
constexpr const char* kFiltered =
    " FROM room_events e"
    " WHERE e.room = $1 AND e.kind = 'groupchat' AND e.stanza_id IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM room_events x WHERE x.kind = 'retraction'"
    "   AND x.room = e.room AND x.target = e.stanza_id)"
    " AND ($2::bigint IS NULL OR e.occurred_at >= 'epoch'::timestamptz + $2::bigint * interval "
    "'1 microsecond')"
    " AND ($3::bigint IS NULL OR e.occurred_at <= 'epoch'::timestamptz + $3::bigint * interval "
    "'1 microsecond')"
    " AND ($4::text IS NULL OR e.actor_nick = $4::text)"
    " AND ($5::text[] IS NULL OR e.stanza_id = ANY ($5::text[]))"
    " AND ($6::text IS NULL OR (e.occurred_at, e.seq) > (SELECT occurred_at, seq FROM room_events"
    "   WHERE room = $1 AND kind = 'groupchat' AND stanza_id = $6::text LIMIT 1))"
    " AND ($7::text IS NULL OR (e.occurred_at, e.seq) < (SELECT occurred_at, seq FROM room_events"
    "   WHERE room = $1 AND kind = 'groupchat' AND stanza_id = $7::text LIMIT 1))";

// Counting is bounded: XEP-0059 lets a server leave out <count/> and the first item's
// 'index' when they would be "exceptionally resource intensive", and counting a busy room's
// whole archive was (every row checked against the retractions: 3.4 s for a room of 78,000
// messages). Up to this many they are exact; beyond, they are left out (decision 0071).
constexpr long long kCountLimit = 2000;

std::optional<std::uint32_t> bounded(long long counted) {
  if (counted > kCountLimit) return std::nullopt;
  return static_cast<std::uint32_t>(counted);
}

}  // namespace

RoomArchive::RoomArchive(Database& db) : db_(db) {}

std::optional<muc::MamPage> RoomArchive::query(const muc::MamQuery& q) {
  pqxx::read_transaction tx(db_.connection(), "room archive");
  auto known = [&](const std::optional<std::string>& id) {
    if (!id || id->empty()) return true;
    return !tx.exec_params(
                  "SELECT 1 FROM room_events WHERE room = $1 AND kind = 'groupchat'"
                  " AND stanza_id = $2 LIMIT 1",
                  q.room, *id)
                .empty();
  };
  if (!known(q.after_id) || !known(q.before_id) || !known(q.rsm.after) || !known(q.rsm.before))
    return std::nullopt;

  // 'with' is an occupant JID (room@service/nick): the messages that occupant sent. The
  // room's own bare JID means every message.
  std::optional<std::string> with_nick;
  if (!q.with.empty()) {
    auto jid = xmpp::Jid::try_parse(q.with);
    std::string bare = jid ? std::string(jid->bare().full()) : q.with;
    if (!jid || bare != q.room || jid->resource().empty()) {
      // Someone else's JID: no message in this archive was sent "with" it.
      muc::MamPage empty;
      empty.complete = true;
      empty.count = 0;
      return empty;
    }
    with_nick = std::string(jid->resource());
  }

  const auto start = micros(q.start);
  const auto end = micros(q.end);
  const auto ids = array_literal(q.ids);
  const std::optional<std::string> after_id = q.after_id, before_id = q.before_id;

  muc::MamPage page;
  page.count = bounded(
      tx.exec_params1(std::string("SELECT count(*) FROM (SELECT 1") + kFiltered + " LIMIT $8) c",
                      q.room, start, end, with_nick, ids, after_id, before_id, kCountLimit + 1)[0]
          .as<long long>());

  const std::uint32_t max = std::min(q.rsm.max.value_or(kDefaultPage), kMaxPage);
  // <before/> pages backwards from the end (or from the given id), everything else forwards.
  const bool backwards = q.rsm.before.has_value();
  std::optional<std::string> cursor;
  if (backwards && !q.rsm.before->empty()) cursor = *q.rsm.before;
  if (!backwards && q.rsm.after) cursor = *q.rsm.after;
  long long offset = (!backwards && !q.rsm.after && q.rsm.index) ? *q.rsm.index : 0;

  std::string sql =
      "SELECT e.stanza_id, (extract(epoch FROM e.occurred_at) * 1000000)::bigint,"
      " coalesce(e.actor_nick, ''), coalesce(e.body, ''), coalesce(e.raw, ''),"
      " coalesce(e.actor_bare_jid, '')";
  sql += kFiltered;
  sql += backwards ? " AND ($8::text IS NULL OR (e.occurred_at, e.seq) < (SELECT occurred_at, seq"
                   : " AND ($8::text IS NULL OR (e.occurred_at, e.seq) > (SELECT occurred_at, seq";
  sql +=
      " FROM room_events WHERE room = $1 AND kind = 'groupchat' AND stanza_id = $8::text"
      " LIMIT 1))";
  sql += backwards ? " ORDER BY e.occurred_at DESC, e.seq DESC" : " ORDER BY e.occurred_at, e.seq";
  sql += " LIMIT $9::bigint OFFSET $10::bigint";
  auto rows = tx.exec_params(sql, q.room, start, end, with_nick, ids, after_id, before_id, cursor,
                             static_cast<long long>(max) + 1, offset);
  for (const auto& row : rows) {
    if (page.items.size() == max) break;
    page.items.push_back({row[0].as<std::string>(),
                          TimePoint{std::chrono::microseconds{row[1].as<long long>()}},
                          row[2].as<std::string>(), row[3].as<std::string>(),
                          row[4].as<std::string>(), row[5].as<std::string>()});
  }
  page.complete = rows.size() <= max;
  if (backwards) std::reverse(page.items.begin(), page.items.end());
  if (!page.items.empty() && page.count) {
    // Where the page starts in the whole result (RSM <first index='...'/>).
    const std::optional<std::string> first = page.items.front().stanza_id;
    page.first_index = bounded(
        tx.exec_params1(
              std::string("SELECT count(*) FROM (SELECT 1") + kFiltered +
                  " AND (e.occurred_at, e.seq) < (SELECT occurred_at, seq FROM room_events"
                  " WHERE room = $1 AND kind = 'groupchat' AND stanza_id = $8::text"
                  " LIMIT 1) LIMIT $9) c",
              q.room, start, end, with_nick, ids, after_id, before_id, first, kCountLimit + 1)[0]
            .as<long long>());
  }
  tx.commit();
  return page;
}

}  // namespace commonroom::store
