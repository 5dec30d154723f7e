// Persistent rooms at campus scale: fills PostgreSQL with N stored rooms (realistic
// configurations, an owner each, admins and members in some, a few registration requests),
// starts the real `commonroom run` against it and times how long the rooms service takes to
// restore them (start of the process to its component connection, which it opens only
// once every room is restored), and the resident memory each idle room costs. The same is
// measured with no stored rooms, and the difference is reported.
// Targets: 100,000 rooms restored in under 5 s, at most 8 KiB RSS per idle room.
//
//   PG_URI=postgresql://... room_restore_bench [--bin PATH] [--rooms N] [--runs N]
//                                              [--keep] [--reuse]
// --keep leaves the rooms stored at the end; --reuse then times their restore again
// without the fill and without the no-rooms baseline (absolute figures only).
// The database must hold no rooms but this benchmark's own (named restore-bench-*): they
// are replaced at start and deleted at the end.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "component_host.hpp"
#include "muc/room_secret.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using bench_host::accept_link;
using bench_host::answer_handshake;
using bench_host::cpu_seconds;
using bench_host::default_commonroom_bin;
using bench_host::listen_loopback;
using bench_host::Listener;
using bench_host::median;
using bench_host::read_until;
using bench_host::send_all;
using bench_host::spawn_commonroom;
using bench_host::status_bytes;

constexpr const char* kMucDomain = "conference.bench.example";
constexpr const char* kSecret = "bench-secret";
constexpr double kTargetSeconds = 5.0;
constexpr double kTargetBytesPerRoom = 8192;
// How long the restored service may take to answer on its link once connected.
constexpr std::chrono::seconds kLinkTimeout{30};

struct Options {
  std::string bin;
  int rooms = 100000;
  int runs = 3;
  bool keep = false;  // leave the rooms in PostgreSQL at the end
  // Rooms already stored by an earlier --keep: skip the fill and the no-rooms baseline.
  bool reuse = false;
};

pid_t g_child = 0;

[[noreturn]] void die(const std::string& what) {
  if (g_child > 0) {
    ::kill(g_child, SIGTERM);
    waitpid(g_child, nullptr, 0);
  }
  std::fprintf(stderr, "room_restore_bench: %s\n", what.c_str());
  std::exit(2);
}

void write_config(const fs::path& dir, int port, const std::string& uri) {
  const fs::path config = dir / "commonroom.ini";
  std::ofstream ini(config);
  ini << "[links]\nhost = 127.0.0.1\nport = " << port << "\nbackoff_initial_ms = 50\n"
      << "[muc]\ndomain = " << kMucDomain << "\nsecret = " << kSecret << "\n"
      << "[admin-web]\nlisten = 127.0.0.1:0\n"
      << "[logging]\nlevel = warning\n"
      << "[database]\nuri = " << uri << "\n"
      << "[abuse-log]\njournal_dir = " << (dir / "journal").string() << "\n";
  ini.close();
  fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write);
}

void fill(const std::string& uri, int rooms) {
  pqxx::connection c(uri);
  pqxx::work tx(c, "fill rooms");
  const auto others =
      tx.exec("SELECT count(*) FROM rooms WHERE jid NOT LIKE 'restore-bench-%'")[0][0].as<long>();
  if (others > 0)
    die("the database at PG_URI holds " + std::to_string(others) +
        " room(s) of its own; use a scratch database");
  tx.exec("DELETE FROM rooms WHERE jid LIKE 'restore-bench-%'");
  if (rooms > 0) {
    // One password hash for the password-protected rooms (hashing is deliberately slow).
    const std::string hash = commonroom::muc::hash_room_secret("correct horse");
    // Most rooms public, open and logged as created from the form; every 10th members-only,
    // every 20th moderated, every 50th password-protected, every 25th linked to a college.
    tx.exec_params(
        "INSERT INTO rooms (jid, config, subject, subject_nick, subject_at, occupant_id_secret,"
        " created_at, created_by)"
        " SELECT 'restore-bench-' || i || '@" +
            std::string(kMucDomain) +
            "',"
            "  jsonb_build_object('name', 'Course room ' || i,"
            "   'description', CASE WHEN i % 3 = 0 THEN 'Weekly supervision group ' || i ||"
            "     ' for second-year students: reading lists, questions, deadlines' ELSE '' END,"
            "   'lang', 'en', 'enable_logging', true, 'change_subject', i % 4 = 0,"
            "   'allow_invites', true, 'allow_pm', CASE WHEN i % 7 = 0 THEN 'moderators'"
            "     ELSE 'anyone' END, 'max_users', CASE WHEN i % 10 = 0 THEN 500 ELSE 100 END,"
            "   'presence_broadcast', 'visitor,participant,moderator',"
            "   'get_member_list', 'participant,moderator', 'public_room', i % 5 <> 0,"
            "   'persistent', true, 'moderated', i % 20 = 0, 'members_only', i % 10 = 0,"
            "   'password_protected', i % 50 = 0,"
            "   'password', CASE WHEN i % 50 = 0 THEN $1 ELSE '' END,"
            "   'whois', CASE WHEN i % 2 = 0 THEN 'anyone' ELSE 'moderators' END,"
            "   'max_history', 20, 'registration', 'open',"
            "   'linked', CASE WHEN i % 25 = 0 THEN '[\"inst:TRIN\"]'::jsonb ELSE '[]'::jsonb END),"
            "  CASE WHEN i % 2 = 0 THEN 'Welcome to course room ' || i ELSE '' END,"
            "  CASE WHEN i % 2 = 0 THEN 'owner' ELSE '' END,"
            "  CASE WHEN i % 2 = 0 THEN now() - i * interval '1 minute' END,"
            "  md5(i::text) || md5((i + 1)::text),"
            "  now() - i * interval '5 minutes', 'owner-' || i || '@example.ac.uk'"
            " FROM generate_series(1, $2) AS i",
        hash, rooms);
    tx.exec_params(
        "INSERT INTO room_affiliations (room, jid, affiliation, nick, reason)"
        " SELECT 'restore-bench-' || i || '@" +
            std::string(kMucDomain) +
            "', 'owner-' || i || '@example.ac.uk', 'owner', 'owner', ''"
            " FROM generate_series(1, $1) AS i"
            " UNION ALL"
            " SELECT 'restore-bench-' || i || '@" +
            kMucDomain +
            "', 'admin-' || i || '@example.ac.uk', 'admin', '', ''"
            " FROM generate_series(3, $1, 3) AS i"
            " UNION ALL"
            " SELECT 'restore-bench-' || i || '@" +
            kMucDomain +
            "', 'student-' || (i * 31 + m) % 200000 || '@example.ac.uk', 'member',"
            "  CASE WHEN m % 4 = 0 THEN 'student' || m ELSE '' END, ''"
            " FROM generate_series(10, $1, 10) AS i, generate_series(1, 30) AS m"
            " UNION ALL"
            " SELECT 'restore-bench-' || i || '@" +
            kMucDomain +
            "', 'troll-' || i || '@example.com', 'outcast', 'spam', 'spam'"
            " FROM generate_series(40, $1, 40) AS i",
        rooms);
    tx.exec_params(
        "INSERT INTO room_registration_requests (room, jid, nick, details, requested_at,"
        " notified_at)"
        " SELECT 'restore-bench-' || i || '@" +
            std::string(kMucDomain) +
            "', 'applicant-' || i || '@example.ac.uk', 'applicant',"
            " '[[\"muc#register_first\", \"Ada\"], [\"muc#register_last\", \"Lovelace\"]]',"
            " now(), now() FROM generate_series(100, $1, 100) AS i",
        rooms);
  }
  tx.commit();
  pqxx::nontransaction(c).exec("VACUUM ANALYZE rooms");
  pqxx::nontransaction(c).exec("VACUUM ANALYZE room_affiliations");
}

struct RunResult {
  double seconds = 0;  // process start to component connection
  double cpu = 0;      // commonroom's own CPU-seconds by then (the machine may be shared)
  double rss = 0;      // VmRSS once connected and answering
};

// Starts commonroom, plays the host server until a stored room answers disco#info (or, with
// no stored rooms, the service does), then stops it.
RunResult run_once(const Options& opt, const fs::path& dir, const std::string& uri, int rooms) {
  Listener listener = listen_loopback();
  write_config(dir, listener.port, uri);
  const fs::path log = dir / "commonroom.log";

  const auto start = Clock::now();
  const pid_t pid = spawn_commonroom(opt.bin, dir / "commonroom.ini", log, "run");
  g_child = pid;
  const int fd = accept_link(listener, std::chrono::seconds(60), log);
  RunResult r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.cpu = cpu_seconds(pid);

  answer_handshake(fd, kMucDomain, kSecret, "restore" + std::to_string(pid), kLinkTimeout);
  // One of the last stored rooms (a public one) must be there: a room that does not exist
  // answers item-not-found.
  const std::string target =
      rooms > 0
          ? "restore-bench-" + std::to_string(rooms > 1 ? rooms - 1 : rooms) + "@" + kMucDomain
          : std::string(kMucDomain);
  send_all(fd, "<iq type='get' id='probe' from='someone@bench.example/r' to='" + target +
                   "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  std::string answer = read_until(fd, "id='probe'", kLinkTimeout);
  if (answer.find('>', answer.find("id='probe'")) == std::string::npos)
    answer += read_until(fd, ">", kLinkTimeout);
  if (answer.find("type='result'") == std::string::npos)
    die("the stored room " + target + " was not restored: " + answer);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  r.rss = status_bytes(pid, "VmRSS");

  ::kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  g_child = 0;
  ::close(fd);
  return r;
}

std::vector<RunResult> run_set(const Options& opt, const std::string& uri, int rooms) {
  std::vector<RunResult> out;
  for (int i = 0; i < opt.runs; ++i) {
    char tmpl[] = "/tmp/room_restore_bench.XXXXXX";
    if (!mkdtemp(tmpl)) die("mkdtemp failed");
    RunResult r = run_once(opt, tmpl, uri, rooms);
    std::printf("  %6d rooms, run %d: connected after %.3f s (%.2f CPU-s), VmRSS %.1f MiB\n", rooms,
                i + 1, r.seconds, r.cpu, r.rss / (1024.0 * 1024.0));
    std::fflush(stdout);
    out.push_back(r);
    fs::remove_all(tmpl);
  }
  return out;
}

int run_benchmark(int argc, char** argv) {
  Options opt;
  opt.bin = default_commonroom_bin(argv[0]);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--bin") {
      opt.bin = value();
    } else if (a == "--rooms") {
      opt.rooms = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--keep") {
      opt.keep = true;
    } else if (a == "--reuse") {
      opt.reuse = true;
    } else if (a == "--runs") {
      opt.runs = std::max(1, std::atoi(value().c_str()));
    } else {
      die("usage: PG_URI=... room_restore_bench [--bin PATH] [--rooms N] [--runs N] [--keep] "
          "[--reuse]");
    }
  }
  const char* pg = std::getenv("PG_URI");
  if (!pg || !*pg) die("set PG_URI to a scratch PostgreSQL database");
  const std::string uri = pg;
  if (access(opt.bin.c_str(), X_OK) != 0) die("no commonroom binary at " + opt.bin);
  std::signal(SIGPIPE, SIG_IGN);

  {
    char tmpl[] = "/tmp/room_restore_bench.XXXXXX";
    if (!mkdtemp(tmpl)) die("mkdtemp failed");
    write_config(tmpl, 1, uri);
    bench_host::migrate(opt.bin, fs::path(tmpl) / "commonroom.ini",
                        fs::path(tmpl) / "commonroom.log");
    fs::remove_all(tmpl);
  }
  std::printf("room_restore_bench: commonroom %s restoring %d persistent rooms (median of %d)\n",
              opt.bin.c_str(), opt.rooms, opt.runs);
  if (opt.reuse) {
    auto full = run_set(opt, uri, opt.rooms);
    std::vector<double> seconds;
    for (const auto& r : full) seconds.push_back(r.seconds);
    std::printf("start to connection with %d stored rooms, median  %.3f s\n", opt.rooms,
                median(seconds));
    return 0;
  }
  fill(uri, 0);
  auto empty = run_set(opt, uri, 0);
  const auto fill_start = Clock::now();
  fill(uri, opt.rooms);
  std::printf("  filled PostgreSQL in %.1f s\n",
              std::chrono::duration<double>(Clock::now() - fill_start).count());
  {
    pqxx::connection c(uri);
    pqxx::nontransaction tx(c);
    std::printf("  stored: %ld rooms, %ld affiliations, %ld registration requests\n",
                tx.exec("SELECT count(*) FROM rooms")[0][0].as<long>(),
                tx.exec("SELECT count(*) FROM room_affiliations")[0][0].as<long>(),
                tx.exec("SELECT count(*) FROM room_registration_requests")[0][0].as<long>());
  }
  auto full = run_set(opt, uri, opt.rooms);
  if (!opt.keep) fill(uri, 0);

  auto med = [](const std::vector<RunResult>& v, double RunResult::*f) {
    std::vector<double> x;
    for (const auto& r : v) x.push_back(r.*f);
    return median(x);
  };
  const double restore = med(full, &RunResult::seconds) - med(empty, &RunResult::seconds);
  const double per_room = (med(full, &RunResult::rss) - med(empty, &RunResult::rss)) / opt.rooms;
  std::printf("start to connection, no rooms / %d rooms   %.3f s / %.3f s\n", opt.rooms,
              med(empty, &RunResult::seconds), med(full, &RunResult::seconds));
  std::printf("commonroom CPU by then, no rooms / %d rooms    %.2f s / %.2f s\n", opt.rooms,
              med(empty, &RunResult::cpu), med(full, &RunResult::cpu));
  std::printf("restore of %d rooms (difference)          %.3f s   target < %.0f s  %s\n", opt.rooms,
              restore, kTargetSeconds, restore < kTargetSeconds ? "PASS" : "FAIL");
  std::printf("VmRSS, no rooms / %d rooms                %.1f MiB / %.1f MiB\n", opt.rooms,
              med(empty, &RunResult::rss) / (1024.0 * 1024.0),
              med(full, &RunResult::rss) / (1024.0 * 1024.0));
  std::printf("RSS per idle room                          %.0f B   target <= %.0f B  %s\n",
              per_room, kTargetBytesPerRoom, per_room <= kTargetBytesPerRoom ? "PASS" : "FAIL");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_benchmark(argc, argv);
  } catch (const std::exception& e) {
    die(e.what());
  }
}
