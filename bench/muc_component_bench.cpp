// Rooms component benchmark: this program plays the host server. It accepts
// commonroom's XEP-0114 link on loopback, fills one room with 1,000 occupants and drives
// groupchat through it, then prints delivered stanzas/s (wall clock and per CPU-second of
// the commonroom process), p50/p99 send-to-delivery latency and RSS per occupant.
// Target: 1,000,000 delivered stanzas/s on one core, at most 2 KiB per occupant.
//
//   muc_component_bench [--bin PATH] [--occupants N] [--messages N] [--window N]
//                       [--senders N] [--join-burst N] [--timed-joins N] [--runs N]
//                       [--abuse-log-mode database-first|journal-first]
// It also times single joins into the full room, and latency with messages sent at a fixed
// rate of half the closed-loop rate (targets: join < 20 ms, p99 < 5 ms).
// With PG_URI in the environment, one more set of runs uses a [database] (the durable
// abuse-log path); without it the abuse log is off and not measured.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "component_host.hpp"

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
using bench_host::migrate;
using bench_host::send_all;
using bench_host::spawn_commonroom;
using bench_host::status_bytes;

constexpr const char* kMucDomain = "conference.bench.example";
constexpr const char* kUserDomain = "bench.example";
constexpr const char* kSecret = "bench-secret";
constexpr const char* kRoom = "room@conference.bench.example";
constexpr double kTargetPerCpuSecond = 1'000'000;
constexpr double kTargetBytesPerOccupant = 2048;
constexpr double kTargetJoinMs = 20;     // one join into a room of --occupants
constexpr double kTargetPacedP99Ms = 5;  // send-to-delivery at half the saturating rate

struct Options {
  std::string bin;
  int occupants = 1000;
  int messages = 2000;  // groupchat messages per run; each is delivered to every occupant
  int window = 16;      // messages in flight: the sender waits for older ones to be delivered
  // Occupants that take turns sending; 0: all of them. Campus policy limits each occupant
  // to a burst of 10 messages (then 1 a second), so a few senders would be refused.
  int senders = 0;
  int runs = 3;
  // Joins sent back to back before waiting for them to be handled: a burst is parsed and
  // queued in commonroom at once, so its size shows up in RSS (malloc keeps freed memory).
  int join_burst = 100;
  // The last occupants join one at a time, each timed from its join to the answer to a ping
  // sent right behind it (the engine answers in order, so by then the newcomer has its
  // roster, history and subject, and everyone else its presence).
  int timed_joins = 20;
  std::string abuse_log_mode;  // empty: the service's default
};

pid_t g_child = 0;  // the commonroom under test, stopped on the way out

[[noreturn]] void die(const std::string& what) {
  if (g_child > 0) {
    ::kill(g_child, SIGTERM);
    waitpid(g_child, nullptr, 0);
  }
  std::fprintf(stderr, "muc_component_bench: %s\n", what.c_str());
  std::exit(2);
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// Everything the component writes, scanned as it arrives on the reader thread: groupchat
// messages are counted (with the send time the body carries, for latency), and one marker
// string at a time can be waited for.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {
    thread_ = std::thread([this] { run(); });
  }
  ~Reader() {
    if (thread_.joinable()) thread_.join();
  }

  // Start counting from zero; `expected` deliveries will be sampled.
  void reset_counts(size_t expected) {
    std::lock_guard lock(mutex_);
    delivered_ = 0;
    latencies_.clear();
    latencies_.reserve(expected);
    last_delivery_ns_ = 0;
  }
  uint64_t delivered() {
    std::lock_guard lock(mutex_);
    return delivered_;
  }
  // Waits until at least n groupchat messages were delivered; false on timeout or EOF.
  bool wait_delivered(uint64_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return delivered_ >= n || eof_; }) && delivered_ >= n;
  }
  // Looks for `marker` in what arrives from now on. Called before sending the stanza whose
  // answer carries it: an answer that arrived before it was armed would never be seen.
  void expect(const std::string& marker) {
    std::lock_guard lock(mutex_);
    marker_ = marker;
    marker_found_.reset();
    marker_pos_ = buf_.size();
    marker_armed_ = true;
  }
  // The start tag of the first stanza since expect() containing its marker, nullopt on
  // timeout.
  std::optional<std::string> wait_marker(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    bool ok = cv_.wait_for(lock, timeout, [&] { return marker_found_.has_value() || eof_; });
    marker_armed_ = false;
    if (!ok || !marker_found_) return std::nullopt;
    return marker_found_;
  }
  std::vector<int64_t> take_latencies() {
    std::lock_guard lock(mutex_);
    return std::move(latencies_);
  }
  int64_t last_delivery_ns() {
    std::lock_guard lock(mutex_);
    return last_delivery_ns_;
  }
  uint64_t bytes() const { return bytes_.load(); }

 private:
  void run() {
    std::vector<char> chunk(1 << 20);
    for (;;) {
      ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
      if (n <= 0) break;
      bytes_ += static_cast<uint64_t>(n);
      std::lock_guard lock(mutex_);
      buf_.append(chunk.data(), static_cast<size_t>(n));
      scan_messages();
      if (marker_armed_ && !marker_found_) scan_marker();
      compact();
      cv_.notify_all();
    }
    std::lock_guard lock(mutex_);
    eof_ = true;
    cv_.notify_all();
  }

  // Counts complete <message> stanzas of type groupchat.
  void scan_messages() {
    static constexpr std::string_view open = "<message ", close = "</message>";
    static constexpr std::string_view groupchat = "type='groupchat'", body = "<body>t=";
    const char* base = buf_.data();
    const size_t size = buf_.size();
    for (;;) {
      auto* p = static_cast<const char*>(
          memmem(base + scan_pos_, size - scan_pos_, open.data(), open.size()));
      if (!p) {
        scan_pos_ = size > open.size() ? size - open.size() : 0;
        return;
      }
      const size_t start = static_cast<size_t>(p - base);
      auto* e = static_cast<const char*>(memmem(p, size - start, close.data(), close.size()));
      if (!e) {
        scan_pos_ = start;  // incomplete: wait for the rest
        return;
      }
      const size_t end = static_cast<size_t>(e - base) + close.size();
      auto* tag_end = static_cast<const char*>(std::memchr(p, '>', end - start));
      const size_t tag_len = static_cast<size_t>(tag_end - p);
      if (memmem(p, tag_len, groupchat.data(), groupchat.size())) {
        ++delivered_;
        auto* b = static_cast<const char*>(
            memmem(tag_end, static_cast<size_t>(e - tag_end), body.data(), body.size()));
        if (b) {
          int64_t sent = 0;
          for (const char* d = b + body.size(); d < e && *d >= '0' && *d <= '9'; ++d) {
            sent = sent * 10 + (*d - '0');
          }
          const int64_t now = now_ns();
          latencies_.push_back(now - sent);
          last_delivery_ns_ = now;
        }
      }
      scan_pos_ = end;
    }
  }

  void scan_marker() {
    const size_t from = marker_pos_;
    const size_t at = buf_.find(marker_, from);
    if (at == std::string::npos) {
      marker_pos_ = buf_.size() > marker_.size() ? buf_.size() - marker_.size() : 0;
      return;
    }
    const size_t tag_start = buf_.rfind('<', at);
    const size_t tag_end = buf_.find('>', at);
    if (tag_end == std::string::npos) {
      marker_pos_ = at;  // wait for the end of the tag
      return;
    }
    const size_t s = tag_start == std::string::npos ? 0 : tag_start;
    marker_found_ = buf_.substr(s, tag_end + 1 - s);
  }

  // Drops what both scans are done with (keeping some bytes before for the marker's tag).
  void compact() {
    size_t keep_from = scan_pos_;
    if (marker_armed_ && !marker_found_) keep_from = std::min(keep_from, marker_pos_);
    keep_from = keep_from > 4096 ? keep_from - 4096 : 0;
    if (keep_from < (1u << 20)) return;
    buf_.erase(0, keep_from);
    scan_pos_ -= keep_from;
    marker_pos_ = marker_pos_ > keep_from ? marker_pos_ - keep_from : 0;
  }

  int fd_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string buf_;
  size_t scan_pos_ = 0;
  uint64_t delivered_ = 0;
  std::vector<int64_t> latencies_;
  int64_t last_delivery_ns_ = 0;
  bool marker_armed_ = false;
  std::string marker_;
  size_t marker_pos_ = 0;
  std::optional<std::string> marker_found_;
  bool eof_ = false;
  std::atomic<uint64_t> bytes_{0};
};

struct RunResult {
  double wall_rate = 0;  // delivered stanzas per wall-clock second
  double cpu_rate = 0;   // delivered stanzas per commonroom CPU-second
  double cpu_cores = 0;  // commonroom CPU-seconds per wall second during the run
  double p50_ms = 0, p99_ms = 0;
  double bytes_per_occupant = 0;  // VmRSS after all joins minus before, / occupants
  // VmRSS and RssAnon growth from a tenth to all of the occupants, per occupant added: the
  // cost of one more occupant, without one-time page-ins of code and tables (ICU, ...).
  double marginal_rss = 0, marginal_anon = 0;
  double join_seconds = 0;
  double join_p50_ms = 0, join_max_ms = 0;  // single joins into the (almost) full room
  // Messages sent at a fixed rate, half the closed-loop (saturating) rate measured above.
  double paced_rate = 0;  // delivered stanzas per second offered
  double paced_p50_ms = 0, paced_p99_ms = 0;
  uint64_t delivered = 0;
};

RunResult run_once(const Options& opt, const fs::path& dir, const std::string& database_uri) {
  // The fake host server's component listener.
  Listener listener = listen_loopback();
  const int port = listener.port;

  const fs::path config = dir / "commonroom.ini";
  {
    std::ofstream ini(config);
    ini << "[links]\nhost = 127.0.0.1\nport = " << port << "\nbackoff_initial_ms = 50\n"
        << "[muc]\ndomain = " << kMucDomain << "\nsecret = " << kSecret
        << "\n"
        // Without PostgreSQL the rooms run unlogged, which commonroom allows only with the
        // development setting (decision 0018).
        << (database_uri.empty() ? "unlogged_rooms_for_development = true\n" : "")
        << "[admin-web]\nlisten = 127.0.0.1:0\n"
        << "[logging]\nlevel = warning\n";
    fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write);
    if (!database_uri.empty()) {
      ini << "[database]\nuri = " << database_uri << "\n"
          << "[abuse-log]\njournal_dir = " << (dir / "journal").string() << "\n";
      if (!opt.abuse_log_mode.empty()) ini << "mode = " << opt.abuse_log_mode << "\n";
    }
  }
  const fs::path log = dir / "commonroom.log";
  if (!database_uri.empty()) migrate(opt.bin, config, log);
  const pid_t pid = spawn_commonroom(opt.bin, config, log, "run");
  g_child = pid;

  // Accept the link and run the server side of the XEP-0114 handshake.
  const int fd = accept_link(listener, std::chrono::seconds(10), log);
  answer_handshake(fd, kMucDomain, kSecret, "bench" + std::to_string(pid),
                   std::chrono::seconds(10));

  Reader reader(fd);
  const auto user = [](int i) { return "user-" + std::to_string(i) + "@" + kUserDomain + "/r"; };
  const auto join = [&](int i) {
    return "<presence from='" + user(i) + "' to='" + kRoom + "/nick-" + std::to_string(i) +
           "'><x xmlns='http://jabber.org/protocol/muc'/></presence>";
  };
  // Let the process settle after connecting before the baseline.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const double rss_before = status_bytes(pid, "VmRSS");
  const auto join_start = Clock::now();

  // The first occupant creates the room (locked, status 201) and submits the instant-room
  // configuration, raising the room limit from its default of 100 occupants.
  reader.expect("code='201'");
  send_all(fd, join(0));
  if (!reader.wait_marker(std::chrono::seconds(10)))
    die("no room-created presence (status 201); see " + log.string());
  reader.expect("id='cfg'");
  send_all(fd, "<iq type='set' id='cfg' from='" + user(0) + "' to='" + kRoom +
                   "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                   "<x xmlns='jabber:x:data' type='submit'>"
                   "<field var='FORM_TYPE' type='hidden'>"
                   "<value>http://jabber.org/protocol/muc#roomconfig</value></field>"
                   "<field var='muc#roomconfig_maxusers'><value>" +
                   std::to_string(opt.occupants) + "</value></field></x></query></iq>");
  auto cfg = reader.wait_marker(std::chrono::seconds(10));
  if (!cfg || cfg->find("type='result'") == std::string::npos)
    die("room configuration refused: " + cfg.value_or("(no answer)"));
  // The engine answers in order: once a ping is answered every join before it was handled.
  const int tenth = std::max(1, opt.occupants / 10);
  std::string joins;
  for (int i = 1; i < tenth; ++i) joins += join(i);
  reader.expect("id='joins-tenth'");
  send_all(fd, joins + "<iq type='get' id='joins-tenth' from='" + user(0) + "' to='" + kMucDomain +
                   "'><ping xmlns='urn:xmpp:ping'/></iq>");
  if (!reader.wait_marker(std::chrono::seconds(60)))
    die("joins did not finish within 60 s; see " + log.string());
  const double rss_tenth = status_bytes(pid, "VmRSS");
  const double anon_tenth = status_bytes(pid, "RssAnon");
  // The rest in bursts of --join-burst, each waited for (a ping) before the next; the last
  // --timed-joins one at a time.
  const int timed_from = std::max(tenth, opt.occupants - opt.timed_joins);
  for (int first = tenth; first < timed_from; first += opt.join_burst) {
    joins.clear();
    for (int i = first; i < std::min(timed_from, first + opt.join_burst); ++i) joins += join(i);
    const std::string id = "joins-" + std::to_string(first);
    reader.expect("id='" + id + "'");
    send_all(fd, joins + "<iq type='get' id='" + id + "' from='" + user(0) + "' to='" + kMucDomain +
                     "'><ping xmlns='urn:xmpp:ping'/></iq>");
    if (!reader.wait_marker(std::chrono::seconds(60)))
      die("joins did not finish within 60 s; see " + log.string());
  }
  std::vector<double> join_ms;
  for (int i = timed_from; i < opt.occupants; ++i) {
    const std::string id = "join-" + std::to_string(i);
    reader.expect("id='" + id + "'");
    const auto t0 = Clock::now();
    send_all(fd, join(i) + "<iq type='get' id='" + id + "' from='" + user(0) + "' to='" +
                     kMucDomain + "'><ping xmlns='urn:xmpp:ping'/></iq>");
    if (!reader.wait_marker(std::chrono::seconds(60)))
      die("a join did not finish within 60 s; see " + log.string());
    join_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(join_ms.begin(), join_ms.end());
  const double join_seconds = std::chrono::duration<double>(Clock::now() - join_start).count();
  const double rss_after = status_bytes(pid, "VmRSS");
  const double anon_after = status_bytes(pid, "RssAnon");

  // Groupchat: occupants take turns; at most `window` messages are in flight.
  const uint64_t per_message = static_cast<uint64_t>(opt.occupants);
  const uint64_t expected = per_message * static_cast<uint64_t>(opt.messages);
  reader.reset_counts(expected);
  const double cpu_start = cpu_seconds(pid);
  const int64_t start_ns = now_ns();
  const std::string room_prefix = std::string("' to='") + kRoom + "' type='groupchat' id='m";
  for (int j = 0; j < opt.messages; ++j) {
    if (j >= opt.window) {
      const uint64_t need = per_message * static_cast<uint64_t>(j - opt.window + 1);
      if (!reader.wait_delivered(need, std::chrono::seconds(30)))
        die("deliveries stalled at " + std::to_string(reader.delivered()) + " of " +
            std::to_string(need) + " (a message refused? e.g. a per-occupant rate limit: " +
            "try more --senders); see " + log.string());
    }
    std::string m = "<message from='" + user(j % opt.senders) + room_prefix + std::to_string(j) +
                    "'><body>t=" + std::to_string(now_ns()) + " message " + std::to_string(j) +
                    " of the benchmark</body></message>";
    send_all(fd, m);
  }
  if (!reader.wait_delivered(expected, std::chrono::seconds(60)))
    die("only " + std::to_string(reader.delivered()) + " of " + std::to_string(expected) +
        " groupchat messages delivered; see " + log.string());
  const int64_t end_ns = reader.last_delivery_ns();
  const double cpu_end = cpu_seconds(pid);
  auto lat = reader.take_latencies();

  // Open loop at half the rate just measured: messages leave on a fixed schedule whatever
  // the deliveries do, so queueing shows up in the latency instead of slowing the sender.
  const double saturating =
      static_cast<double>(expected) / (static_cast<double>(end_ns - start_ns) / 1e9);
  const double paced_messages_per_s = saturating / 2 / static_cast<double>(per_message);
  const int64_t interval_ns = static_cast<int64_t>(1e9 / paced_messages_per_s);
  reader.reset_counts(expected);
  const int64_t paced_start = now_ns();
  for (int j = 0; j < opt.messages; ++j) {
    const int64_t due = paced_start + interval_ns * j;
    while (now_ns() < due) std::this_thread::sleep_for(std::chrono::nanoseconds(due - now_ns()));
    const int k = opt.messages + j;
    send_all(fd, "<message from='" + user(k % opt.senders) + room_prefix + std::to_string(k) +
                     "'><body>t=" + std::to_string(now_ns()) + " message " + std::to_string(k) +
                     " of the benchmark</body></message>");
  }
  if (!reader.wait_delivered(expected, std::chrono::seconds(60)))
    die("only " + std::to_string(reader.delivered()) + " of " + std::to_string(expected) +
        " paced groupchat messages delivered; see " + log.string());
  auto paced = reader.take_latencies();
  std::sort(paced.begin(), paced.end());

  ::kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  g_child = 0;
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);

  RunResult r;
  r.delivered = expected;
  const double wall = static_cast<double>(end_ns - start_ns) / 1e9;
  const double cpu = cpu_end - cpu_start;
  r.wall_rate = static_cast<double>(expected) / wall;
  r.cpu_rate = cpu > 0 ? static_cast<double>(expected) / cpu : 0;
  r.cpu_cores = cpu / wall;
  std::sort(lat.begin(), lat.end());
  if (!lat.empty()) {
    r.p50_ms = static_cast<double>(lat[lat.size() / 2]) / 1e6;
    r.p99_ms = static_cast<double>(lat[lat.size() * 99 / 100]) / 1e6;
  }
  r.bytes_per_occupant = (rss_after - rss_before) / opt.occupants;
  r.marginal_rss = (rss_after - rss_tenth) / (opt.occupants - tenth);
  r.marginal_anon = (anon_after - anon_tenth) / (opt.occupants - tenth);
  r.join_seconds = join_seconds;
  if (!join_ms.empty()) {
    r.join_p50_ms = join_ms[join_ms.size() / 2];
    r.join_max_ms = join_ms.back();
  }
  r.paced_rate = paced_messages_per_s * static_cast<double>(per_message);
  if (!paced.empty()) {
    r.paced_p50_ms = static_cast<double>(paced[paced.size() / 2]) / 1e6;
    r.paced_p99_ms = static_cast<double>(paced[paced.size() * 99 / 100]) / 1e6;
  }
  return r;
}

void run_set(const Options& opt, const std::string& label, const std::string& database_uri) {
  std::vector<RunResult> results;
  for (int i = 0; i < opt.runs; ++i) {
    char tmpl[] = "/tmp/muc_component_bench.XXXXXX";
    if (!mkdtemp(tmpl)) die("mkdtemp failed");
    const fs::path dir = tmpl;
    RunResult r = run_once(opt, dir, database_uri);
    std::printf(
        "  run %d: %9.0f delivered/s wall, %9.0f per CPU-s (%.2f cores), p50 %6.2f ms, "
        "p99 %6.2f ms, RSS/occupant %5.0f B (marginal %5.0f B, anon %5.0f B), joins %.2f s, "
        "one join p50 %.1f ms max %.1f ms, at %.0f/s p50 %.2f ms p99 %.2f ms\n",
        i + 1, r.wall_rate, r.cpu_rate, r.cpu_cores, r.p50_ms, r.p99_ms, r.bytes_per_occupant,
        r.marginal_rss, r.marginal_anon, r.join_seconds, r.join_p50_ms, r.join_max_ms, r.paced_rate,
        r.paced_p50_ms, r.paced_p99_ms);
    std::fflush(stdout);
    results.push_back(r);
    fs::remove_all(dir);
  }
  auto med = [&](double RunResult::*f) {
    std::vector<double> v;
    for (const auto& r : results) v.push_back(r.*f);
    return median(v);
  };
  const double cpu_rate = med(&RunResult::cpu_rate);
  const double bytes = med(&RunResult::marginal_rss);
  std::printf("%s, median of %d runs:\n", label.c_str(), opt.runs);
  std::printf("  delivered stanzas/s (wall)            %10.0f\n", med(&RunResult::wall_rate));
  std::printf("  delivered stanzas per CPU-second      %10.0f   target %.0f  %s\n", cpu_rate,
              kTargetPerCpuSecond, cpu_rate >= kTargetPerCpuSecond ? "PASS" : "FAIL");
  std::printf("  commonroom CPU use during the run     %10.2f cores\n", med(&RunResult::cpu_cores));
  std::printf("  send-to-delivery latency p50 / p99    %7.2f ms / %.2f ms (window %d)\n",
              med(&RunResult::p50_ms), med(&RunResult::p99_ms), opt.window);
  std::printf("  VmRSS growth / occupants, whole join   %10.0f B   (includes one-time page-ins)\n",
              med(&RunResult::bytes_per_occupant));
  std::printf("  RSS per occupant (marginal, %d->%d)  %10.0f B   target <= %.0f  %s\n",
              std::max(1, opt.occupants / 10), opt.occupants, bytes, kTargetBytesPerOccupant,
              bytes <= kTargetBytesPerOccupant ? "PASS" : "FAIL");
  std::printf("  of which anonymous memory (RssAnon)   %10.0f B\n", med(&RunResult::marginal_anon));
  std::printf("  1,000-occupant joins took             %10.2f s\n", med(&RunResult::join_seconds));
  const double join_p50 = med(&RunResult::join_p50_ms);
  std::printf("  one join into the full room p50 / max %7.2f ms / %.2f ms   target < %.0f ms  %s\n",
              join_p50, med(&RunResult::join_max_ms), kTargetJoinMs,
              join_p50 < kTargetJoinMs ? "PASS" : "FAIL");
  const double paced_p99 = med(&RunResult::paced_p99_ms);
  std::printf(
      "  at half the saturating rate (%.0f/s): latency p50 / p99 %.2f ms / %.2f ms   "
      "target p99 < %.0f ms  %s\n",
      med(&RunResult::paced_rate), med(&RunResult::paced_p50_ms), paced_p99, kTargetPacedP99Ms,
      paced_p99 < kTargetPacedP99Ms ? "PASS" : "FAIL");
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
    auto number = [&](int min) {
      int v = std::atoi(value().c_str());
      if (v < min) die(a + " must be at least " + std::to_string(min));
      return v;
    };
    if (a == "--bin")
      opt.bin = value();
    else if (a == "--occupants")
      opt.occupants = number(2);
    else if (a == "--messages")
      opt.messages = number(1);
    else if (a == "--window")
      opt.window = number(1);
    else if (a == "--senders")
      opt.senders = number(0);
    else if (a == "--join-burst")
      opt.join_burst = number(1);
    else if (a == "--timed-joins")
      opt.timed_joins = number(0);
    else if (a == "--runs")
      opt.runs = number(1);
    else if (a == "--abuse-log-mode")
      opt.abuse_log_mode = value();
    else
      die("usage: muc_component_bench [--bin PATH] [--occupants N] [--messages N] "
          "[--window N] [--senders N] [--join-burst N] [--timed-joins N] [--runs N] "
          "[--abuse-log-mode database-first|journal-first]");
  }
  if (opt.senders == 0 || opt.senders > opt.occupants) opt.senders = opt.occupants;
  if (access(opt.bin.c_str(), X_OK) != 0) die("no commonroom binary at " + opt.bin);
  std::signal(SIGPIPE, SIG_IGN);

  std::printf(
      "muc_component_bench: commonroom %s as the rooms component on loopback; one room, %d "
      "occupants, %d groupchat messages from %d senders (%d in flight) = %d deliveries per "
      "run\n",
      opt.bin.c_str(), opt.occupants, opt.messages, opt.senders, opt.window,
      opt.occupants * opt.messages);
  std::printf(
      "Target: %.0f delivered stanzas per commonroom CPU-second (\"one core\"), <= %.0f B RSS "
      "per occupant\n",
      kTargetPerCpuSecond, kTargetBytesPerOccupant);
  std::printf(
      "NOTE: no [database] in the generated config: the abuse log is OFF and NOT measured "
      "here.\n");
  run_set(opt, "Without database (abuse log off)", "");
  if (const char* pg = std::getenv("PG_URI"); pg && *pg) {
    std::printf("PG_URI is set: the durable path (abuse log to PostgreSQL, default mode)\n");
    run_set(opt, "With database (abuse log on)", pg);
  } else {
    std::printf("(set PG_URI=postgresql://... to also measure the durable abuse-log path)\n");
  }
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
