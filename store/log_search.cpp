#include "store/log_search.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <charconv>
#include <map>
#include <regex>

#include "muc/features/feature.hpp"
#include "store/json_text.hpp"
#include "store/pg_array.hpp"
#include "xmpp/jid.hpp"

namespace commonroom::store {

namespace {

const std::vector<std::string> kMessageKinds = {"groupchat", "private_message"};

std::string bare_jid(const std::string& text, const std::string& what) {
  try {
    xmpp::Jid jid = xmpp::Jid::parse(text);
    if (jid.has_resource())
      throw LogQueryError(what + " \"" + text + "\" has a resource; give the bare JID");
    if (!jid.has_node())
      throw LogQueryError(what + " \"" + text + "\" is a domain; give user@domain");
    return std::string(jid.bare_str());
  } catch (const xmpp::JidError& e) {
    throw LogQueryError(what + " \"" + text + "\" is not a JID: " + e.what());
  }
}

// ISO 8601 as staff type it: a date, optionally a time, optionally a zone (UTC without one).
void check_time(const std::string& text, const std::string& what) {
  static const std::regex iso(
      R"(\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?)");
  if (!std::regex_match(text, iso))
    throw LogQueryError(what + " \"" + text +
                        "\" is not a time; write 2026-11-25, 2026-11-25T14:00 or "
                        "2026-11-25T14:00:00+01:00 (no zone means UTC)");
}

struct Cursor {
  long long at_us = 0;
  long long seq = 0;
};

Cursor parse_cursor(const std::string& text) {
  Cursor c;
  const auto dot = text.find('.');
  auto number = [&](std::string_view s, long long& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
  };
  if (dot == std::string::npos || !number(std::string_view(text).substr(0, dot), c.at_us) ||
      !number(std::string_view(text).substr(dot + 1), c.seq))
    throw LogQueryError("\"" + text + "\" is not a page cursor (MICROSECONDS.SEQ from a result)");
  return c;
}

// Collects parameters and hands out their $n.
class Params {
 public:
  std::string add(std::string value) {
    values_.push_back(std::move(value));
    return "$" + std::to_string(values_.size());
  }
  const std::vector<std::string>& values() const { return values_; }

 private:
  std::vector<std::string> values_;
};

// `column = $n` for one value (so a single room or user can drive an ordered index scan),
// `column = ANY ($n::text[])` for several.
std::string any_of(Params& p, const std::string& column, const std::vector<std::string>& values) {
  if (values.size() == 1) return column + " = " + p.add(values[0]);
  return column + " = ANY (" + p.add(*array_literal(values)) + "::text[])";
}

std::vector<ResolvedOccupant> resolve_occupants(pqxx::transaction_base& tx, const LogQuery& q) {
  std::vector<ResolvedOccupant> out;
  if (q.occupant_ids.empty()) return out;
  for (const auto& room : q.rooms) {
    auto key = tx.exec_params("SELECT occupant_id_secret FROM rooms WHERE jid = $1", room);
    if (key.empty())
      throw LogQueryError("room " + room +
                          " is not stored (a temporary or destroyed room keeps no occupant-id "
                          "key), so its occupant-ids cannot be matched; search by --user or "
                          "--nick instead");
    const std::string secret = key[0][0].as<std::string>();
    // Every sender of the room in the time range, hashed as the room hashed them live.
    Params p;
    std::string sql =
        "SELECT DISTINCT actor_bare_jid FROM room_events WHERE room = " + p.add(room) +
        " AND actor_bare_jid IS NOT NULL";
    if (!q.from.empty()) sql += " AND occurred_at >= " + p.add(q.from) + "::timestamptz";
    if (!q.to.empty()) sql += " AND occurred_at < " + p.add(q.to) + "::timestamptz";
    for (const auto& row : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(p.values()))) {
      const std::string jid = row[0].as<std::string>();
      const std::string id = muc::occupant_id_of(secret, jid);
      if (std::find(q.occupant_ids.begin(), q.occupant_ids.end(), id) != q.occupant_ids.end())
        out.push_back({id, room, jid});
    }
  }
  return out;
}

}  // namespace

LogQuery prepared(const LogQuery& q) {
  LogQuery out;
  for (const auto& r : q.rooms) out.rooms.push_back(bare_jid(r, "room"));
  for (const auto& u : q.users) out.users.push_back(bare_jid(u, "user"));
  out.nicks = q.nicks;
  out.occupant_ids = q.occupant_ids;
  for (const auto& n : out.nicks)
    if (n.empty()) throw LogQueryError("an empty nick matches nothing");
  for (const auto& id : out.occupant_ids)
    if (id.empty()) throw LogQueryError("an empty occupant-id matches nothing");
  if (!out.occupant_ids.empty() && out.rooms.empty())
    throw LogQueryError(
        "occupant-ids differ from room to room (XEP-0421); give the room(s) with --room");
  out.words = q.words;
  if (!q.from.empty()) check_time(q.from, "from");
  if (!q.to.empty()) check_time(q.to, "to");
  out.from = q.from;
  out.to = q.to;
  out.all_kinds = q.all_kinds;
  if (!q.all_kinds) out.kinds = q.kinds.empty() ? kMessageKinds : q.kinds;
  for (const auto& k : out.kinds)
    if (k.empty()) throw LogQueryError("an empty kind matches nothing");
  return out;
}

std::string query_json(const LogQuery& q) {
  JsonObject o;
  o.array("rooms", q.rooms);
  o.array("users", q.users);
  o.array("nicks", q.nicks);
  o.array("occupant_ids", q.occupant_ids);
  o.string("words", q.words);
  o.string("from", q.from);
  o.string("to", q.to);
  if (q.all_kinds)
    o.string("kinds", "all");
  else
    o.array("kinds", q.kinds);
  return o.str();
}

namespace {

struct BuiltSearch {
  std::string sql;
  Params params;
  std::vector<ResolvedOccupant> occupants;
  bool matches_nothing = false;
};

// A search for words in given rooms over a bounded time range walks the weeks of schema
// 0015's "ROOM WEEK" keys newest first, a few weeks per query, until its page is full: the
// index then intersects a word with those rooms' weeks instead of reading the word's posting
// list for the whole log, and a common word in a busy room stops after its newest week
// instead of fetching every match of the month to sort them.
constexpr long long kSecondsPerWeek = 604800;
constexpr long long kMaxWalkWeeks = 106;  // about two years; beyond, the plain query is no worse

struct WeekRange {
  long long newest = 0;
  long long oldest = 0;
};

// The keys of weeks [oldest, newest] for every room of the query, as a text[] literal.
std::string week_keys(const LogQuery& q, long long newest, long long oldest) {
  std::vector<std::string> keys;
  for (const auto& room : q.rooms)
    for (long long week = newest; week >= oldest; --week)
      keys.push_back(room + " " + std::to_string(week));
  return *array_literal(keys);
}

// Once per search, before any query of it runs: the session settings, the check that the
// words are words, and the weeks to walk when the search can walk them (one round trip for
// the last two: at these speeds each one counts).
std::optional<WeekRange> begin_search(pqxx::transaction_base& tx, const LogQuery& q,
                                      const std::string& after, int limit) {
  if (limit < 1 || limit > 1000000) throw LogQueryError("a page holds 1 to 1000000 events");
  // A time typed without a zone is UTC. A common word's bitmap (over 100,000 rows at 10
  // million events) overflows the default 4 MB work_mem and turns lossy: every row of every
  // page it touches is then re-tokenised (measured at 10M: most of a 195 ms p95).
  tx.exec0("SET LOCAL TimeZone = 'UTC'; SET LOCAL work_mem = '64MB'");
  if (q.words.empty()) return std::nullopt;
  // (occupant-ids are resolved by hashing the rooms' senders: once is enough, so no walk)
  const bool walk = !q.rooms.empty() && !q.from.empty() && !q.to.empty() && q.occupant_ids.empty();
  const char* words = "SELECT numnode(websearch_to_tsquery('commonroom_words'::regconfig, $1))";
  const auto row =
      walk ? tx.exec_params1(std::string(words) +
                                 ", floor(extract(epoch FROM $2::timestamptz) / 604800)::bigint,"
                                 " floor(extract(epoch FROM $3::timestamptz) / 604800)::bigint",
                             q.words, q.to, q.from)
           : tx.exec_params1(words, q.words);
  // A query of punctuation only folds to no word and would silently match nothing.
  if (row[0].as<int>() == 0) throw LogQueryError("\"" + q.words + "\" has no word to search for");
  if (!walk) return std::nullopt;
  WeekRange w{row[1].as<long long>(), row[2].as<long long>()};
  if (!after.empty()) {
    const long long at_s = parse_cursor(after).at_us / 1000000;
    w.newest =
        std::min(w.newest, (at_s >= 0 ? at_s : at_s - kSecondsPerWeek + 1) / kSecondsPerWeek);
  }
  if (w.newest < w.oldest || w.newest - w.oldest >= kMaxWalkWeeks) return std::nullopt;
  return w;
}

// week_keys: when given, the rooms are matched through those room-week keys instead.
BuiltSearch build_search(pqxx::transaction_base& tx, const LogQuery& q, const std::string& after,
                         int limit, bool with_raw, const std::string* week_keys = nullptr) {
  BuiltSearch b;
  Params& p = b.params;
  p.add(log_event_sql::kTimeFormat);  // $1, for select_list
  std::vector<std::string> where;
  // The room-week keys name the rooms (a JID has no space), so they replace the room
  // condition, which would only tempt the planner into also reading the rooms' whole time
  // index and intersecting the two.
  if (week_keys)
    where.push_back("room_events_week_key(e.room, e.occurred_at) = ANY(" + p.add(*week_keys) +
                    "::text[])");
  else if (!q.rooms.empty())
    where.push_back(any_of(p, "e.room", q.rooms));
  if (!q.users.empty()) where.push_back(any_of(p, "e.actor_bare_jid", q.users));
  if (!q.nicks.empty()) where.push_back(any_of(p, "e.actor_nick", q.nicks));
  if (!q.occupant_ids.empty()) {
    b.occupants = resolve_occupants(tx, q);
    b.matches_nothing = b.occupants.empty();  // no sender of these rooms has those ids
    std::vector<std::string> rooms, jids;
    for (const auto& o : b.occupants) {
      rooms.push_back(o.room);
      jids.push_back(o.bare_jid);
    }
    if (!b.matches_nothing)
      where.push_back("EXISTS (SELECT 1 FROM unnest(" + p.add(*array_literal(rooms)) +
                      "::text[], " + p.add(*array_literal(jids)) +
                      "::text[]) o(room, jid) WHERE o.room = e.room AND o.jid = e.actor_bare_jid)");
  }
  if (!q.words.empty()) {
    where.push_back(
        "to_tsvector('commonroom_words'::regconfig, e.body) @@"
        " websearch_to_tsquery('commonroom_words'::regconfig, " +
        p.add(q.words) + ")");
  }
  if (!q.from.empty()) where.push_back("e.occurred_at >= " + p.add(q.from) + "::timestamptz");
  if (!q.to.empty()) where.push_back("e.occurred_at < " + p.add(q.to) + "::timestamptz");
  if (!q.all_kinds) where.push_back(any_of(p, "e.kind", q.kinds));
  if (!after.empty()) {
    const Cursor c = parse_cursor(after);
    const std::string at = "('epoch'::timestamptz + " + p.add(std::to_string(c.at_us)) +
                           "::bigint * interval '1 microsecond')";
    // The plain bound lets an index on occurred_at start at the cursor; the row comparison
    // breaks ties between events of the same microsecond.
    where.push_back("e.occurred_at <= " + at);
    where.push_back("(e.occurred_at, e.seq) < (" + at + ", " + p.add(std::to_string(c.seq)) +
                    "::bigint)");
  }
  b.sql =
      "SELECT " + log_event_sql::select_list(1, with_raw) + " FROM (SELECT * FROM room_events e";
  for (size_t i = 0; i < where.size(); ++i) b.sql += (i ? " AND " : " WHERE ") + where[i];
  // The page is cut before the retraction and key lookups, so they run for its rows only.
  b.sql += " ORDER BY e.occurred_at DESC, e.seq DESC LIMIT " + p.add(std::to_string(limit + 1)) +
           "::bigint) e";
  b.sql += log_event_sql::kJoins;
  b.sql += " ORDER BY e.occurred_at DESC, e.seq DESC";
  return b;
}

}  // namespace

namespace {

// Runs the search, walking weeks when week_range allows (1, 4, 16, ... weeks per query, newest
// first; each query's rows are older than the previous one's, so they concatenate in order).
// With plans, each query run is also EXPLAINed into it.
LogPage run_search(pqxx::transaction_base& tx, const LogQuery& q, const std::string& after,
                   int limit, bool with_raw, std::string* plans) {
  LogPage page;
  bool more = false;
  auto run = [&](const std::string* keys) {
    BuiltSearch b =
        build_search(tx, q, after, limit - static_cast<int>(page.events.size()), with_raw, keys);
    page.occupants = b.occupants;
    if (b.matches_nothing) return;
    const auto params = pqxx::prepare::make_dynamic_params(b.params.values());
    if (plans)
      for (const auto& row : tx.exec_params("EXPLAIN (ANALYZE, BUFFERS) " + b.sql, params))
        *plans += row[0].as<std::string>() + "\n";
    for (const auto& row : tx.exec_params(b.sql, params)) {
      if (static_cast<int>(page.events.size()) == limit) {
        more = true;
        break;
      }
      page.events.push_back(read_log_event(row, with_raw));
    }
  };
  if (const auto weeks = begin_search(tx, q, after, limit)) {
    long long newest = weeks->newest;
    // The newest week first (a common word fills its page there), then 4 more, 16, ...
    for (long long span = 1; newest >= weeks->oldest && !more; span *= 4) {
      const long long oldest = std::max(weeks->oldest, newest - span + 1);
      const std::string keys = week_keys(q, newest, oldest);
      if (plans)
        *plans += "-- weeks " + std::to_string(oldest) + ".." + std::to_string(newest) + "\n";
      run(&keys);
      if (page.events.size() == static_cast<size_t>(limit) && !more) {
        // The page filled exactly: one row in the older weeks decides whether there is a
        // next page.
        if (oldest > weeks->oldest) {
          const std::string older = week_keys(q, oldest - 1, weeks->oldest);
          BuiltSearch b = build_search(tx, q, after, 1, false, &older);
          more =
              !tx.exec_params(b.sql, pqxx::prepare::make_dynamic_params(b.params.values())).empty();
        }
        break;
      }
      newest = oldest - 1;
    }
  } else {
    run(nullptr);
  }
  if (more) page.next = cursor_of(page.events.back());
  return page;
}

}  // namespace

LogPage search_log(pqxx::transaction_base& tx, const LogQuery& q, const std::string& after,
                   int limit, bool with_raw) {
  return run_search(tx, q, after, limit, with_raw, nullptr);
}

std::string explain_search_log(pqxx::transaction_base& tx, const LogQuery& q,
                               const std::string& after, int limit) {
  std::string plans;
  run_search(tx, q, after, limit, false, &plans);
  return plans.empty() ? "(no occupant matched: nothing to run)\n" : plans;
}

}  // namespace commonroom::store
