// The abuse log's durable writer: group-commits room events to PostgreSQL or the local
// journal, and says when each batch is durable so the stanzas it caused may be sent.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "muc/room_event.hpp"
#include "store/journal.hpp"

namespace commonroom::store {

enum class EventLogMode : uint8_t {
  // Every batch is fdatasync'd to the journal, then copied to PostgreSQL in the background.
  // Durable latency is one fdatasync whatever PostgreSQL is doing.
  journal_first,
  // A batch is committed straight to PostgreSQL when PostgreSQL is connected and idle (the
  // common case: no journal IO at all). When it is down, failing, slower than
  // database_timeout, busy with the previous batch (see journal_overflow) or replaying the
  // journal, the batch is fdatasync'd to the journal instead and replayed from there. So a
  // burst above PostgreSQL's ingest rate is absorbed at journal speed.
  database_first,
};

std::string_view to_string(EventLogMode mode);
bool parse_event_log_mode(std::string_view text, EventLogMode& out);

struct EventLogSettings {
  std::string database_uri;  // empty: no PostgreSQL; events stay in the journal
  std::filesystem::path journal_dir;
  EventLogMode mode = EventLogMode::journal_first;  // decision 0077
  size_t max_batch_events = 10000;  // one group commit takes at most this many events
  // submit() blocks while this many events wait for the writer (back-pressure on the
  // engine, and through it on the link, instead of unbounded memory).
  size_t max_pending_events = 100000;
  // database_first: a batch not committed within this goes to the journal instead.
  std::chrono::milliseconds database_timeout{1000};
  // database_first: while one batch is at PostgreSQL, the next is journaled rather than
  // queued behind it once journal_overflow_events wait or the batch at PostgreSQL has
  // taken journal_overflow_after. Below both, the events wait and go to PostgreSQL as the
  // next batch, written once (the journal would write them, sync them, read them back
  // and copy them again). false: the journal is used only when PostgreSQL is down,
  // failing or slower than database_timeout, and the durable rate is PostgreSQL's ingest
  // rate.
  bool journal_overflow = true;
  size_t journal_overflow_events = 1000;
  std::chrono::milliseconds journal_overflow_after{20};
  std::chrono::milliseconds statement_timeout{30000};
  uint64_t segment_bytes = 64ull << 20;
  size_t drain_batch_events = 10000;  // events per transaction when replaying the journal
  // journal_first: the journal is copied into PostgreSQL once its oldest uncopied event has
  // waited this long (or replay_after_events wait, or a reader waits in wait_in_database),
  // so PostgreSQL takes one large batch per interval instead of a commit per message
  // (decision 0077). 0: as soon as anything is journaled. database_first replays at once.
  std::chrono::milliseconds replay_interval{1000};
  // ... or once this many wait: a copy stays small enough (a few ms of PostgreSQL's CPU) not
  // to hold up the rooms on a busy machine, yet large enough to share a commit widely.
  size_t replay_after_events = 256;
  // ... or once this many wait while events arrive fast enough to reach replay_after_events
  // within replay_interval: under load each copy is a short burst of PostgreSQL's CPU beside
  // the rooms (p99 at half the saturating rate 5.8 -> 3.5 ms), while at room rates the journal
  // is still copied once a second, each copy's commit shared widely (decision 0079).
  size_t replay_busy_events = 32;
  std::chrono::milliseconds reconnect_initial{250};
  std::chrono::milliseconds reconnect_max{10000};
  // While the journal holds events, a log line says how many, this often.
  std::chrono::milliseconds backlog_report_interval{10000};
  // stop() keeps replaying the journal this long before leaving the rest for next start.
  std::chrono::milliseconds stop_drain_timeout{5000};
  // The admin web's traffic figures for the groupchat messages inserted are added this long
  // after the first of them, or once this many rooms and minutes are waiting (decision 0074).
  std::chrono::milliseconds traffic_interval{5000};
  size_t traffic_max_entries = 4096;
  LogSink log;
};

// journal_first, gathering: whether `waiting` journaled events, the first of them `waited` ago,
// are to be copied into PostgreSQL now rather than once replay_interval has passed.
bool journal_copy_due_early(const EventLogSettings& settings, size_t waiting,
                            std::chrono::steady_clock::duration waited);

// A snapshot for logs, /metrics and tests.
struct EventLogStats {
  bool database_connected = false;
  std::string last_database_error;  // empty until something failed
  uint64_t backlog_events = 0;      // in the journal, not yet in PostgreSQL
  uint64_t backlog_bytes = 0;
  size_t journal_segments = 0;
  uint64_t submitted_events = 0;
  uint64_t durable_events = 0;    // made durable (either way), tickets completed
  uint64_t journaled_events = 0;  // of which through the journal
  uint64_t database_events = 0;   // rows inserted into PostgreSQL (live + replayed)
  uint64_t replayed_events = 0;   // of which from the journal
  uint64_t batches = 0;           // group commits
  uint64_t last_batch_events = 0;
  uint64_t largest_batch_events = 0;
  std::chrono::microseconds last_commit_latency{0};  // submit of a batch's first ticket to durable
  std::chrono::microseconds max_commit_latency{0};
  uint64_t durable_through = 0;  // every ticket <= this is durable
};

class EventLog {
 public:
  using Ticket = uint64_t;
  // Called on the log's writer or database thread (the one that made the ticket durable),
  // never on both at once, in ticket order, once the ticket's events are durable.
  // Keep it short (hand the stanzas to the link); it may call submit() but not wait_*().
  // wait_durable(t) returns only after t's callback has returned.
  using OnDurable = std::function<void(Ticket)>;

  // Opens and recovers the journal (throws JournalError). Nothing runs before start().
  explicit EventLog(EventLogSettings settings);
  ~EventLog();  // stop()s
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  void start();
  // Thread-safe; blocks while max_pending_events are already waiting (not when called from
  // an OnDurable callback). Returns 0 after stop(). Tickets are numbered from 1 and
  // complete in order; an empty batch gets a
  // ticket too (it completes after every earlier one), so callers can keep stanzas that log
  // nothing in order with the ones that do.
  Ticket submit(std::vector<muc::RoomEvent> events, OnDurable on_durable = {});
  // True once the ticket is durable; false on timeout or when the log stopped first.
  bool wait_durable(Ticket ticket, std::chrono::milliseconds timeout);
  // True once everything submitted is durable and the journal is empty (all in PostgreSQL).
  bool wait_drained(std::chrono::milliseconds timeout);
  // For readers of room_events that must see every event durable so far (the XEP-0313
  // archive, the admin web's log pages): waits until all of them are in PostgreSQL. Events
  // committed straight to PostgreSQL are there already; journaled ones are copied at once
  // while someone waits. False on timeout, while PostgreSQL is not connected, or once the
  // log has stopped.
  bool wait_in_database(std::chrono::milliseconds timeout);
  EventLogStats stats() const;
  // Makes everything submitted durable, replays the journal for up to stop_drain_timeout,
  // then stops the threads. Idempotent. Events still in the journal are replayed by the
  // next start.
  void stop();

  struct State;  // defined in event_log.cpp

 private:
  std::unique_ptr<State> state_;
};

}  // namespace commonroom::store
