// Abuse-log ingest: how many room events per second are made durable, journal on and off,
// with PostgreSQL's own COPY into the same table printed beside it as the ceiling.
//
//   event_log_bench --database URI --journal-dir DIR [--events N] [--runs R] [--batch B]
//       URI must point at a migrated database (commonroom migrate); room_events is
//       TRUNCATEd before every run. bench/event_log_bench.sh does all of it on a throwaway
//       cluster.
//
//   event_log_bench --drive N --rate R --database URI --journal-dir DIR --completed FILE
//                   [--mode journal-first|database-first] [--prefix P] [--drain-timeout S]
//                   [--detail TEXT] [--linger S]
//       The integration tests' traffic source: submits N one-event tickets at R per second
//       and appends each event id to FILE (write(2), so it survives SIGKILL) only after its
//       ticket completed. Then waits up to S seconds for the journal to drain, keeps the log
//       running --linger seconds more with nothing submitted (a room gone quiet), prints the
//       stats as one JSON line and exits 0 if drained (3 if not). --drive 0 only drains.
//
//   event_log_bench --small-batches N --database URI
//       A live batch's cost at PostgreSQL alone: N batches each of 1 and of 16 events, one
//       at a time, written as one COPY (two round trips) and as the live path's prepared
//       INSERT ... FROM unnest(...) (one round trip), alternated; prints the time per batch
//       (p50, p99) for each.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/event_log.hpp"
#include "store/event_log_copy.hpp"
#include "store/event_log_database.hpp"
#include "store/event_log_rows.hpp"

using namespace commonroom;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct Options {
  std::string database;
  std::string journal_dir;
  size_t events = 200000;
  int runs = 3;
  size_t batch = 10000;
  long drive = -1;
  double rate = 1000;
  std::string completed;
  std::string mode = "database-first";
  std::string prefix = "drive";
  double drain_timeout = 60;
  double linger = 0;
  std::string detail;  // --detail: the detail text of every driven event
  long small_batches = 0;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "event_log_bench: %s\n(see the comment at the top of bench/event_log_bench.cpp)\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--database")
      o.database = next();
    else if (a == "--journal-dir")
      o.journal_dir = next();
    else if (a == "--events")
      o.events = std::stoul(next());
    else if (a == "--small-batches")
      o.small_batches = std::stol(next());
    else if (a == "--runs")
      o.runs = std::stoi(next());
    else if (a == "--batch")
      o.batch = std::stoul(next());
    else if (a == "--drive")
      o.drive = std::stol(next());
    else if (a == "--rate")
      o.rate = std::stod(next());
    else if (a == "--completed")
      o.completed = next();
    else if (a == "--mode")
      o.mode = next();
    else if (a == "--prefix")
      o.prefix = next();
    else if (a == "--drain-timeout")
      o.drain_timeout = std::stod(next());
    else if (a == "--detail")
      o.detail = next();
    else if (a == "--linger")
      o.linger = std::stod(next());
    else
      usage(("unknown argument " + a).c_str());
  }
  if (o.journal_dir.empty()) usage("--journal-dir is required");
  if (o.database.empty()) usage("--database is required");
  return o;
}

std::string hex_id(std::mt19937_64& rng) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

// A groupchat message as the engine logs it: ~90-byte body, ~330-byte raw stanza.
muc::RoomEvent sample_event(std::mt19937_64& rng, std::string id) {
  static const char* words[] = {
      "lecture", "notes", "tomorrow", "supervision", "college", "library", "formal", "hall", "exam",
      "problem", "sheet", "anyone",   "coffee",      "physics", "the",     "at",     "is",   "for"};
  muc::RoomEvent e;
  e.id = std::move(id);
  e.room = "room" + std::to_string(rng() % 200) + "@conference.cam.example";
  e.stanza_id = hex_id(rng);
  e.occurred_at = std::chrono::system_clock::now();
  e.kind = muc::RoomEventKind::groupchat;
  auto user = "abc" + std::to_string(rng() % 5000);
  e.actor_jid = user + "@cam.example/phone";
  e.actor_nick = user;
  while (e.body.size() < 90) {
    if (!e.body.empty()) e.body += ' ';
    e.body += words[rng() % (sizeof words / sizeof *words)];
  }
  e.raw = "<message xmlns='jabber:client' from='" + e.actor_jid + "' to='" + e.room +
          "' type='groupchat' id='" + hex_id(rng).substr(0, 12) + "'><body>" + e.body +
          "</body><origin-id xmlns='urn:xmpp:sid:0' id='" + hex_id(rng) + "'/></message>";
  return e;
}

std::vector<muc::RoomEvent> make_events(size_t n, int run) {
  std::mt19937_64 rng(1234 + static_cast<uint64_t>(run));
  std::vector<muc::RoomEvent> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(sample_event(rng, hex_id(rng)));
  return out;
}

void truncate_table(const std::string& uri) {
  pqxx::connection c(uri);
  pqxx::nontransaction tx(c);
  tx.exec("TRUNCATE room_events");
  tx.exec("CHECKPOINT");  // every run starts with the same WAL state
}

long count_rows(const std::string& uri) {
  pqxx::connection c(uri);
  pqxx::nontransaction tx(c);
  return tx.exec("SELECT count(*) FROM room_events")[0][0].as<long>();
}

void clear_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir);
}

// PostgreSQL's own rate: COPY of pre-formatted rows in transactions of `batch` rows.
double copy_ceiling(const Options& o, const std::vector<muc::RoomEvent>& events) {
  std::vector<store::CopyRows> batches;
  for (size_t i = 0; i < events.size(); i += o.batch) {
    store::CopyRows rows;
    for (size_t j = i; j < std::min(events.size(), i + o.batch); ++j) {
      store::append_copy_row(rows.text, events[j]);
      ++rows.rows;
    }
    batches.push_back(std::move(rows));
  }
  store::EventLogDatabase db(o.database, 60s);
  db.connect();
  auto t0 = Clock::now();
  for (const auto& b : batches) db.write(b);
  return static_cast<double>(events.size()) /
         std::chrono::duration<double>(Clock::now() - t0).count();
}

// The slow, idempotent path on its own: COPY into a staging table + INSERT ON CONFLICT.
double staging_rate(const Options& o, const std::vector<muc::RoomEvent>& events) {
  store::EventLogDatabase db(o.database, 60s);
  db.connect();
  auto t0 = Clock::now();
  for (size_t i = 0; i < events.size(); i += o.batch) {
    store::CopyRows rows;
    for (size_t j = i; j < std::min(events.size(), i + o.batch); ++j) {
      store::append_copy_row(rows.text, events[j]);
      ++rows.rows;
    }
    db.write_idempotent(rows);
  }
  return static_cast<double>(events.size()) /
         std::chrono::duration<double>(Clock::now() - t0).count();
}

// The alternative the brief asked about: multi-row INSERT ... ON CONFLICT DO NOTHING,
// 500 rows (5,500 parameters) per statement, one transaction per `batch` events.
double multirow_insert_rate(const Options& o, const std::vector<muc::RoomEvent>& events) {
  constexpr size_t kRows = 500;
  std::string sql =
      std::string("INSERT INTO room_events (") + store::kRoomEventColumns + ") VALUES ";
  for (size_t r = 0; r < kRows; ++r) {
    sql += r ? ",(" : "(";
    for (int c = 1; c <= 11; ++c) {
      sql += "$" + std::to_string(r * 11 + static_cast<size_t>(c));
      if (c == 4) sql += "::timestamptz";
      if (c == 10) sql += "::jsonb";
      sql += c < 11 ? "," : ")";
    }
  }
  sql += " ON CONFLICT (event_id) DO NOTHING";
  pqxx::connection c(o.database);
  c.prepare("ins", sql);
  std::vector<std::string> times;
  times.reserve(events.size());
  for (const auto& e : events) {
    std::string t;
    store::append_copy_timestamp(t, e.occurred_at);
    times.push_back(std::move(t));
  }
  auto opt = [](const std::string& s) -> const char* { return s.empty() ? nullptr : s.c_str(); };
  auto t0 = Clock::now();
  for (size_t i = 0; i < events.size(); i += o.batch) {
    pqxx::work tx(c);
    size_t end = std::min(events.size(), i + o.batch);
    for (size_t j = i; j + kRows <= end; j += kRows) {
      std::vector<const char*> params;
      params.reserve(kRows * 11);
      for (size_t k = j; k < j + kRows; ++k) {
        const auto& e = events[k];
        for (const char* p : {e.id.c_str(), e.room.c_str(), opt(e.stanza_id), times[k].c_str(),
                              muc::to_string(e.kind).data(), opt(e.actor_jid), opt(e.actor_nick),
                              opt(e.target), opt(e.body), opt(e.detail), opt(e.raw)}) {
          params.push_back(p);
        }
      }
      tx.exec_prepared("ins", pqxx::prepare::make_dynamic_params(params));
    }
    tx.commit();
  }
  return static_cast<double>(events.size() / kRows * kRows) /
         std::chrono::duration<double>(Clock::now() - t0).count();
}

struct LogRates {
  double durable = 0;      // events/s until the last ticket completed
  double in_database = 0;  // events/s until every event was in PostgreSQL
  uint64_t batches = 0;
  uint64_t journaled = 0;
};

store::EventLogSettings log_settings(const Options& o, store::EventLogMode mode,
                                     bool with_database) {
  clear_dir(o.journal_dir);
  store::EventLogSettings s;
  s.database_uri = with_database ? o.database : "";
  s.journal_dir = o.journal_dir;
  s.mode = mode;
  s.max_batch_events = o.batch;
  s.drain_batch_events = o.batch;
  s.database_timeout = 10s;  // measure PostgreSQL, not the timeout fallback
  s.log = [](store::LogSeverity, const std::string& m) {
    std::fprintf(stderr, "  log: %s\n", m.c_str());
  };
  return s;
}

void wait_connected(store::EventLog& log) {
  auto deadline = Clock::now() + 10s;
  while (!log.stats().database_connected && Clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
}

LogRates event_log_rate(store::EventLogSettings s, std::vector<muc::RoomEvent> events) {
  const bool with_database = !s.database_uri.empty();
  store::EventLog log(std::move(s));
  log.start();
  if (with_database) wait_connected(log);  // before the clock starts
  const size_t n = events.size();
  auto t0 = Clock::now();
  store::EventLog::Ticket last = 0;
  for (auto& e : events) {
    std::vector<muc::RoomEvent> one;
    one.push_back(std::move(e));
    last = log.submit(std::move(one));
  }
  if (!log.wait_durable(last, 600s)) usage("event log did not finish");
  LogRates r;
  r.durable = static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - t0).count();
  if (with_database) {
    if (!log.wait_drained(600s)) usage("journal did not drain");
    r.in_database =
        static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - t0).count();
  }
  r.batches = log.stats().batches;
  r.journaled = log.stats().journaled_events;
  log.stop();
  return r;
}

// Submit-to-durable latency of single-event tickets at a steady, modest rate.
struct Latency {
  double p50_ms = 0, p99_ms = 0;
  uint64_t journaled = 0;
};

Latency latency_at(const Options& o, store::EventLogMode mode, double rate, double seconds) {
  auto s = log_settings(o, mode, true);
  s.database_timeout = 1000ms;
  store::EventLog log(s);
  log.start();
  wait_connected(log);
  const size_t n = static_cast<size_t>(rate * seconds);
  std::vector<double> ms(n);
  std::mt19937_64 rng(99);
  auto t0 = Clock::now();
  store::EventLog::Ticket last = 0;
  for (size_t i = 0; i < n; ++i) {
    std::this_thread::sleep_until(
        t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(i / rate)));
    std::vector<muc::RoomEvent> one;
    one.push_back(sample_event(rng, hex_id(rng)));
    auto submitted = Clock::now();
    last = log.submit(std::move(one), [&ms, i, submitted](store::EventLog::Ticket) {
      ms[i] = std::chrono::duration<double, std::milli>(Clock::now() - submitted).count();
    });
  }
  if (!log.wait_durable(last, 60s)) usage("latency run did not finish");
  Latency l;
  l.journaled = log.stats().journaled_events;
  log.wait_drained(60s);
  log.stop();
  std::sort(ms.begin(), ms.end());
  l.p50_ms = ms[n / 2];
  l.p99_ms = ms[n * 99 / 100];
  return l;
}

// The same COPY into a copy of room_events without its indexes: what the indexes cost.
double copy_unindexed(const Options& o, const std::vector<muc::RoomEvent>& events) {
  pqxx::connection c(o.database);
  {
    pqxx::nontransaction tx(c);
    tx.exec("DROP TABLE IF EXISTS room_events_bench_unindexed");
    tx.exec(
        "CREATE TABLE room_events_bench_unindexed (LIKE room_events INCLUDING DEFAULTS "
        "INCLUDING GENERATED INCLUDING IDENTITY)");
    tx.exec("CHECKPOINT");
  }
  std::vector<std::string> chunks;
  for (size_t i = 0; i < events.size(); i += o.batch) {
    std::string chunk;
    for (size_t j = i; j < std::min(events.size(), i + o.batch); ++j) {
      store::append_copy_row(chunk, events[j]);
    }
    chunk.pop_back();  // write_raw_line adds the last newline
    chunks.push_back(std::move(chunk));
  }
  std::vector<std::string> columns;
  {
    std::string all = store::kRoomEventColumns;
    for (size_t pos = 0; pos < all.size();) {
      size_t comma = std::min(all.find(',', pos), all.size());
      std::string name = all.substr(pos, comma - pos);
      name.erase(0, name.find_first_not_of(' '));
      columns.push_back(name);
      pos = comma + 1;
    }
  }
  auto t0 = Clock::now();
  for (const auto& chunk : chunks) {
    pqxx::work tx(c);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    pqxx::tablewriter w(tx, "room_events_bench_unindexed", columns.begin(), columns.end());
#pragma GCC diagnostic pop
    w.write_raw_line(chunk);
    w.complete();
    tx.commit();
  }
  auto elapsed = Clock::now() - t0;
  pqxx::nontransaction tx(c);
  tx.exec("DROP TABLE room_events_bench_unindexed");
  return static_cast<double>(events.size()) / std::chrono::duration<double>(elapsed).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int bench(const Options& o) {
  std::string settings;
  {
    pqxx::connection c(o.database);
    pqxx::nontransaction tx(c);
    try {
      tx.exec("SELECT 1 FROM room_events LIMIT 0");
    } catch (const std::exception&) {
      usage("room_events does not exist: run `commonroom --config F migrate` first");
    }
    auto r = tx.exec(
        "SELECT current_setting('server_version'), current_setting('fsync'), "
        "current_setting('synchronous_commit')");
    settings = "PostgreSQL " + r[0][0].as<std::string>() + ", fsync=" + r[0][1].as<std::string>() +
               ", synchronous_commit=" + r[0][2].as<std::string>();
  }
  using Mode = store::EventLogMode;
  std::vector<double> copy, bare, staging, insert, off, dbfirst, dbfirst_db, jfirst, jfirst_db,
      jonly;
  uint64_t off_journaled = 0, dbfirst_journaled = 0, dbfirst_batches = 0, jfirst_batches = 0;
  size_t bytes = 0;
  auto check_rows = [&](const char* what) {
    if (count_rows(o.database) != static_cast<long>(o.events)) {
      usage((std::string(what) + " lost or duplicated rows").c_str());
    }
  };
  for (int run = 0; run < o.runs; ++run) {
    auto events = make_events(o.events, run);
    if (run == 0) {
      std::string row;
      for (const auto& e : events) store::append_copy_row(row, e);
      bytes = row.size() / events.size();
    }
    std::fprintf(stderr, "run %d/%d\n", run + 1, o.runs);
    truncate_table(o.database);
    copy.push_back(copy_ceiling(o, events));
    bare.push_back(copy_unindexed(o, events));
    truncate_table(o.database);
    staging.push_back(staging_rate(o, events));
    truncate_table(o.database);
    insert.push_back(multirow_insert_rate(o, events));

    truncate_table(o.database);
    auto s = log_settings(o, Mode::database_first, true);
    s.journal_overflow = false;
    auto r = event_log_rate(s, events);
    off.push_back(r.durable);
    off_journaled = r.journaled;
    check_rows("journal off");

    truncate_table(o.database);
    r = event_log_rate(log_settings(o, Mode::database_first, true), events);
    dbfirst.push_back(r.durable);
    dbfirst_db.push_back(r.in_database);
    dbfirst_journaled = r.journaled;
    dbfirst_batches = r.batches;
    check_rows("database-first");

    truncate_table(o.database);
    r = event_log_rate(log_settings(o, Mode::journal_first, true), events);
    jfirst.push_back(r.durable);
    jfirst_db.push_back(r.in_database);
    jfirst_batches = r.batches;
    check_rows("journal-first");

    jonly.push_back(event_log_rate(log_settings(o, Mode::journal_first, false), events).durable);
  }
  std::fprintf(stderr, "latency runs\n");
  truncate_table(o.database);
  auto lat_db = latency_at(o, Mode::database_first, 2000, 3);
  truncate_table(o.database);
  auto lat_j = latency_at(o, Mode::journal_first, 2000, 3);
  clear_dir(o.journal_dir);

  const double ceiling = median(copy);
  auto line = [&](const std::string& what, double rate) {
    std::printf("  %-58s %9.0f events/s  %5.2fx COPY\n", what.c_str(), rate, rate / ceiling);
  };
  std::printf("abuse-log ingest: %zu events per run (~%zu-byte rows), %d runs, medians\n", o.events,
              bytes, o.runs);
  std::printf("  %s; batch limit %zu events\n", settings.c_str(), o.batch);
  std::printf("PostgreSQL alone:\n");
  line("COPY into room_events, 5 indexes (ceiling)", ceiling);
  line("COPY into the same table without indexes (reference)", median(bare));
  line("COPY to staging + INSERT ON CONFLICT DO NOTHING", median(staging));
  line("multi-row INSERT ON CONFLICT DO NOTHING (500 rows/stmt)", median(insert));
  std::printf("store::EventLog, one event per ticket, submitted as fast as possible:\n");
  line("journal off (database-first, journal_overflow=false): durable", median(off));
  line("database-first (default): durable", median(dbfirst));
  line("database-first (default): all in PostgreSQL", median(dbfirst_db));
  line("journal-first: durable", median(jfirst));
  line("journal-first: all in PostgreSQL", median(jfirst_db));
  line("journal only (no PostgreSQL): durable", median(jonly));
  std::printf(
      "  last run: journal off journaled %llu events; database-first journaled %llu of %zu "
      "in %llu group commits; journal-first %llu group commits\n",
      static_cast<unsigned long long>(off_journaled),
      static_cast<unsigned long long>(dbfirst_journaled), o.events,
      static_cast<unsigned long long>(dbfirst_batches),
      static_cast<unsigned long long>(jfirst_batches));
  std::printf("submit-to-durable latency at 2000 events/s (one event per ticket):\n");
  std::printf("  database-first  p50 %.2f ms  p99 %.2f ms  (journaled %llu of 6000)\n",
              lat_db.p50_ms, lat_db.p99_ms, static_cast<unsigned long long>(lat_db.journaled));
  std::printf("  journal-first   p50 %.2f ms  p99 %.2f ms\n", lat_j.p50_ms, lat_j.p99_ms);
  std::printf(
      "target 100000 events/s durable: database-first %s, journal-first %s, journal off %s\n",
      median(dbfirst) >= 100000 ? "met" : "NOT met", median(jfirst) >= 100000 ? "met" : "NOT met",
      median(off) >= 100000 ? "met" : "NOT met");
  return 0;
}

// Per-batch time of COPY against the prepared INSERT, for the small batches of a live log.
int small_batches(const Options& o) {
  store::EventLogDatabase db(o.database, 60s);
  db.connect();
  truncate_table(o.database);
  std::printf("time per batch at PostgreSQL (one connection, batches one at a time), ms:\n");
  for (size_t batch : {size_t{1}, size_t{16}}) {
    const size_t n = static_cast<size_t>(o.small_batches);
    auto events = make_events(2 * n * batch, static_cast<int>(batch));
    std::vector<double> copy_ms, insert_ms;
    for (size_t b = 0; b < 2 * n; ++b) {
      const bool use_insert = b % 2 == 1;
      std::vector<const muc::RoomEvent*> chunk;
      for (size_t j = b * batch; j < (b + 1) * batch; ++j) chunk.push_back(&events[j]);
      store::CopyRows copy_rows;
      store::EventRows insert_rows;
      if (use_insert) {
        insert_rows.reserve(chunk);
        for (const auto* e : chunk) insert_rows.add(*e);
        insert_rows.finish();
      } else {
        for (const auto* e : chunk) store::append_copy_row(copy_rows.text, *e);
        copy_rows.rows = chunk.size();
      }
      const auto t0 = Clock::now();
      const size_t written = use_insert ? db.insert(insert_rows) : db.write(copy_rows);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (written != batch) usage("a batch was not inserted whole");
      (use_insert ? insert_ms : copy_ms).push_back(ms);
    }
    auto pct = [](std::vector<double> v, double q) {
      std::sort(v.begin(), v.end());
      return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
    };
    std::printf("  %2zu event(s): COPY p50 %.3f p99 %.3f;  INSERT ... unnest p50 %.3f p99 %.3f\n",
                batch, pct(copy_ms, 0.5), pct(copy_ms, 0.99), pct(insert_ms, 0.5),
                pct(insert_ms, 0.99));
  }
  if (count_rows(o.database) != 2 * o.small_batches * 17) usage("rows lost or duplicated");
  return 0;
}

int drive(const Options& o) {
  store::EventLogMode mode{};
  if (!store::parse_event_log_mode(o.mode, mode))
    usage("--mode is journal-first or database-first");
  int fd = -1;
  if (!o.completed.empty()) {
    fd = ::open(o.completed.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) usage(("cannot open " + o.completed).c_str());
  }
  std::mutex err;
  store::EventLogSettings s;
  s.database_uri = o.database;
  s.journal_dir = o.journal_dir;
  s.mode = mode;
  s.reconnect_initial = 100ms;
  s.reconnect_max = 1000ms;
  s.database_timeout = 1000ms;
  s.backlog_report_interval = 1000ms;
  s.log = [&](store::LogSeverity, const std::string& m) {
    std::lock_guard lock(err);
    std::fprintf(stderr, "%s\n", m.c_str());
  };
  store::EventLog log(s);
  log.start();
  const long n = o.drive;
  auto t0 = Clock::now();
  store::EventLog::Ticket last = 0;
  for (long i = 0; i < n; ++i) {
    // Pace: event i is due at i / rate seconds.
    auto due = t0 + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(static_cast<double>(i) / o.rate));
    if (due > Clock::now()) std::this_thread::sleep_until(due);
    muc::RoomEvent e;
    e.id = o.prefix + "-" + std::to_string(i);
    e.room = "drive@conference.cam.example";
    e.stanza_id = e.id;
    e.occurred_at = std::chrono::system_clock::now();
    e.kind = muc::RoomEventKind::groupchat;
    e.actor_jid = "driver@cam.example/bench";
    e.actor_nick = "driver";
    e.body = "message " + std::to_string(i);
    e.detail = o.detail;
    std::vector<muc::RoomEvent> one;
    one.push_back(std::move(e));
    std::string line = o.prefix + "-" + std::to_string(i) + "\n";
    last = log.submit(std::move(one), [fd, line](store::EventLog::Ticket) {
      // Only now may the "stanza" go out: record it the way a client would have seen it.
      if (fd >= 0 && ::write(fd, line.data(), line.size()) < 0) std::abort();
    });
  }
  bool ok = n == 0 || log.wait_durable(last, 120s);
  bool drained =
      ok && log.wait_drained(std::chrono::milliseconds(static_cast<long>(o.drain_timeout * 1000)));
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(o.linger * 1000)));
  auto st = log.stats();
  std::printf(
      "{\"submitted\": %llu, \"durable\": %llu, \"journaled\": %llu, \"database\": %llu, "
      "\"replayed\": %llu, \"backlog\": %llu, \"batches\": %llu, \"drained\": %s, "
      "\"last_database_error\": \"%s\"}\n",
      static_cast<unsigned long long>(st.submitted_events),
      static_cast<unsigned long long>(st.durable_events),
      static_cast<unsigned long long>(st.journaled_events),
      static_cast<unsigned long long>(st.database_events),
      static_cast<unsigned long long>(st.replayed_events),
      static_cast<unsigned long long>(st.backlog_events),
      static_cast<unsigned long long>(st.batches), drained ? "true" : "false",
      st.last_database_error.empty() ? "" : "(see stderr)");
  std::fflush(stdout);
  log.stop();
  if (fd >= 0) ::close(fd);
  return drained ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  try {
    if (o.small_batches > 0) return small_batches(o);
    return o.drive >= 0 ? drive(o) : bench(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "event_log_bench: %s\n", e.what());
    return 1;
  }
}
