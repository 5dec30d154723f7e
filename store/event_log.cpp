#include "store/event_log.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "store/database.hpp"
#include "store/event_log_copy.hpp"
#include "store/event_log_database.hpp"
#include "xmpp/backoff.hpp"

namespace commonroom::store {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

CopyRows encode_rows(const std::vector<const muc::RoomEvent*>& events) {
  CopyRows rows;
  size_t estimate = 0;
  for (const auto* e : events) estimate += 96 + e->body.size() + e->raw.size() + e->detail.size();
  rows.text.reserve(estimate + estimate / 8);
  for (const auto* e : events) append_copy_row(rows.text, *e);
  rows.rows = events.size();
  return rows;
}

}  // namespace

std::string_view to_string(EventLogMode mode) {
  return mode == EventLogMode::journal_first ? "journal-first" : "database-first";
}

bool parse_event_log_mode(std::string_view text, EventLogMode& out) {
  if (text == "journal-first") {
    out = EventLogMode::journal_first;
  } else if (text == "database-first") {
    out = EventLogMode::database_first;
  } else {
    return false;
  }
  return true;
}

struct EventLog::State {
  struct Pending {
    Ticket ticket = 0;
    std::vector<muc::RoomEvent> events;
    OnDurable on_durable;
    Clock::time_point submitted;
  };

  // A batch the writer asks the database thread to commit, waiting at most database_timeout.
  struct LiveRequest {
    CopyRows rows;
    bool done = false;
    bool ok = false;
    size_t inserted = 0;
  };

  explicit State(EventLogSettings s)
      : settings(std::move(s)),
        journal(Journal::Options{settings.journal_dir, settings.segment_bytes, settings.log}) {
    if (!settings.database_uri.empty()) {
      db = std::make_unique<EventLogDatabase>(settings.database_uri, settings.statement_timeout);
    }
    if (settings.max_batch_events == 0) settings.max_batch_events = 1;
    if (settings.drain_batch_events == 0) settings.drain_batch_events = 1;
  }

  void log(LogSeverity severity, const std::string& message) const {
    if (settings.log) settings.log(severity, message);
  }

  // ---- writer thread ----
  //
  // A pipeline: at most one batch is at PostgreSQL at a time (database_first, when it is
  // idle); batches taken while it is busy are fdatasync'd to the journal meanwhile and
  // wait in `behind`, because tickets complete strictly in order.

  struct Batch {
    std::vector<Pending> pendings;
    size_t events = 0;
  };

  struct AtDatabase {
    Batch batch;
    std::shared_ptr<LiveRequest> request;
    Clock::time_point deadline;
    Clock::time_point overflow;  // from then on, batches behind it go to the journal
  };

  void writer_loop() {
    std::optional<AtDatabase> at_db;
    std::vector<Batch> behind;  // durable (journaled or empty), completed after at_db
    for (;;) {
      Batch batch;
      {
        std::unique_lock lock(mutex);
        // While a batch is at PostgreSQL, new events wait to be its successor unless enough
        // of them wait, or it takes long enough, to journal them instead (never without
        // journal_overflow).
        auto take = [&] {
          return !at_db || writer_stop ||
                 (settings.journal_overflow &&
                  (pending_events >= settings.journal_overflow_events ||
                   Clock::now() >= at_db->overflow));
        };
        auto ready = [&] {
          return (!pending.empty() && take()) || (at_db && at_db->request->done) ||
                 (writer_stop && !at_db);
        };
        if (at_db) {
          auto until = at_db->deadline;
          if (settings.journal_overflow && Clock::now() < at_db->overflow)
            until = std::min(until, at_db->overflow);
          writer_cv.wait_until(lock, until, ready);
        } else {
          writer_cv.wait(lock, ready);
        }
        if (at_db && (at_db->request->done || Clock::now() >= at_db->deadline)) {
          const bool ok = resolve_locked(*at_db);
          lock.unlock();
          if (ok || journal_sync(at_db->batch)) complete(at_db->batch);
          for (auto& b : behind) complete(b);
          at_db.reset();
          behind.clear();
          continue;
        }
        if (pending.empty() || !take()) {
          if (writer_stop && !at_db) return;
          continue;
        }
        while (!pending.empty() &&
               (batch.pendings.empty() ||
                batch.events + pending.front().events.size() <= settings.max_batch_events)) {
          batch.events += pending.front().events.size();
          pending_events -= pending.front().events.size();
          batch.pendings.push_back(std::move(pending.front()));
          pending.pop_front();
        }
      }
      space_cv.notify_all();
      if (batch.events == 0) {
        if (at_db) {
          behind.push_back(std::move(batch));
        } else {
          complete(batch);
        }
        continue;
      }
      if (!at_db && settings.mode == EventLogMode::database_first) {
        if (auto request = post_to_database(batch)) {
          const auto now = Clock::now();
          at_db = AtDatabase{std::move(batch), std::move(request), now + settings.database_timeout,
                             now + settings.journal_overflow_after};
          continue;
        }
      }
      if (!journal_sync(batch, /*database_fallback=*/!at_db)) continue;
      if (at_db) {
        behind.push_back(std::move(batch));
      } else {
        complete(batch);
      }
    }
  }

  static std::vector<const muc::RoomEvent*> events_of(const Batch& batch) {
    std::vector<const muc::RoomEvent*> all;
    all.reserve(batch.events);
    for (const auto& p : batch.pendings) {
      for (const auto& e : p.events) all.push_back(&e);
    }
    return all;
  }

  // Hands the batch to the database thread if PostgreSQL is connected and idle: a batch
  // never queues behind another transaction (a replay chunk, a slow commit).
  // As the journal's fallback (it cannot be written), a replay in progress is no reason
  // to wait.
  std::shared_ptr<LiveRequest> post_to_database(const Batch& batch, bool fallback = false) {
    {
      std::lock_guard lock(mutex);
      if (!db || !db_connected || live || live_busy) return nullptr;
      // Replay first, so PostgreSQL receives events roughly in the order they happened.
      if (!fallback && (draining || journal.backlog().events > 0)) return nullptr;
    }
    auto request = std::make_shared<LiveRequest>();
    request->rows = encode_rows(events_of(batch));
    std::lock_guard lock(mutex);
    live = request;
    db_cv.notify_all();
    return request;
  }

  // The batch at PostgreSQL has answered or run out of time; true if it is committed.
  bool resolve_locked(AtDatabase& at) {
    if (at.request->done) {
      if (at.request->ok) database_events += at.request->inserted;
      return at.request->ok;
    }
    if (live == at.request) {
      live.reset();  // never started: nothing to undo
    } else {
      // Still being written; if it commits after all, the journal replay of the same events
      // inserts nothing (idempotent on event_id).
      live_abandoned = true;
    }
    ++database_timeouts;
    if (database_timeouts == 1 || database_timeouts % 100 == 0) {
      log(LogSeverity::warning, "abuse log: PostgreSQL did not commit a batch within " +
                                    std::to_string(settings.database_timeout.count()) + " ms (" +
                                    std::to_string(database_timeouts) +
                                    " time(s) so far); journaling it instead");
    }
    return false;
  }

  // Journals the batch, retrying until it works: chat waits rather than send stanzas whose
  // events are not logged. With database_fallback, a broken journal is bypassed by
  // committing to PostgreSQL directly. False only when stopping and still failing.
  bool journal_sync(const Batch& batch, bool database_fallback = false) {
    auto all = events_of(batch);
    std::optional<xmpp::Backoff> delay;  // made on the first failure: it seeds a generator
    for (int attempt = 0;; ++attempt) {
      if (try_journal(all)) return true;
      if (database_fallback && try_database_sync(batch)) return true;
      {
        std::lock_guard lock(mutex);
        if (writer_stop && attempt >= 2) {
          lost_events += batch.events;
          log(LogSeverity::error, "abuse log: " + std::to_string(batch.events) +
                                      " event(s) could not be made durable before shutdown; "
                                      "the stanzas they caused were not sent");
          return false;
        }
      }
      if (!delay) delay.emplace(milliseconds(100), milliseconds(5000), xmpp::Jitter::none);
      std::this_thread::sleep_for(delay->next());
    }
  }

  bool try_database_sync(const Batch& batch) {
    auto request = post_to_database(batch, /*fallback=*/true);
    if (!request) return false;
    const auto now = Clock::now();
    AtDatabase at{Batch{}, request, now + settings.database_timeout, now};
    std::unique_lock lock(mutex);
    writer_cv.wait_until(lock, at.deadline, [&] { return request->done; });
    return resolve_locked(at);
  }

  bool try_journal(const std::vector<const muc::RoomEvent*>& events) {
    JournalBatch batch;
    for (const auto* e : events) batch.add(*e);
    try {
      journal.append(batch);
    } catch (const JournalError& e) {
      std::lock_guard lock(mutex);
      ++journal_failures;
      last_journal_error = e.what();
      log(LogSeverity::error, std::string("abuse log: journal write failed: ") + e.what());
      return false;
    }
    std::lock_guard lock(mutex);
    journaled_events += events.size();
    db_cv.notify_all();
    return true;
  }

  void complete(Batch& done) {
    auto& batch = done.pendings;
    const size_t events = done.events;
    // Callbacks first, so that wait_durable() returning means the callback has run too.
    for (auto& p : batch) {
      if (!p.on_durable) continue;
      try {
        p.on_durable(p.ticket);
      } catch (const std::exception& e) {
        log(LogSeverity::error, std::string("abuse log: completion callback failed: ") + e.what());
      }
    }
    {
      std::lock_guard lock(mutex);
      durable_through = batch.back().ticket;
      durable_events += events;
      if (events > 0) {
        ++batches;
        last_batch_events = events;
        largest_batch_events = std::max<uint64_t>(largest_batch_events, events);
        last_latency = duration_cast<microseconds>(Clock::now() - batch.front().submitted);
        max_latency = std::max(max_latency, last_latency);
      }
    }
    done_cv.notify_all();
  }

  // ---- database thread ----

  void db_loop() {
    xmpp::Backoff delay(settings.reconnect_initial, settings.reconnect_max,
                        xmpp::Jitter::quarter_more);
    auto next_connect = Clock::now();
    auto next_report = Clock::now() + settings.backlog_report_interval;
    bool first_connect = true;
    bool connect_failed = false;  // since the last successful connect
    // Any failure (connect or write) pushes the next attempt back; only a successful write
    // resets the delay, so a server that accepts connections but fails every batch (say,
    // room_events missing: not migrated) is retried at the backoff rate, not in a loop.
    auto back_off = [&] { next_connect = Clock::now() + delay.next(); };
    auto succeeded = [&] {
      delay.reset();
      failures_since_connect = 0;
    };
    std::unique_lock lock(mutex);
    for (;;) {
      const auto now = Clock::now();
      if (now >= next_report) {
        report_backlog_locked();
        next_report = now + settings.backlog_report_interval;
      }
      if (db_stop) {
        if (!db || !db_connected || now >= stop_deadline || journal.backlog().events == 0) return;
      }
      if (!db) {
        db_cv.wait_until(lock, next_report);
        continue;
      }
      if (!db_connected) {
        fail_live_locked();
        if (now < next_connect) {
          db_cv.wait_until(lock, std::min(next_connect, next_report));
          continue;
        }
        lock.unlock();
        std::string error;
        try {
          db->connect();
        } catch (const std::exception& e) {
          error = e.what();
        }
        lock.lock();
        if (!error.empty()) {
          record_failure_locked(error);
          connect_failed = true;
          back_off();
          continue;
        }
        db_connected = true;
        auto backlog = journal.backlog();
        if (connect_failed || (first_connect && backlog.events > 0)) {
          log(LogSeverity::information,
              "abuse log: connected to PostgreSQL at " + db->redacted_uri() +
                  (backlog.events > 0 ? "; replaying " + std::to_string(backlog.events) +
                                            " event(s) from the journal"
                                      : ""));
        }
        first_connect = false;
        connect_failed = false;
        replay_started_backlog = backlog.events;
        continue;
      }
      if (live) {
        auto request = std::move(live);
        live.reset();
        live_busy = true;
        lock.unlock();
        std::string error;
        size_t inserted = 0;
        try {
          inserted = db->write(request->rows);
        } catch (const std::exception& e) {
          error = e.what();
        }
        lock.lock();
        live_busy = false;
        request->done = true;
        request->ok = error.empty();
        request->inserted = inserted;
        if (live_abandoned) {
          live_abandoned = false;
          // The writer journaled these events; count the rows only if they are new.
          if (request->ok) database_events += inserted;
        }
        if (error.empty()) {
          succeeded();
        } else {
          db_connected = db->connected();
          record_failure_locked(error);
          back_off();
        }
        done_cv.notify_all();
        writer_cv.notify_all();
        continue;
      }
      auto backlog = journal.backlog();
      if (backlog.events > 0) {
        draining = true;
        lock.unlock();
        std::string error;
        size_t inserted = 0;
        size_t frames = 0;
        try {
          JournalChunk chunk = journal.read(settings.drain_batch_events);
          frames = chunk.frames;
          std::vector<const muc::RoomEvent*> events;
          events.reserve(chunk.events.size());
          for (const auto& e : chunk.events) events.push_back(&e);
          inserted = db->write(encode_rows(events));
          journal.consume(chunk);
        } catch (const std::exception& e) {
          error = e.what();
        }
        lock.lock();
        draining = false;
        if (!error.empty()) {
          db_connected = db->connected();
          record_failure_locked(error);
          back_off();
          if (db_connected) {
            // A journal read error, not PostgreSQL: do not spin on it.
            db_cv.wait_for(lock, milliseconds(1000));
          }
          continue;
        }
        succeeded();
        if (frames == 0) {
          db_cv.wait_for(lock, milliseconds(100));  // nothing readable yet; not a busy loop
          continue;
        }
        database_events += inserted;
        replayed_events += inserted;
        if (journal.backlog().events == 0) {
          if (replay_started_backlog > 0) {
            log(LogSeverity::information,
                "abuse log: journal drained; every event is in PostgreSQL");
            replay_started_backlog = 0;
          }
          done_cv.notify_all();
        }
        continue;
      }
      done_cv.notify_all();  // drained: wake wait_drained()
      if (db_stop) return;
      db_cv.wait_until(lock, next_report);
    }
  }

  void fail_live_locked() {
    if (!live) return;
    live->done = true;
    live->ok = false;
    live.reset();
    done_cv.notify_all();
    writer_cv.notify_all();
  }

  void record_failure_locked(const std::string& error) {
    const bool first = failures_since_connect == 0;
    ++failures_since_connect;
    ++database_failures;
    if (first || error != last_database_error) {
      auto backlog = journal.backlog();
      log(LogSeverity::warning, "abuse log: " + error + "; events go to the journal in " +
                                    settings.journal_dir.string() + " (" +
                                    std::to_string(backlog.events) + " waiting)");
    }
    last_database_error = error;
  }

  void report_backlog_locked() {
    auto backlog = journal.backlog();
    const bool behind = backlog.events > 2 * settings.drain_batch_events;
    if (backlog.events == 0 || (db_connected && !behind)) return;
    log(LogSeverity::warning, "abuse log: " + std::to_string(backlog.events) + " event(s) (" +
                                  mib(backlog.bytes) + ") in the journal waiting for PostgreSQL" +
                                  (db_connected ? "" : "; last error: " + last_database_error));
  }

  EventLogSettings settings;
  Journal journal;
  std::unique_ptr<EventLogDatabase> db;  // used by the database thread only

  mutable std::mutex mutex;
  std::condition_variable writer_cv;
  std::condition_variable db_cv;
  std::condition_variable done_cv;
  std::condition_variable space_cv;  // pending_events fell below max_pending_events
  uint64_t pending_events = 0;
  std::deque<Pending> pending;
  Ticket next_ticket = 1;
  Ticket durable_through = 0;
  bool started = false;
  bool stopped = false;
  bool writer_stop = false;
  bool db_stop = false;
  Clock::time_point stop_deadline;
  std::shared_ptr<LiveRequest> live;
  bool live_busy = false;
  bool draining = false;  // the database thread is replaying a journal chunk
  bool live_abandoned = false;
  bool db_connected = false;
  uint64_t failures_since_connect = 0;
  uint64_t replay_started_backlog = 0;

  std::string last_database_error;
  std::string last_journal_error;
  uint64_t submitted_events = 0;
  uint64_t durable_events = 0;
  uint64_t journaled_events = 0;
  uint64_t database_events = 0;
  uint64_t replayed_events = 0;
  uint64_t database_failures = 0;
  uint64_t database_timeouts = 0;
  uint64_t journal_failures = 0;
  uint64_t lost_events = 0;
  uint64_t batches = 0;
  uint64_t last_batch_events = 0;
  uint64_t largest_batch_events = 0;
  microseconds last_latency{0};
  microseconds max_latency{0};

  std::thread writer;
  std::thread db_thread;
};

EventLog::EventLog(EventLogSettings settings)
    : state_(std::make_unique<State>(std::move(settings))) {}

EventLog::~EventLog() {
  stop();
}

void EventLog::start() {
  std::lock_guard lock(state_->mutex);
  if (state_->started) return;
  state_->started = true;
  state_->writer = std::thread([s = state_.get()] { s->writer_loop(); });
  state_->db_thread = std::thread([s = state_.get()] { s->db_loop(); });
}

EventLog::Ticket EventLog::submit(std::vector<muc::RoomEvent> events, OnDurable on_durable) {
  Ticket ticket = 0;
  {
    std::unique_lock lock(state_->mutex);
    // Back-pressure: if the writer cannot keep up (or is stuck retrying a broken journal
    // and an unreachable PostgreSQL), the engine thread waits here, stops reading its
    // queue, and the link stops reading the socket - memory stays bounded. Never on the
    // writer thread itself (a callback may submit).
    if (std::this_thread::get_id() != state_->writer.get_id()) {
      state_->space_cv.wait(lock, [&] {
        return state_->writer_stop || state_->pending_events < state_->settings.max_pending_events;
      });
    }
    if (state_->writer_stop) return 0;
    ticket = state_->next_ticket++;
    state_->pending_events += events.size();
    state_->submitted_events += events.size();
    state_->pending.push_back(
        State::Pending{ticket, std::move(events), std::move(on_durable), Clock::now()});
  }
  state_->writer_cv.notify_one();
  return ticket;
}

bool EventLog::wait_durable(Ticket ticket, std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  return state_->done_cv.wait_for(lock, timeout, [&] {
    return state_->durable_through >= ticket || state_->stopped;
  }) && state_->durable_through >= ticket;
}

bool EventLog::wait_drained(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  auto drained = [&] {
    // Not while a chunk is being replayed: the journal is already empty once the chunk is
    // consumed, but its events are counted only when the database thread takes the lock.
    return state_->pending.empty() && state_->durable_through + 1 == state_->next_ticket &&
           !state_->live && !state_->live_busy && !state_->draining &&
           state_->journal.backlog().events == 0;
  };
  // The database thread notifies after every chunk; poll too, in case a notification
  // raced with this wait starting.
  auto deadline = Clock::now() + timeout;
  while (!drained()) {
    if (state_->stopped || Clock::now() >= deadline) return false;
    state_->done_cv.wait_until(lock, std::min(deadline, Clock::now() + milliseconds(50)));
  }
  return true;
}

EventLogStats EventLog::stats() const {
  std::lock_guard lock(state_->mutex);
  const State& s = *state_;
  auto backlog = s.journal.backlog();
  EventLogStats out;
  out.database_connected = s.db_connected;
  out.last_database_error = s.last_database_error;
  out.backlog_events = backlog.events;
  out.backlog_bytes = backlog.bytes;
  out.journal_segments = backlog.segments;
  out.submitted_events = s.submitted_events;
  out.durable_events = s.durable_events;
  out.journaled_events = s.journaled_events;
  out.database_events = s.database_events;
  out.replayed_events = s.replayed_events;
  out.batches = s.batches;
  out.last_batch_events = s.last_batch_events;
  out.largest_batch_events = s.largest_batch_events;
  out.last_commit_latency = s.last_latency;
  out.max_commit_latency = s.max_latency;
  out.durable_through = s.durable_through;
  return out;
}

void EventLog::stop() {
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->started || state_->stopped) {
      state_->writer_stop = true;
      state_->stopped = true;
      state_->space_cv.notify_all();
      return;
    }
    state_->writer_stop = true;
  }
  state_->space_cv.notify_all();
  state_->writer_cv.notify_all();
  state_->writer.join();
  {
    std::lock_guard lock(state_->mutex);
    state_->db_stop = true;
    state_->stop_deadline = Clock::now() + state_->settings.stop_drain_timeout;
  }
  state_->db_cv.notify_all();
  state_->db_thread.join();
  {
    std::lock_guard lock(state_->mutex);
    state_->stopped = true;
    auto backlog = state_->journal.backlog();
    if (backlog.events > 0) {
      state_->log(LogSeverity::warning,
                  "abuse log: stopping with " + std::to_string(backlog.events) +
                      " event(s) in the journal; they are replayed at the next start");
    }
  }
  state_->done_cv.notify_all();
}

}  // namespace commonroom::store
