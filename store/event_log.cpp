#include "store/event_log.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "store/database.hpp"
#include "store/event_log_copy.hpp"
#include "store/event_log_database.hpp"
#include "store/event_log_rows.hpp"
#include "store/traffic_rollup.hpp"
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

bool journal_copy_due_early(const EventLogSettings& settings, size_t waiting,
                            Clock::duration waited) {
  if (waiting >= settings.replay_after_events) return true;
  if (waiting < settings.replay_busy_events) return false;
  // Busy: at this rate replay_after_events would wait within the interval, i.e.
  // waiting / waited >= replay_after_events / replay_interval.
  const auto interval = std::chrono::duration_cast<Clock::duration>(settings.replay_interval);
  return static_cast<double>(waiting) * static_cast<double>(interval.count()) >=
         static_cast<double>(settings.replay_after_events) *
             static_cast<double>(std::max<Clock::rep>(waited.count(), 0));
}

struct EventLog::State {
  struct Pending {
    Ticket ticket = 0;
    std::vector<muc::RoomEvent> events;
    OnDurable on_durable;
    Clock::time_point submitted;
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
  // database_first, PostgreSQL connected, no journal to replay: the database thread takes
  // the waiting events itself (a "live" batch), commits them and completes their tickets,
  // one batch at a time, so durability takes one hop there and one to the engine. The
  // writer journals instead whenever the live path cannot take them: PostgreSQL down,
  // failing or replaying the journal, journal_first, or while the live batch is at
  // PostgreSQL once too many events wait behind it or it has taken journal_overflow_after
  // (journaled batches then complete after it: tickets complete strictly in order). It also
  // takes back a live batch that ran past database_timeout and journals it.

  struct Batch {
    std::vector<Pending> pendings;
    size_t events = 0;
  };

  // A groupchat message of a batch, for the traffic figures once it is known to be inserted.
  struct Groupchat {
    std::string event_id;
    std::string room;
    std::chrono::system_clock::time_point at;
  };

  static void note_groupchat(const muc::RoomEvent& e, std::vector<Groupchat>& into) {
    if (e.kind == muc::RoomEventKind::groupchat) into.push_back({e.id, e.room, e.occurred_at});
  }

  // A batch at PostgreSQL: the live one the database thread took, or one the writer asked
  // it to commit because the journal cannot be written (the fallback, whose batch stays with
  // the writer).
  struct LiveRequest {
    EventRows rows;
    std::vector<Groupchat> groupchat;
    std::vector<std::string> new_ids;  // when fewer were inserted than sent
    Batch batch;                       // empty for the fallback
    bool done = false;       // the database thread is finished with it, and with the batch
    bool ok = false;         // committed
    bool committed = false;  // committed, and being completed by the database thread
    bool abandoned = false;  // the writer ran out of time and journals the batch instead
    size_t inserted = 0;
  };

  Batch take_batch_locked() {
    Batch batch;
    while (!pending.empty() &&
           (batch.pendings.empty() ||
            batch.events + pending.front().events.size() <= settings.max_batch_events)) {
      batch.events += pending.front().events.size();
      pending_events -= pending.front().events.size();
      batch.pendings.push_back(std::move(pending.front()));
      pending.pop_front();
    }
    return batch;
  }

  // PostgreSQL can take a live batch now, or as soon as the one there has committed.
  bool live_path_open_locked() const {
    return settings.mode == EventLogMode::database_first && db && db_connected && !writer_stop &&
           !draining && !live && !live_busy &&
           // Replay first, so PostgreSQL receives events roughly in the order they happened.
           journal.backlog().events == 0;
  }

  // journal_first with a replay interval: the database thread lets the journal gather
  // instead of copying each batch as it is journaled.
  bool gathers_locked() const {
    return settings.mode == EventLogMode::journal_first && settings.replay_interval.count() > 0 &&
           !db_stop && catch_up_waiters == 0;
  }
  bool gathering_locked() const {
    return gathers_locked() && gathering_since != Clock::time_point{};
  }
  // A reader waits for journaled events (wait_in_database, wait_drained): the database
  // thread copies at once instead of gathering. Made and destroyed with the mutex held.
  struct CopyingNow {
    explicit CopyingNow(State& s) : state(s) {
      ++state.catch_up_waiters;
      state.db_cv.notify_all();
    }
    ~CopyingNow() { --state.catch_up_waiters; }
    CopyingNow(const CopyingNow&) = delete;
    CopyingNow& operator=(const CopyingNow&) = delete;
    State& state;
  };

  // The database thread takes the waiting events as the next live batch.
  bool database_takes_locked() const {
    return !pending.empty() && !in_flight && writer_holding == 0 && live_path_open_locked();
  }
  // (live_busy is set with in_flight, so the live path is "open" again only once the live
  // batch has answered; until then the writer's overflow rules decide.)

  // The writer takes the waiting events to the journal.
  bool writer_takes_locked(Clock::time_point now) const {
    if (pending.empty()) return false;
    if (writer_stop) return true;
    if (in_flight) {
      return settings.journal_overflow &&
             (pending_events >= settings.journal_overflow_events || now >= in_flight_overflow);
    }
    return !live_path_open_locked();
  }

  void writer_loop() {
    std::vector<Batch> behind;  // journaled (or empty) while in_flight was at PostgreSQL
    uint64_t live_seen = 0;
    for (;;) {
      std::unique_lock lock(mutex);
      const auto now = Clock::now();
      if (in_flight && (in_flight->done || now >= in_flight_deadline)) {
        // Left to the writer: it failed or ran out of time (journal it), or batches wait
        // behind it. A live batch that committed with nothing behind it is the database
        // thread's alone.
        auto request = in_flight;
        const bool ok = resolve(lock, *request);
        Batch mine;
        if (!ok) {
          // A copy, not a move: an abandoned live batch may still be read by the database
          // thread (encoding it, or about to learn it was abandoned); it only reads it.
          mine = request->batch;
          ++writer_holding;
        }
        lock.unlock();
        if (!ok && mine.events > 0 && !journal_sync(mine)) mine.pendings.clear();
        if (!mine.pendings.empty()) complete(mine);
        for (auto& b : behind) complete(b);
        lock.lock();
        writer_holding -= behind.size() + (ok ? 0 : 1);
        behind.clear();
        if (in_flight == request) in_flight.reset();
        db_cv.notify_all();  // the live path may be open again
        continue;
      }
      if (writer_takes_locked(now)) {
        Batch batch = take_batch_locked();
        ++writer_holding;
        const bool after_live = in_flight != nullptr;
        lock.unlock();
        space_cv.notify_all();
        bool durable = batch.events == 0 || journal_sync(batch, /*database_fallback=*/!after_live);
        if (durable && after_live) {
          behind.push_back(std::move(batch));
          continue;
        }
        if (durable) complete(batch);
        lock.lock();
        --writer_holding;
        if (database_takes_locked()) db_cv.notify_all();
        continue;
      }
      if (writer_stop && !in_flight) return;
      // Asleep until there is something to take or resolve (decisions 0069, 0075). The
      // database thread starts live batches without waking the writer, except from an idle
      // sleep: while batches run, the writer looks in every database_timeout / 4, so it
      // always learns of a batch before its deadline and then sleeps until exactly that.
      // Events waiting behind a batch wake it once (submit), and it then watches for their
      // overflow every journal_overflow_after while such events keep coming. A message now
      // and then costs the writer no wake-up of its own.
      auto until = Clock::time_point::max();
      if (in_flight) until = in_flight_deadline;
      if (live_started != live_seen) {
        live_seen = live_started;
        until = std::min(until, now + look_in_interval());
      }
      if (settings.journal_overflow) {
        if (overlaps != overlaps_seen) {
          overlaps_seen = overlaps;
          until = std::min(until, now + settings.journal_overflow_after);
        }
        if (in_flight && !pending.empty() && now < in_flight_overflow) {
          until = std::min(until, in_flight_overflow);
        }
      }
      writer_wakes_at = until;
      if (until == Clock::time_point::max()) {
        writer_sleeping = true;
        writer_cv.wait(lock);
        writer_sleeping = false;
      } else {
        writer_cv.wait_until(lock, until);
      }
      writer_wakes_at = Clock::time_point::min();  // awake: it looks before sleeping again
    }
  }

  Clock::duration look_in_interval() const {
    return std::max<Clock::duration>(settings.database_timeout / 4, milliseconds(1));
  }

  // Events were queued behind the live batch at PostgreSQL (the lock held): true if the
  // writer must be woken to watch for their overflow, as it would not look in by then.
  bool writer_must_watch_locked() {
    ++overlaps;
    return settings.journal_overflow &&
           writer_wakes_at > in_flight_overflow + settings.journal_overflow_after;
  }

  static std::vector<const muc::RoomEvent*> events_of(const Batch& batch) {
    std::vector<const muc::RoomEvent*> all;
    all.reserve(batch.events);
    for (const auto& p : batch.pendings) {
      for (const auto& e : p.events) all.push_back(&e);
    }
    return all;
  }

  static void encode(LiveRequest& request, const Batch& batch) {
    const auto events = events_of(batch);
    request.rows.reserve(events);
    for (const auto* e : events) {
      request.rows.add(*e);
      note_groupchat(*e, request.groupchat);
    }
    request.rows.finish();
  }

  // The live batch or the fallback has answered or run out of time; true if it is
  // committed (then the database thread has completed the live batch).
  bool resolve(std::unique_lock<std::mutex>& lock, LiveRequest& request) {
    // Committed just now: the database thread is running its callbacks.
    // (done_cv: the database thread notifies it whenever it finishes a request.)
    if (request.committed) done_cv.wait(lock, [&] { return request.done; });
    if (request.done) return request.ok;
    if (live.get() == &request) {
      live.reset();  // never started: nothing to undo
    } else {
      // Still being written; if it commits after all, the journal replay of the same events
      // inserts nothing (idempotent on event_id).
      request.abandoned = true;
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

  // The journal's fallback (it cannot be written): the database thread commits the batch,
  // if PostgreSQL is connected and idle, and the writer completes it. A replay in progress
  // is no reason to wait.
  bool try_database_sync(const Batch& batch) {
    auto idle = [&] { return db && db_connected && !live && !live_busy && !in_flight; };
    {
      std::lock_guard lock(mutex);
      if (!idle()) return false;
    }
    auto request = std::make_shared<LiveRequest>();
    encode(*request, batch);
    std::unique_lock lock(mutex);
    if (!idle()) return false;
    live = request;
    db_cv.notify_all();
    writer_cv.wait_until(lock, Clock::now() + settings.database_timeout,
                         [&] { return request->done; });
    return resolve(lock, *request);
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
    // A gathering database thread already sleeps until its copy is due.
    if (!gathering_locked() ||
        journal_copy_due_early(settings, journal.backlog().events, Clock::now() - gathering_since))
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
      // An addition whose answer was lost is settled as soon as PostgreSQL is back, not
      // only with the next messages: a room gone quiet (or a stop) would leave it out.
      const bool traffic_ready =
          (db && db->traffic_in_doubt()) ||
          (!traffic.empty() &&
           (db_stop || now >= traffic_due || traffic.entries() >= settings.traffic_max_entries));
      if (db && db_connected && traffic_ready) {
        const bool added = flush_traffic(lock);
        if (!added && !db_connected) back_off();
        if (!added && db_stop) drop_traffic_locked("");
        continue;
      }
      if (db_stop) {
        if (!db || !db_connected || now >= stop_deadline || journal.backlog().events == 0) {
          if (!traffic.empty()) drop_traffic_locked(" (PostgreSQL unreachable)");
          return;
        }
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
          back_off();
          continue;
        }
        db_connected = true;
        auto backlog = journal.backlog();
        // Said after any failure since the last write, not only after a failed attempt to
        // connect: a connection lost while the journal gathered is often replaced at the
        // first try (a failover).
        if (failures_since_connect > 0 || (first_connect && backlog.events > 0)) {
          log(LogSeverity::information,
              "abuse log: connected to PostgreSQL at " + db->redacted_uri() +
                  (backlog.events > 0 ? "; replaying " + std::to_string(backlog.events) +
                                            " event(s) from the journal"
                                      : ""));
        }
        first_connect = false;
        replay_started_backlog = backlog.events;
        continue;
      }
      if (live) {
        auto request = std::move(live);
        live.reset();
        live_busy = true;
        lock.unlock();
        std::string error;
        try {
          request->inserted = db->insert(request->rows, &request->new_ids);
        } catch (const std::exception& e) {
          error = e.what();
        }
        lock.lock();
        live_busy = false;
        settle_traffic(*request, error);
        finish_request_locked(*request, error);
        error.empty() ? succeeded() : back_off();
        done_cv.notify_all();
        writer_cv.notify_all();
        continue;
      }
      if (database_takes_locked()) {
        run_live(lock) ? succeeded() : back_off();
        continue;
      }
      auto backlog = journal.backlog();
      if (backlog.events > 0 && gathers_locked()) {
        if (gathering_since == Clock::time_point{}) gathering_since = now;
        const auto due = gathering_since + settings.replay_interval;
        if (now < due && !journal_copy_due_early(settings, backlog.events, now - gathering_since)) {
          auto until = std::min(due, next_report);
          if (!traffic.empty()) until = std::min(until, traffic_due);
          db_cv.wait_until(lock, until);
          continue;
        }
      }
      if (backlog.events > 0) {
        gathering_since = {};
        draining = true;
        lock.unlock();
        std::string error;
        size_t inserted = 0;
        size_t frames = 0;
        std::vector<Groupchat> replayed;  // the chunk's groupchat messages
        size_t given = 0;
        std::vector<std::string> new_ids;
        bool written = false;
        try {
          JournalChunk chunk = journal.read(settings.drain_batch_events);
          frames = chunk.frames;
          std::vector<const muc::RoomEvent*> events;
          events.reserve(chunk.events.size());
          for (const auto& e : chunk.events) {
            events.push_back(&e);
            note_groupchat(e, replayed);
          }
          given = events.size();
          inserted = db->write(encode_rows(events), &new_ids);
          written = true;
          // Under the lock, with the count: wait_in_database() reads both at one instant.
          lock.lock();
          journal.consume(chunk);
          copied_frames += chunk.frames;
        } catch (const std::exception& e) {
          error = e.what();
        }
        if (!lock.owns_lock()) lock.lock();
        if (written) {
          count_traffic(replayed, given, inserted, new_ids);
        } else if (!db->connected()) {
          doubt_traffic(replayed);
        }
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
        if (journal.backlog().events == 0 && replay_started_backlog > 0) {
          log(LogSeverity::information, "abuse log: journal drained; every event is in PostgreSQL");
          replay_started_backlog = 0;
        }
        done_cv.notify_all();  // wait_in_database() and wait_drained()
        continue;
      }
      done_cv.notify_all();   // drained: wake wait_drained()
      if (db_stop) continue;  // the traffic figures first, then out
      db_cv.wait_until(lock, traffic.empty() ? next_report : std::min(next_report, traffic_due));
    }
  }

  // ---- traffic figures (decision 0074; database thread only) ----

  // Counts the groupchat messages of a batch PostgreSQL has answered for: each one it
  // inserted (all, or those whose ids it returned), and each one it already had that an
  // earlier attempt left in doubt (committed or not, the answer was lost: not counted then).
  void count_traffic(const std::vector<Groupchat>& groupchat, size_t given, size_t inserted,
                     const std::vector<std::string>& new_ids) {
    const bool all = inserted >= given;
    std::unordered_set<std::string_view> fresh;
    if (!all) fresh.insert(new_ids.begin(), new_ids.end());
    const bool was_empty = traffic.empty();
    for (const auto& g : groupchat) {
      bool count = all || fresh.count(g.event_id) > 0;
      if (!in_doubt.empty()) count = in_doubt.erase(g.event_id) > 0 || count;
      if (count) traffic.add(g.room, g.at);
    }
    if (was_empty && !traffic.empty()) traffic_due = Clock::now() + settings.traffic_interval;
  }

  // The connection broke while PostgreSQL had the batch: it may have committed. Its events
  // come back through the journal; whichever are found there already are counted then.
  void doubt_traffic(const std::vector<Groupchat>& groupchat) {
    for (const auto& g : groupchat) {
      if (in_doubt.size() >= kMaxInDoubt) break;  // beyond it the figures may be low
      in_doubt.insert(g.event_id);
    }
  }

  void settle_traffic(const LiveRequest& request, const std::string& error) {
    if (error.empty()) {
      count_traffic(request.groupchat, request.rows.rows, request.inserted, request.new_ids);
    } else if (!db->connected()) {
      doubt_traffic(request.groupchat);
    }
  }

  // Stopping with figures PostgreSQL would not take: said once, then let go.
  void drop_traffic_locked(const char* why) {
    log(LogSeverity::warning, "abuse log: stopping without adding " +
                                  std::to_string(traffic.messages()) +
                                  " message(s) to the admin web's traffic figures" + why +
                                  "; every event itself is logged");
    traffic.clear();
  }

  void add_traffic(const TrafficRollup& counted) {
    if (counted.empty()) return;
    if (traffic.empty()) traffic_due = Clock::now() + settings.traffic_interval;
    traffic.merge(counted);
  }

  // Adds what is counted to PostgreSQL; on failure keeps it for the next attempt. True if
  // it was added.
  bool flush_traffic(std::unique_lock<std::mutex>& lock) {
    TrafficRollup sending;
    std::swap(sending, traffic);
    lock.unlock();
    std::string error;
    try {
      db->add_traffic(sending);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    if (error.empty()) {
      last_traffic_error.clear();
      return true;
    }
    add_traffic(sending);  // what was surely not added; due again in traffic_interval
    db_connected = db->connected();
    if (!db_connected) {
      record_failure_locked(error);  // the connection is gone: events go to the journal
    } else if (error != last_traffic_error) {
      log(LogSeverity::warning, "abuse log: could not add " + std::to_string(traffic.messages()) +
                                    " message(s) to the admin web's traffic figures: " + error +
                                    "; trying again every " +
                                    std::to_string(settings.traffic_interval.count()) + " ms");
    }
    last_traffic_error = error;
    return false;
  }

  // Records how a request to PostgreSQL went (the lock held).
  void finish_request_locked(LiveRequest& request, const std::string& error) {
    request.done = true;
    request.ok = error.empty();
    if (error.empty()) {
      database_events += request.inserted;
    } else {
      db_connected = db->connected();
      record_failure_locked(error);
    }
  }

  // Database thread: takes the waiting events as a live batch, commits them and completes
  // their tickets itself; left to the writer when it fails, runs past database_timeout, or
  // the writer journaled batches behind it meanwhile. True if it committed.
  bool run_live(std::unique_lock<std::mutex>& lock) {
    auto request = std::make_shared<LiveRequest>();
    request->batch = take_batch_locked();
    const auto now = Clock::now();
    in_flight = request;
    in_flight_deadline = now + settings.database_timeout;
    in_flight_overflow = now + settings.journal_overflow_after;
    ++live_started;
    live_busy = true;
    const bool wake_writer = writer_sleeping;  // it watches the deadlines
    lock.unlock();
    space_cv.notify_all();
    if (wake_writer) writer_cv.notify_all();
    std::string error;
    if (request->batch.events > 0) {
      try {
        encode(*request, request->batch);
        request->inserted = db->insert(request->rows, &request->new_ids);
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    lock.lock();
    live_busy = false;
    // Counted (or left in doubt) whether the batch is still ours or the writer journaled it
    // meanwhile: the replay then counts only what it finds new or in doubt.
    if (request->batch.events > 0) settle_traffic(*request, error);
    if (error.empty() && !request->abandoned) {
      // Durable: the callbacks run here, straight after the commit. The writer waits for
      // done before it completes anything behind this batch, so tickets complete in order.
      request->committed = true;
      lock.unlock();
      complete(request->batch);
      lock.lock();
    }
    finish_request_locked(*request, error);
    if (in_flight == request && request->ok && writer_holding == 0) {
      in_flight.reset();
      if (writer_stop) writer_cv.notify_all();  // stopping: it waits for this batch
    } else {
      writer_cv.notify_all();
    }
    done_cv.notify_all();
    return request->ok;
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
    done_cv.notify_all();  // a reader in wait_in_database() need not wait for its deadline
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
  // The traffic figures (decision 0074); the database thread's alone.
  static constexpr size_t kMaxInDoubt = 100000;
  TrafficRollup traffic;  // counted, not yet added
  Clock::time_point traffic_due;
  std::unordered_set<std::string> in_doubt;  // event ids: inserted, or not? (doubt_traffic)

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
  std::shared_ptr<LiveRequest> live;       // the writer's fallback request, not yet taken
  bool live_busy = false;                  // the database thread is writing a request
  std::shared_ptr<LiveRequest> in_flight;  // the live batch, until it is resolved
  Clock::time_point in_flight_deadline;    // then the writer journals it instead
  Clock::time_point in_flight_overflow;    // then the writer journals events behind it
  uint64_t live_started = 0;               // live batches so far
  size_t writer_holding = 0;     // batches the writer took (journaling or behind), not completed
  bool writer_sleeping = false;  // the writer waits with no deadline
  // When the writer's wait ends (min while it is awake), and how many times events were
  // queued behind a live batch (overlaps; the writer's last look at the count).
  Clock::time_point writer_wakes_at = Clock::time_point::min();
  uint64_t overlaps = 0;
  uint64_t overlaps_seen = 0;
  bool draining = false;  // the database thread is replaying a journal chunk
  // journal_first's gathered copy (decision 0077): since when the journal has held events
  // the database thread has not started copying (unset while it is empty or being copied),
  // and how many readers wait for journaled events to reach PostgreSQL (copy at once).
  Clock::time_point gathering_since{};
  size_t catch_up_waiters = 0;
  uint64_t copied_frames = 0;  // journal frames consumed; + backlog = every frame appended
  bool db_connected = false;
  uint64_t failures_since_connect = 0;
  uint64_t replay_started_backlog = 0;

  std::string last_database_error;
  std::string last_traffic_error;
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
  bool wake_database = false;
  bool wake_writer = false;
  {
    std::unique_lock lock(state_->mutex);
    // Back-pressure: if the writer cannot keep up (or is stuck retrying a broken journal
    // and an unreachable PostgreSQL), the engine thread waits here, stops reading its
    // queue, and the link stops reading the socket - memory stays bounded. Never on the
    // threads that run the callbacks (a callback may submit).
    const auto self = std::this_thread::get_id();
    if (self != state_->writer.get_id() && self != state_->db_thread.get_id()) {
      state_->space_cv.wait(lock, [&] {
        return state_->writer_stop || state_->pending_events < state_->settings.max_pending_events;
      });
    }
    if (state_->writer_stop) return 0;
    ticket = state_->next_ticket++;
    state_->pending_events += events.size();
    state_->submitted_events += events.size();
    const auto now = Clock::now();
    state_->pending.push_back(
        State::Pending{ticket, std::move(events), std::move(on_durable), now});
    // Only the thread that takes these events is woken: the writer sleeps through a live
    // batch's commit unless the events overflow to the journal, or it would not look in
    // by the time they could.
    wake_database = state_->database_takes_locked();
    wake_writer = !wake_database && state_->writer_takes_locked(now);
    if (!wake_database && !wake_writer && state_->in_flight) {
      wake_writer = state_->writer_must_watch_locked();
    }
  }
  if (wake_database) state_->db_cv.notify_all();
  if (wake_writer) state_->writer_cv.notify_one();
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
           !state_->live && !state_->live_busy && !state_->in_flight && !state_->draining &&
           state_->journal.backlog().events == 0;
  };
  // The database thread notifies after every chunk; poll too, in case a notification
  // raced with this wait starting.
  State::CopyingNow copying(*state_);
  auto deadline = Clock::now() + timeout;
  while (!drained()) {
    if (state_->stopped || Clock::now() >= deadline) return false;
    state_->done_cv.wait_until(lock, std::min(deadline, Clock::now() + milliseconds(50)));
  }
  return true;
}

bool EventLog::wait_in_database(std::chrono::milliseconds timeout) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  // Every frame journaled so far has been copied once the count reaches this.
  const uint64_t mark = s.copied_frames + s.journal.backlog().events;
  auto copied = [&] { return s.copied_frames >= mark; };
  if (copied()) return true;
  State::CopyingNow copying(s);
  const auto deadline = Clock::now() + timeout;
  // PostgreSQL away: the reader would fail too, so say so now rather than at the deadline.
  s.done_cv.wait_until(lock, deadline,
                       [&] { return copied() || s.stopped || (s.db && !s.db_connected); });
  return copied();
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
