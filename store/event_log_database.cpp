#include "store/event_log_database.hpp"

#include <cstdio>
#include <random>

#include <pqxx/pqxx>
#include <pqxx/tablewriter>

#include "store/database.hpp"
#include "store/event_log_copy.hpp"
#include "store/event_log_rows.hpp"
#include "store/traffic_rollup.hpp"

namespace commonroom::store {

namespace {

// libpqxx 6.4 marks tablewriter deprecated in favour of stream_to, which has no way to
// send rows we have already escaped; tablewriter's write_raw_line does.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void copy_into(pqxx::transaction_base& txn, const std::string& table, const CopyRows& rows) {
  std::vector<std::string> columns;
  std::string all = kRoomEventColumns;
  for (size_t pos = 0; pos < all.size();) {
    size_t comma = all.find(',', pos);
    if (comma == std::string::npos) comma = all.size();
    std::string name = all.substr(pos, comma - pos);
    name.erase(0, name.find_first_not_of(' '));
    columns.push_back(name);
    pos = comma + 1;
  }
  pqxx::tablewriter writer(txn, table, columns.begin(), columns.end());
  if (!rows.text.empty()) {
    // write_raw_line adds the final newline itself; the buffer holds many rows at once so
    // libpq gets one large write instead of one per row.
    std::string_view text = rows.text;
    if (text.back() == '\n') text.remove_suffix(1);
    writer.write_raw_line(std::string(text));
  }
  writer.complete();
}
#pragma GCC diagnostic pop

std::string one_line(std::string text) {
  for (auto& c : text) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// A dead server must be noticed in seconds, not after the kernel's TCP timeout (minutes).
std::string with_keepalives(const std::string& uri) {
  if (uri.find("keepalives") != std::string::npos) return uri;
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") +
         "keepalives_idle=5&keepalives_interval=2&keepalives_count=3";
}

bool needs_slow_path(const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  // 23505 unique_violation: some events are already there (a replay). Class 22, data
  // exception: e.g. a detail that is not valid JSON.
  return state == "23505" || state.rfind("22", 0) == 0;
}

// A live batch's INSERT, as statements prepared on each connection. The unnest of the eleven
// arrays is one statement whatever the batch's size (one round trip). A live batch is new
// events, so it is first sent without ON CONFLICT (decision 0076): the conflict check opens
// a B-tree scan per row whose working area (~27 KB) made glibc grow and trim the backend's
// heap on every statement. Only when that fails on a duplicate does the batch go again with
// ON CONFLICT DO NOTHING; RETURNING names the rows really inserted, read only when some
// were already there (a replay).
constexpr const char* kInsertNew = "room_events_insert_new";
constexpr const char* kInsert = "room_events_insert";
constexpr const char* kInsertChecked = "room_events_insert_checked";
constexpr const char* kAddTraffic = "room_traffic_add";

// What the trigger of schema 0012 did per batch, every five seconds for all the batches since:
// each room's newest message, and the messages per hour (cut from UTC minutes in this
// session's time zone, as the admin web reads them). Rows in a fixed order, so two
// instances adding at once cannot deadlock. The writer's row records how many additions
// it has made, in the same transaction: an addition whose answer was lost is looked up.
// Rows of writers silent for a week (processes long gone) are removed on the way.
constexpr const char* kAddTrafficStatement =
    "WITH activity AS ("
    " INSERT INTO room_activity AS a (room, last_message_at)"
    " SELECT room, at FROM unnest($1::text[], $2::timestamptz[]) AS t(room, at) ORDER BY room"
    " ON CONFLICT (room) DO UPDATE SET last_message_at = EXCLUDED.last_message_at"
    " WHERE a.last_message_at < EXCLUDED.last_message_at),"
    " writer AS ("
    " INSERT INTO room_traffic_writers (writer, additions, at) VALUES ($5, $6, now())"
    " ON CONFLICT (writer) DO UPDATE SET additions = EXCLUDED.additions, at = EXCLUDED.at),"
    " gone AS (DELETE FROM room_traffic_writers WHERE at < now() - interval '7 days')"
    " INSERT INTO room_message_hours AS h (hour, messages)"
    " SELECT date_trunc('hour', minute), sum(n) FROM unnest($3::timestamptz[], $4::bigint[])"
    " AS m(minute, n) GROUP BY 1 ORDER BY 1"
    " ON CONFLICT (hour) DO UPDATE SET messages = h.messages + EXCLUDED.messages";
constexpr const char* kTrafficAdditions = "room_traffic_additions";

// A name no other writer has: 128 random bits.
std::string random_writer_name() {
  std::random_device device;
  char out[40];
  std::snprintf(out, sizeof out, "%08x%08x%08x%08x", device(), device(), device(), device());
  return out;
}

void read_new_ids(const pqxx::result& result, size_t given, std::vector<std::string>* new_ids) {
  if (!new_ids || result.affected_rows() >= given) return;
  new_ids->reserve(new_ids->size() + result.size());
  for (const auto& row : result) new_ids->push_back(row[0].c_str());
}

// What the INSERT does with an event already logged: fail (a live batch), or skip it.
enum class Existing { kFail, kSkip };

std::string insert_statement(const char* detail, Existing existing) {
  return std::string("INSERT INTO room_events (") + kRoomEventColumns +
         ") SELECT event_id, room, stanza_id, occurred_at, kind, actor_jid, actor_nick, target,"
         " body, " +
         detail +
         ", raw FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[],"
         " $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])"
         " AS r(event_id, room, stanza_id, occurred_at, kind, actor_jid, actor_nick, target,"
         " body, detail, raw)" +
         (existing == Existing::kSkip ? " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
                                      : "");
}

}  // namespace

EventLogDatabase::EventLogDatabase(std::string uri, std::chrono::milliseconds statement_timeout)
    : uri_(std::move(uri)),
      redacted_(redact_uri(uri_)),
      statement_timeout_(statement_timeout),
      traffic_writer_(random_writer_name()) {}

EventLogDatabase::~EventLogDatabase() = default;

void EventLogDatabase::connect() {
  disconnect();
  std::unique_ptr<Database> db;
  try {
    db = std::make_unique<Database>(with_keepalives(uri_));
  } catch (const DatabaseError& e) {
    // Report the URI as configured, not with the keepalive parameters added here.
    std::string message = e.what();
    const std::string shown = redact_uri(with_keepalives(uri_));
    if (auto pos = message.find(shown); pos != std::string::npos) {
      message.replace(pos, shown.size(), redacted_);
    }
    throw DatabaseError(message);
  }
  try {
    {
      pqxx::nontransaction tx(db->connection());
      tx.exec("SET statement_timeout = " + std::to_string(statement_timeout_.count()));
    }
    // Only defined here: libpqxx prepares each on the server the first time it is used.
    db->connection().prepare(kInsertNew, insert_statement("detail::jsonb", Existing::kFail));
    db->connection().prepare(kInsert, insert_statement("detail::jsonb", Existing::kSkip));
    db->connection().prepare(kInsertChecked,
                             insert_statement("room_event_detail(detail)", Existing::kSkip));
    db->connection().prepare(kAddTraffic, kAddTrafficStatement);
    db->connection().prepare(kTrafficAdditions,
                             "SELECT additions FROM room_traffic_writers WHERE writer = $1");
  } catch (const std::exception& e) {
    throw DatabaseError("PostgreSQL at " + redacted_ + ": " + one_line(e.what()));
  }
  db_ = std::move(db);
  staging_ready_ = false;
}

void EventLogDatabase::disconnect() {
  db_.reset();
  staging_ready_ = false;
}

void EventLogDatabase::fail(const std::exception& e) {
  // Whatever went wrong, this connection's state is unknown now: start afresh next time.
  disconnect();
  throw DatabaseError("PostgreSQL at " + redacted_ + ": " + one_line(e.what()));
}

size_t EventLogDatabase::copy_direct(const CopyRows& rows) {
  // One COPY outside BEGIN/COMMIT is its own transaction: PostgreSQL commits it (flushed
  // as synchronous_commit says) before it reports the COPY complete, and a failed COPY
  // inserts nothing. Two round trips per batch instead of four.
  pqxx::nontransaction txn(db_->connection());
  copy_into(txn, "room_events", rows);
  return rows.rows;
}

size_t EventLogDatabase::write(const CopyRows& rows, std::vector<std::string>* new_ids) {
  if (!db_) throw DatabaseError("not connected to PostgreSQL at " + redacted_);
  if (rows.rows == 0) return 0;
  try {
    return copy_direct(rows);
  } catch (const pqxx::sql_error& e) {
    if (!needs_slow_path(e)) fail(e);
  } catch (const std::exception& e) {
    fail(e);
  }
  return write_idempotent(rows, new_ids);
}

size_t EventLogDatabase::insert_prepared(const char* statement, const EventRows& rows,
                                         std::vector<std::string>* new_ids) {
  pqxx::nontransaction txn(db_->connection());
  const auto& c = rows.columns;
  auto result = txn.exec_prepared(statement, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8],
                                  c[9], c[10]);
  read_new_ids(result, rows.rows, new_ids);
  return result.affected_rows();
}

size_t EventLogDatabase::insert(const EventRows& rows, std::vector<std::string>* new_ids) {
  if (!db_) throw DatabaseError("not connected to PostgreSQL at " + redacted_);
  if (rows.rows == 0) return 0;
  try {
    // A failed statement on its own inserted nothing, so the whole batch goes again: with
    // ON CONFLICT when some events are already there (23505, a replay), and with every
    // detail checked when one is rejected (class 22, data exception: not valid JSON).
    const char* statement = kInsertNew;
    while (true) {
      try {
        return insert_prepared(statement, rows, new_ids);
      } catch (const pqxx::sql_error& e) {
        const std::string& state = e.sqlstate();
        if (state == "23505" && statement == kInsertNew) {
          statement = kInsert;
        } else if (state.rfind("22", 0) == 0 && statement != kInsertChecked) {
          statement = kInsertChecked;
        } else {
          throw;
        }
      }
    }
  } catch (const std::exception& e) {
    fail(e);
  }
}

size_t EventLogDatabase::write_idempotent(const CopyRows& rows, std::vector<std::string>* new_ids) {
  if (!db_) throw DatabaseError("not connected to PostgreSQL at " + redacted_);
  if (rows.rows == 0) return 0;
  try {
    pqxx::work txn(db_->connection());
    if (!staging_ready_) {
      // Per connection; ON COMMIT DELETE ROWS empties it after every batch.
      txn.exec(
          "CREATE TEMP TABLE IF NOT EXISTS room_events_incoming ("
          " event_id text, room text, stanza_id text, occurred_at timestamptz, kind text,"
          " actor_jid text, actor_nick text, target text, body text, detail text, raw text"
          ") ON COMMIT DELETE ROWS");
    }
    copy_into(txn, "room_events_incoming", rows);
    auto result =
        txn.exec("INSERT INTO room_events (" + std::string(kRoomEventColumns) +
                 ") SELECT event_id, room, stanza_id, occurred_at, kind, actor_jid, actor_nick,"
                 " target, body, room_event_detail(detail), raw FROM room_events_incoming"
                 " ON CONFLICT (event_id) DO NOTHING RETURNING event_id");
    txn.commit();
    staging_ready_ = true;
    read_new_ids(result, rows.rows, new_ids);
    return result.affected_rows();
  } catch (const std::exception& e) {
    fail(e);
  }
}

void EventLogDatabase::add_traffic(TrafficRollup& traffic) {
  if (!db_) throw DatabaseError("not connected to PostgreSQL at " + redacted_);
  try {
    if (traffic_in_doubt_) {
      pqxx::nontransaction txn(db_->connection());
      auto result = txn.exec_prepared(kTrafficAdditions, traffic_writer_);
      const auto added = result.empty() ? 0 : result[0][0].as<uint64_t>();
      if (added < traffic_in_doubt_number_) traffic.merge(*traffic_in_doubt_);
      traffic_in_doubt_.reset();
    }
    if (traffic.empty()) return;
    const uint64_t number = traffic_additions_ + 1;
    try {
      pqxx::nontransaction txn(db_->connection());
      txn.exec_prepared(kAddTraffic, traffic.rooms_literal(), traffic.last_message_literal(),
                        traffic.minutes_literal(), traffic.counts_literal(), traffic_writer_,
                        number);
    } catch (const pqxx::sql_error&) {
      throw;  // PostgreSQL refused it: nothing was added
    } catch (const std::exception&) {
      // The connection broke: added or not, the next call finds out.
      traffic_in_doubt_ = std::make_unique<TrafficRollup>(std::move(traffic));
      traffic_in_doubt_number_ = number;
      traffic.clear();
      traffic_additions_ = number;
      throw;
    }
    traffic_additions_ = number;
    traffic.clear();
  } catch (const std::exception& e) {
    fail(e);
  }
}

}  // namespace commonroom::store
