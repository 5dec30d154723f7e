// The abuse log's PostgreSQL side: writes batches of events into room_events, idempotently.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace commonroom::store {

class Database;
struct EventRows;
class TrafficRollup;

// Rows in COPY text format (store/event_log_copy.hpp), for one transaction.
struct CopyRows {
  std::string text;  // each row ends in '\n'
  size_t rows = 0;
  void clear() {
    text.clear();
    rows = 0;
  }
};

// One connection, used by one thread (the event log's database thread, or a benchmark).
class EventLogDatabase {
 public:
  // Does not connect. statement_timeout bounds a statement the server is slow to finish.
  EventLogDatabase(std::string uri, std::chrono::milliseconds statement_timeout);
  ~EventLogDatabase();
  EventLogDatabase(const EventLogDatabase&) = delete;
  EventLogDatabase& operator=(const EventLogDatabase&) = delete;

  // Throws DatabaseError with a redacted URI and the reason.
  void connect();
  bool connected() const { return db_ != nullptr; }
  void disconnect();

  // Inserts the rows in one transaction and returns how many were new. Rows whose event_id
  // is already in the table are skipped, so a batch may be written again after a failure
  // whose outcome was unknown (connection lost during COMMIT) or replayed from the journal.
  // The fast path COPYs straight into room_events; if that meets a duplicate event_id or a
  // value PostgreSQL rejects (a detail that is not JSON), the batch goes through a staging
  // table and INSERT ... ON CONFLICT (event_id) DO NOTHING instead.
  // Throws DatabaseError; after a connection failure connected() is false.
  // When fewer rows were new than given and new_ids is set, it receives their event ids.
  size_t write(const CopyRows& rows, std::vector<std::string>* new_ids = nullptr);

  // Writes with the staging path only (the benchmark compares both).
  size_t write_idempotent(const CopyRows& rows, std::vector<std::string>* new_ids = nullptr);

  // The same for a live batch, in one round trip: one prepared INSERT ... SELECT FROM
  // unnest(the column arrays), its own transaction (committed, flushed as
  // synchronous_commit says, before PostgreSQL answers). COPY needs two (the COPY
  // statement's answer, then the data's). `rows` must be finish()ed. If some events are
  // already there, the batch is inserted again with ON CONFLICT (event_id) DO NOTHING; if
  // a value is rejected (a detail that is not JSON), again with every such detail kept as
  // text ({"unparsed": ...}). new_ids as for write(). Throws DatabaseError.
  size_t insert(const EventRows& rows, std::vector<std::string>* new_ids = nullptr);

  // Adds the messages counted in `traffic` to room_activity and room_message_hours, in one
  // statement, and empties it (decision 0074). Throws DatabaseError; what was not added
  // stays in `traffic`, except when the connection broke while PostgreSQL had the statement:
  // then whether it was added is settled at the next call, from this writer's row in
  // room_traffic_writers, so nothing is counted twice or dropped.
  void add_traffic(TrafficRollup& traffic);
  // An addition's connection broke while PostgreSQL had it: the next add_traffic, even
  // with nothing new, finds out whether it was added and adds it if not.
  bool traffic_in_doubt() const { return traffic_in_doubt_ != nullptr; }

  const std::string& redacted_uri() const { return redacted_; }

 private:
  size_t copy_direct(const CopyRows& rows);
  size_t insert_prepared(const char* statement, const EventRows& rows,
                         std::vector<std::string>* new_ids);
  [[noreturn]] void fail(const std::exception& e);

  std::string uri_;
  std::string redacted_;
  std::chrono::milliseconds statement_timeout_;
  std::unique_ptr<Database> db_;
  bool staging_ready_ = false;
  // The traffic figures' additions: this object's own name in room_traffic_writers, how
  // many it has made, and the one whose outcome is not known yet.
  std::string traffic_writer_;
  uint64_t traffic_additions_ = 0;
  std::unique_ptr<TrafficRollup> traffic_in_doubt_;
  uint64_t traffic_in_doubt_number_ = 0;
};

}  // namespace commonroom::store
