// What PostgreSQL spends per logged message: CPU of the writer's backend and of the whole
// cluster, and WAL bytes, per room_events row, for batches of given sizes written through
// the event log's own COPY (store::EventLogDatabase::write), at a given rate.
//
//   event_log_pg_cost_bench --database URI [--batches 1,4,16,64] [--events N] [--rate R]
//                           [--rooms K] [--body e2e|chat] [--label L]
//       URI must point at a migrated database (commonroom migrate) of a cluster on this
//       machine (CPU is read from /proc). Rows accumulate: nothing is truncated. --rate 0
//       (the default) writes batches back to back; R > 0 paces them at R events per second.
//       The events are groupchat messages as bench/muc_e2e.py's clients send them (a short
//       body, the stanza as received, UUID event and stanza ids) in K rooms (default 1);
//       --body chat gives them ~90 bytes of words instead (a real room's text).
//       Prints one JSON line per batch size. bench/event_log_pg_cost.py runs it against
//       copies of the schema with one index or the trigger removed, alternating.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/event_log_copy.hpp"
#include "store/event_log_database.hpp"

using namespace commonroom;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct Options {
  std::string database;
  std::vector<size_t> batches{1, 4, 16, 64};
  size_t events = 2000;
  double rate = 0;
  int rooms = 1;
  std::string label = "schema";
  bool chat = false;  // --body chat
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "event_log_pg_cost_bench: %s\n(see the comment at the top of "
               "bench/event_log_pg_cost_bench.cpp)\n",
               why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    if (a == "--database") {
      o.database = next();
    } else if (a == "--batches") {
      o.batches.clear();
      std::stringstream list(next());
      for (std::string item; std::getline(list, item, ',');) o.batches.push_back(std::stoul(item));
    } else if (a == "--events") {
      o.events = std::stoul(next());
    } else if (a == "--rate") {
      o.rate = std::stod(next());
    } else if (a == "--rooms") {
      o.rooms = std::max(1, std::stoi(next()));
    } else if (a == "--body") {
      const std::string body = next();
      if (body != "e2e" && body != "chat") usage("--body is e2e or chat");
      o.chat = body == "chat";
    } else if (a == "--label") {
      o.label = next();
    } else {
      usage("unknown argument " + a);
    }
  }
  if (o.database.empty()) usage("--database is required");
  if (o.batches.empty() || std::count(o.batches.begin(), o.batches.end(), 0u) > 0)
    usage("--batches takes sizes of 1 or more");
  return o;
}

std::string uuid(std::mt19937_64& rng) {
  char buf[40];
  const unsigned long long a = rng(), b = rng();
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-4%03llx-a%03llx-%012llx", a >> 32,
                (a >> 16) & 0xffff, a & 0xfff, b >> 52, b & 0xffffffffffffULL);
  return buf;
}

// A groupchat message as muc_load_bench sends it and the engine logs it.
muc::RoomEvent sample_event(std::mt19937_64& rng, int rooms, bool chat, long n) {
  static const char* words[] = {
      "lecture", "notes", "tomorrow", "supervision", "college", "library", "formal", "hall", "exam",
      "problem", "sheet", "anyone",   "coffee",      "physics", "the",     "at",     "is",   "for"};
  muc::RoomEvent e;
  e.id = uuid(rng);
  e.room = "bench" + std::to_string(rng() % static_cast<unsigned>(rooms)) + "@conference.localhost";
  e.stanza_id = uuid(rng);
  e.occurred_at = std::chrono::system_clock::now();
  e.kind = muc::RoomEventKind::groupchat;
  const auto sender = rng() % 100;
  const std::string user = "user" + std::to_string(sender);
  e.actor_jid = user + "@localhost/bench";
  e.actor_nick = user;
  const auto stamp = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
  if (chat) {
    while (e.body.size() < 90) {
      if (!e.body.empty()) e.body += ' ';
      e.body += words[rng() % (sizeof words / sizeof *words)];
    }
  } else {
    e.body =
        "t=" + std::to_string(stamp) + " s=" + std::to_string(sender) + " n=" + std::to_string(n);
  }
  e.raw = "<message xmlns='jabber:client' to='" + e.room + "' type='groupchat' from='" +
          e.actor_jid + "' id='" + std::to_string(n) + "'><body>" + e.body + "</body></message>";
  return e;
}

// utime and stime of a process in seconds (10 ms ticks); zeros once it is gone.
std::pair<double, double> user_and_system(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return {0, 0};
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  double user = 0, system = 0;
  for (int i = 0; i <= 12 && fields >> field; ++i) {
    if (i == 11) user = std::stod(field);  // fields 14 and 15 of proc(5)
    if (i == 12) system = std::stod(field);
  }
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  return {user / tick, system / tick};
}

// CPU time of a process in seconds, to the nanosecond where the kernel keeps schedstat (a
// batch of 64 costs well under the 10 ms tick of /proc/PID/stat); 0 once it is gone.
double cpu_seconds(int pid) {
  std::ifstream sched("/proc/" + std::to_string(pid) + "/schedstat");
  unsigned long long ns = 0;
  if (sched >> ns) return static_cast<double>(ns) / 1e9;
  const auto [user, system] = user_and_system(pid);
  return user + system;
}

int parent_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string state;
  int ppid = 0;
  fields >> state >> ppid;
  return ppid;
}

// CPU seconds of the postmaster and every child but `except` (this benchmark's own
// monitoring backend), by pid.
std::map<int, double> cluster_cpu(int postmaster, int except) {
  std::map<int, double> out{{postmaster, cpu_seconds(postmaster)}};
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int pid = std::stoi(name);
    if (pid != except && parent_of(pid) == postmaster) out[pid] = cpu_seconds(pid);
  }
  return out;
}

double cpu_since(const std::map<int, double>& before, const std::map<int, double>& after) {
  double total = 0;
  for (const auto& [pid, seconds] : after) {
    auto it = before.find(pid);
    total += seconds - (it == before.end() ? 0 : it->second);
  }
  return total;
}

std::string with_application_name(const std::string& uri, const std::string& name) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "application_name=" + name;
}

int run(const Options& o) {
  pqxx::connection monitor(o.database);
  pqxx::nontransaction q(monitor);
  const int own = q.exec("SELECT pg_backend_pid()")[0][0].as<int>();
  const std::string app = "event_log_pg_cost_" + std::to_string(::getpid());
  store::EventLogDatabase db(with_application_name(o.database, app), 60s);
  db.connect();
  const auto found =
      q.exec_params("SELECT pid FROM pg_stat_activity WHERE application_name = $1", app);
  if (found.size() != 1) usage("cannot find the writer's backend in pg_stat_activity");
  const int writer = found[0][0].as<int>();
  const int postmaster = parent_of(writer);
  std::mt19937_64 rng(static_cast<uint64_t>(::getpid()) * 7919u);
  long n = 0;
  for (size_t batch : o.batches) {
    // Whole batches only, so every size writes about the same number of rows.
    const size_t batches = std::max<size_t>(1, o.events / batch);
    std::vector<store::CopyRows> rows(batches);
    for (auto& b : rows) {
      for (size_t i = 0; i < batch; ++i) {
        store::append_copy_row(b.text, sample_event(rng, o.rooms, o.chat, ++n));
        ++b.rows;
      }
    }
    q.exec("CHECKPOINT");  // every run starts with the same full-page-write state
    const std::string lsn0 = q.exec("SELECT pg_current_wal_insert_lsn()::text")[0][0].c_str();
    const auto cluster0 = cluster_cpu(postmaster, own);
    const double writer0 = cpu_seconds(writer);
    const double writer_user0 = user_and_system(writer).first;
    const auto t0 = Clock::now();
    for (size_t i = 0; i < batches; ++i) {
      if (o.rate > 0) {
        const double due = static_cast<double>(i * batch) / o.rate;
        std::this_thread::sleep_until(
            t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(due)));
      }
      db.write(rows[i]);
    }
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const double writer_s = cpu_seconds(writer) - writer0;
    // User time is PostgreSQL's own work; system time is mostly the commit's fdatasync and
    // the socket, which a loaded machine inflates (and which the schema does not change).
    const double writer_user_s = user_and_system(writer).first - writer_user0;
    double cluster_s = cpu_since(cluster0, cluster_cpu(postmaster, own));
    // A GIN index with fastupdate defers most of its work to a pending list that whoever
    // finds it over gin_pending_list_limit (an insert, or autovacuum) merges later: merge it
    // now, on this backend, and count it, so every run pays for its own rows.
    const double own0 = cpu_seconds(own);
    q.exec(
        "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
        " WHERE i.indrelid = 'room_events'::regclass AND a.amname = 'gin'");
    const double gin_s = cpu_seconds(own) - own0;
    cluster_s += gin_s;
    const double wal =
        q.exec_params("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1)", lsn0)[0][0]
            .as<double>();
    const double events = static_cast<double>(batches * batch);
    std::printf(
        "{\"label\": \"%s\", \"batch\": %zu, \"events\": %.0f, \"rate\": %.0f, \"wall_s\": %.2f, "
        "\"writer_us\": %.1f, \"writer_user_us\": %.1f, \"gin_merge_us\": %.1f, \"cluster_us\": "
        "%.1f, "
        "\"wal_bytes\": %.0f}\n",
        o.label.c_str(), batch, events, o.rate, wall, writer_s / events * 1e6,
        writer_user_s / events * 1e6, gin_s / events * 1e6, cluster_s / events * 1e6, wal / events);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "event_log_pg_cost_bench: %s\n", e.what());
    return 1;
  }
}
