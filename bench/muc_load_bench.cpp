// Load generator for one multi-user chat room through a host server's c2s port: opens
// real client connections (plain TCP, SASL PLAIN, resource binding), has every one join
// one room, then has some of them send groupchat messages stamped with their send time.
// Latency is measured where each copy arrives. One thread, epoll, no XML parser: it only
// looks for the few markers it needs, so it stays far cheaper than the servers it drives
// (its own CPU time is printed beside the results to show that).
//
//   muc_load_bench --port P --domain D --room ROOM@MUC --users u1:pw,u2:pw,...
//                  --occupants N [--senders S] [--phases saturate,steps,half|rate] [--rate R]
//                  [--window W] [--seconds T] [--join-parallel J] [--show-stanza]
//                  [--storm-seconds S] [--storm-timeout T] [--history H]
//                  [--step-start R | --step-fraction F] [--step-factor F] [--step-seconds T]
//                  [--step-p99-ms L] [--max-steps N]
//
// Before any phase the room fills: at most J joins in flight (or, when the first phase is
// "storm", only the first client). "join_s" is until every client has the presence of
// every occupant, counted per client (its own included).
//
// Phases, one after the other on the same connections:
//   storm     the join storm: the first client has sent H messages (the history), then
//             every other client asks to join within S seconds, asking for H messages of
//             history; it ends when every client has a presence from every occupant and
//             every newcomer H history messages (counted per client; "storm_s"), with
//             percentiles over the newcomers of join to own presence ("self_") and to the
//             last history message ("history_"). Every 10 s it prints its progress on
//             stderr; after --storm-timeout seconds (600) it gives up, listing who is still
//             short of whose presence.
//   saturate  each sender keeps W messages in flight (sent, its own copy not yet back), so
//             the room runs as fast as the servers allow;
//   steps     the stepped fixed-rate knee: steps of --step-seconds at a fixed total rate,
//             the first at --step-start messages/s (or --step-fraction, 0.6, of what the
//             last saturate phase sent). A step passes when every copy arrived (copies
//             still missing 10 s after its last send are lost) and the p99 of send to
//             delivery is at most --step-p99-ms (200). While every step passes the rate
//             goes up by F*F (--step-factor F, 1.25), while every step fails down by F*F;
//             then the geometric middle of the highest pass and the lowest failure is
//             tried until they are within F of each other, or --max-steps (8) ran. The
//             knee is the highest rate that passed. Each step is its own "BEGIN step" and
//             JSON object (and a line on stderr), then one object sums the phase up;
//   half      a fixed rate of half the knee of the last steps phase (without one, or when
//             no step passed: half what the last saturate phase sent);
//   rate      R messages per second in total, spread over the senders.
// Before each phase it prints "BEGIN <phase>" (so a caller can sample the servers' CPU
// time), after it one JSON object, each on its own line of stdout. --show-stanza prints the
// first message stanza a client received (as the host wrote it) on stderr.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "load_client.hpp"

namespace {

using load_client::cpu_seconds;
using load_client::flush;
using load_client::now_ns;
using load_client::send;

struct Options {
  int port = 0;
  std::string domain, room;
  std::vector<std::pair<std::string, std::string>> users;
  int occupants = 10;
  int senders = 1;
  std::vector<std::string> phases{"saturate"};
  double rate = 100;
  int window = 4;
  double seconds = 5;
  int join_parallel = 20;
  bool show_stanza = false;
  double storm_seconds = 2;
  double storm_timeout = 600;
  int history = 20;
  double step_start = 0;  // messages/s sent in total at the first step; 0: step_fraction
  double step_fraction = 0.6;
  double step_factor = 1.25;
  double step_seconds = 0;  // 0: --seconds
  double step_p99_ms = 200;
  int max_steps = 8;
};

enum class State { connecting, login, joining, joined, failed };

struct Client : load_client::Connection {
  std::string nick;
  State state = State::connecting;
  bool creator = false;
  int in_flight = 0;  // saturate mode: own messages not yet echoed
  std::uint64_t seq = 0;
  // Counted on the raw input: `tail` keeps what of the previous read was not looked at
  // yet (a marker or a presence's start tag split between reads).
  std::string tail;
  int presences = 0;            // presences received since this client asked to join
  std::vector<char> seen_from;  // by occupant index: a presence from it arrived
  int distinct = 0;             // occupants in seen_from
  int history = 0;              // history messages received (sent before its join)
  std::int64_t join_sent_ns = 0, joined_ns = 0, history_ns = 0, complete_ns = 0;
};

class Load {
 public:
  explicit Load(Options o) : o_(std::move(o)) {
    ep_ = epoll_create1(0);
    if (ep_ < 0) throw std::runtime_error("epoll_create1");
  }

  void run() {
    connect_all();
    double saturated = 0;  // messages per second the last saturate phase got through
    double knee = 0;       // the last steps phase's knee (messages sent per second)
    for (const auto& phase : o_.phases) {
      if (phase == "steps") {
        const double start = o_.step_start > 0 ? o_.step_start : saturated * o_.step_fraction;
        if (start <= 0) fail("phase steps needs --step-start or a saturate phase before it");
        knee = steps(start);  // prints its own BEGIN lines, one per step
        std::fflush(stdout);
        continue;
      }
      settle_backlog();
      std::printf("BEGIN %s\n", phase.c_str());
      std::fflush(stdout);
      if (phase == "storm") {
        storm();
      } else if (phase == "saturate") {
        saturated = measure(phase, 0);
      } else if (phase == "half") {
        const double base = knee > 0 ? knee : saturated;
        if (base <= 0) fail("phase half needs a saturate or steps phase before it");
        measure(phase, base / 2);
      } else {
        measure(phase, o_.rate);
      }
      std::fflush(stdout);
    }
  }

 private:
  void fail(const std::string& what) { throw std::runtime_error(what); }

  void open(Client& c) {
    load_client::open_connection(c, ep_, o_.port, o_.domain);
    c.state = State::login;
  }

  void join(Client& c, int history = 0) {
    c.state = State::joining;
    c.presences = 0;
    c.distinct = 0;
    c.seen_from.assign(std::size_t(o_.occupants), 0);
    c.join_sent_ns = now_ns();
    send(c, "<presence to='" + o_.room + "/" + c.nick +
                "'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='" +
                std::to_string(history) + "'/></x></presence>");
  }

  // Presences since the join: every one the room sends is an occupant's (the clients send
  // no presence of their own to their accounts, so none come from contacts). Each is
  // also noted by its sender (the nick "n<index>" in its 'from'), so that a client short of
  // a presence can say whose is missing and a repeated one is not counted twice.
  void count_presences(Client& c, std::string_view chunk) {
    static constexpr std::string_view marker = "<presence ";
    std::string seen = std::move(c.tail);
    seen.append(chunk);
    std::size_t pos = 0;
    for (;;) {
      const auto p = seen.find(marker, pos);
      if (p == std::string::npos) {
        const std::size_t keep = std::min(seen.size() - pos, marker.size() - 1);
        c.tail = seen.substr(seen.size() - keep);
        return;
      }
      const auto gt = seen.find('>', p);
      if (gt == std::string::npos) {
        c.tail = seen.substr(p);  // the start tag continues in the next read
        return;
      }
      ++c.presences;
      note_sender(c, std::string_view(seen).substr(p, gt - p));
      pos = gt + 1;
    }
  }

  void note_sender(Client& c, std::string_view tag) {
    auto f = tag.find(" from=");
    if (f == std::string_view::npos || f + 7 >= tag.size()) return;
    const char quote = tag[f + 6];
    const auto start = f + 7;
    const auto end = tag.find(quote, start);
    if (end == std::string_view::npos) return;
    const auto jid = tag.substr(start, end - start);
    const auto slash = jid.rfind('/');
    if (slash == std::string_view::npos || slash + 2 > jid.size() || jid[slash + 1] != 'n') return;
    int who = -1;
    auto [ptr, error] = std::from_chars(jid.data() + slash + 2, jid.data() + jid.size(), who);
    if (error != std::errc() || ptr != jid.data() + jid.size() || who < 0 || who >= o_.occupants ||
        c.seen_from.empty())
      return;
    if (!c.seen_from[std::size_t(who)]) {
      c.seen_from[std::size_t(who)] = 1;
      ++c.distinct;
    }
  }

  // True once `c` has every occupant's presence and, in the storm, its history.
  bool complete(const Client& c) const {
    if (c.state != State::joined || c.distinct < o_.occupants) return false;
    return c.index == 0 || c.history >= expected_history_;
  }

  void note_progress(Client& c) {
    if (c.complete_ns == 0 && complete(c)) {
      c.complete_ns = now_ns();
      ++complete_;
    }
  }

  // Advances the client's login and join from what has arrived; returns false when the
  // marker it waits for is not complete yet.
  bool step(Client& c) {
    std::string& in = c.in;
    switch (c.state) {
      case State::login:
        if (!load_client::advance_login(c, o_.domain)) return false;
        if (c.login == load_client::Login::bound) ++bound_;
        return true;
      case State::joining: {
        // Self-presence carries status 110; a refusal is a presence of type error.
        if (in.find("type='error'") != std::string::npos ||
            in.find("type=\"error\"") != std::string::npos) {
          fail("join refused for " + c.nick + ": " + in.substr(0, 600));
        }
        auto self = in.find("code='110'");
        if (self == std::string::npos) self = in.find("code=\"110\"");
        if (self == std::string::npos) {
          keep_tail(in);
          return false;
        }
        if (c.creator && in.find("code='201'") == std::string::npos &&
            in.find("code=\"201\"") == std::string::npos) {
          c.creator = false;  // the room was there already
        }
        auto end = in.find("</presence>", self);
        if (end == std::string::npos) return false;
        in.erase(0, end + 11);
        if (c.creator) {
          // A new room stays locked until its owner accepts the default configuration.
          send(c, "<iq type='set' id='instant' to='" + o_.room +
                      "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                      "<x xmlns='jabber:x:data' type='submit'/></query></iq>");
          c.creator = false;
          waiting_instant_ = true;
        }
        c.state = State::joined;
        c.joined_ns = now_ns();
        ++joined_;
        return true;
      }
      case State::joined:
        if (waiting_instant_) {
          auto r = in.find("id='instant'");
          if (r == std::string::npos) r = in.find("id=\"instant\"");
          if (r != std::string::npos) {
            waiting_instant_ = false;
          }
        }
        scan_bodies(c);
        return false;
      default:
        return false;
    }
  }

  static void keep_tail(std::string& in) {
    // Nothing of interest before the last 64 bytes once the marker was not found.
    if (in.size() > 64) in.erase(0, in.size() - 64);
  }

  void scan_bodies(Client& c) {
    std::string& in = c.in;
    std::size_t pos = 0;
    const std::int64_t now = now_ns();
    for (;;) {
      auto b = in.find("<body>", pos);
      if (b == std::string::npos) {
        pos = in.size() > 8 ? in.size() - 8 : 0;
        break;
      }
      auto e = in.find("</body>", b);
      if (e == std::string::npos) {
        pos = b;
        break;
      }
      std::string_view text(in.data() + b + 6, e - b - 6);
      pos = e + 7;
      // "t=<ns> s=<sender>": ours; anything else (room notices) is not counted.
      if (text.size() < 2 || text[0] != 't' || text[1] != '=') continue;
      std::int64_t sent = std::strtoll(text.data() + 2, nullptr, 10);
      last_copy_ns_ = now;
      auto s = text.find(" s=");
      int sender = s == std::string_view::npos ? -1 : std::atoi(text.data() + s + 3);
      if (sent < c.join_sent_ns && ++c.history == expected_history_) c.history_ns = now;
      if (sent >= measure_from_ns_) {
        if (delivered_ == 0 && o_.show_stanza) show_stanza(in, b, e);
        ++delivered_;
        latencies_us_.push_back(std::uint32_t((now - sent) / 1000));
      }
      if (sender == c.index && c.in_flight > 0) --c.in_flight;
    }
    in.erase(0, pos);
  }

  // The whole <message> around a body, on stderr: what a client receives, for reading.
  static void show_stanza(const std::string& in, std::size_t body, std::size_t body_end) {
    auto start = in.rfind("<message", body);
    auto end = in.find("</message>", body_end);
    if (start == std::string::npos || end == std::string::npos) return;
    std::fprintf(stderr, "%s\n", in.substr(start, end + 10 - start).c_str());
  }

  void poll_once(int timeout_ms) {
    epoll_event evs[256];
    int n = epoll_wait(ep_, evs, 256, timeout_ms);
    char buf[65536];
    for (int i = 0; i < n; ++i) {
      Client& c = clients_[evs[i].data.u32];
      if (evs[i].events & EPOLLOUT) flush(c);
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        for (;;) {
          ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
          if (r > 0) {
            if (c.state == State::joining || c.state == State::joined)
              count_presences(c, std::string_view(buf, std::size_t(r)));
            c.in.append(buf, std::size_t(r));
            last_input_ns_ = now_ns();
            continue;
          }
          if (r == 0) fail("connection " + std::to_string(c.index) + " closed by the server");
          if (errno == EAGAIN) break;
          fail("recv: " + std::string(strerror(errno)));
        }
        if (c.in.find("</stream:stream>") != std::string::npos ||
            c.in.find("<stream:error") != std::string::npos)
          fail("stream ended for connection " + std::to_string(c.index) + ": " +
               c.in.substr(0, 400));
        while (step(c)) {
        }
        note_progress(c);
      }
    }
  }

  void connect_all() {
    const auto started = now_ns();
    clients_.resize(std::size_t(o_.occupants));
    for (int i = 0; i < o_.occupants; ++i) {
      Client& c = clients_[std::size_t(i)];
      c.index = i;
      const auto& u = o_.users[std::size_t(i) % o_.users.size()];
      c.user = u.first;
      c.password = u.second;
      c.nick = "n" + std::to_string(i);
    }
    // Log in at most join_parallel at a time (a burst of SASL is not what we measure).
    int opened = 0;
    while (bound_ < o_.occupants) {
      while (opened < o_.occupants && opened - bound_ < o_.join_parallel)
        open(clients_[std::size_t(opened++)]);
      poll_once(100);
      check_deadline(started, 900, "logging in");
    }
    login_seconds_ = double(now_ns() - started) / 1e9;
    // The first to join creates the room and configures it; the rest follow it in.
    const auto join_started = now_ns();
    clients_[0].creator = true;
    join(clients_[0]);
    while (joined_ < 1 || waiting_instant_) {
      poll_once(100);
      check_deadline(join_started, 60, "creating the room");
    }
    if (!o_.phases.empty() && o_.phases.front() == "storm") return;
    int asked = 1;
    while (joined_ < o_.occupants) {
      while (asked < o_.occupants && asked - joined_ < o_.join_parallel)
        join(clients_[std::size_t(asked++)]);
      poll_once(100);
      check_deadline(join_started, 600, "joining");
    }
    // Until every client has every occupant's presence, so the first phase does not
    // compete with the joins' tail.
    while (complete_ < o_.occupants) {
      poll_once(50);
      check_deadline(join_started, 600, "waiting for the joins' presences");
    }
    std::int64_t last = join_started;
    for (const auto& c : clients_) last = std::max(last, c.complete_ns);
    join_seconds_ = double(last - join_started) / 1e9;
  }

  // The join storm (phase "storm"): history first, then every other client joins within
  // storm_seconds, all at once as far as the host lets them.
  void storm() {
    Client& first = clients_[0];
    for (int i = 0; i < o_.history; ++i) send_message(first, now_ns());
    const std::int64_t history_started = now_ns();
    while (first.in_flight > 0) {
      poll_once(50);
      check_deadline(history_started, 60, "sending the history");
    }
    expected_history_ = o_.history;
    const double cpu0 = cpu_seconds();
    const std::int64_t start = now_ns();
    const int joiners = o_.occupants - 1;
    int asked = 0;
    std::int64_t next_progress = start + 10000000000LL;
    while (complete_ < o_.occupants) {
      const std::int64_t t = now_ns() - start;
      while (asked < joiners &&
             (o_.storm_seconds <= 0 ||
              double(asked) <= double(t) / 1e9 / o_.storm_seconds * double(joiners)))
        join(clients_[std::size_t(1 + asked++)], o_.history);
      poll_once(asked < joiners ? 5 : 50);
      if (now_ns() >= next_progress) {
        report_storm(start, false);
        next_progress += 10000000000LL;
      }
      if (now_ns() - start > std::int64_t(o_.storm_timeout * 1e9)) {
        report_storm(start, true);
        check_deadline(start, 0, "in the join storm");
      }
    }
    std::vector<double> joined_ms, history_ms;
    std::int64_t last = start, last_asked = start;
    for (std::size_t i = 1; i < clients_.size(); ++i) {
      const Client& c = clients_[i];
      joined_ms.push_back(double(c.joined_ns - c.join_sent_ns) / 1e6);
      history_ms.push_back(double(c.history_ns - c.join_sent_ns) / 1e6);
      last = std::max(last, c.complete_ns);
      last_asked = std::max(last_asked, c.join_sent_ns);
    }
    last = std::max(last, clients_[0].complete_ns);
    std::sort(joined_ms.begin(), joined_ms.end());
    std::sort(history_ms.begin(), history_ms.end());
    using load_client::percentile;
    std::printf(
        "{\"phase\":\"storm\",\"occupants\":%d,\"history\":%d,\"asked_s\":%.3f,"
        "\"storm_s\":%.3f,\"self_p50_ms\":%.1f,\"self_p99_ms\":%.1f,"
        "\"history_p50_ms\":%.1f,\"history_p99_ms\":%.1f,\"loadgen_cpu_s\":%.3f,"
        "\"login_s\":%.2f}\n",
        o_.occupants, o_.history, double(last_asked - start) / 1e9, double(last - start) / 1e9,
        percentile(joined_ms, 0.5), percentile(joined_ms, 0.99), percentile(history_ms, 0.5),
        percentile(history_ms, 0.99), cpu_seconds() - cpu0, login_seconds_);
    expected_history_ = 0;
  }

  // The storm's progress on stderr: presences received against the N x N expected, and
  // (with `detail`, when it timed out) who is still short of what, so a presence that was
  // lost can be told from one that is only late.
  void report_storm(std::int64_t start, bool detail) {
    long long distinct = 0, counted = 0;
    int short_presence = 0, short_history = 0;
    std::vector<int> missing_from(std::size_t(o_.occupants), 0);
    for (const auto& c : clients_) {
      distinct += c.distinct;
      counted += c.presences;
      if (c.state != State::joined || c.distinct < o_.occupants) ++short_presence;
      if (c.index != 0 && c.history < expected_history_) ++short_history;
      if (c.seen_from.empty()) continue;
      for (int k = 0; k < o_.occupants; ++k)
        if (!c.seen_from[std::size_t(k)]) ++missing_from[std::size_t(k)];
    }
    std::fprintf(stderr,
                 "storm %.0f s: %d joined, %d complete; presences %lld of %lld (%lld counted); "
                 "%d short of a presence, %d of history\n",
                 double(now_ns() - start) / 1e9, joined_, complete_, distinct,
                 (long long)o_.occupants * o_.occupants, counted, short_presence, short_history);
    if (!detail) return;
    int shown = 0;
    for (const auto& c : clients_) {
      if (complete(c) || shown >= 20) continue;
      ++shown;
      std::string missing;
      int n = 0;
      for (int k = 0; k < o_.occupants && !c.seen_from.empty(); ++k)
        if (!c.seen_from[std::size_t(k)] && n++ < 8) missing += " n" + std::to_string(k);
      std::fprintf(stderr,
                   "  n%d: state %d, %d distinct presences (%d counted), %d history; "
                   "missing %d:%s\n",
                   c.index, int(c.state), c.distinct, c.presences, c.history, n, missing.c_str());
    }
    std::string senders;
    for (int k = 0; k < o_.occupants; ++k)
      if (missing_from[std::size_t(k)] > 0)
        senders += " n" + std::to_string(k) + "x" + std::to_string(missing_from[std::size_t(k)]);
    if (senders.size() > 600) senders = senders.substr(0, 600) + " ...";
    std::fprintf(stderr, "  missing presences by sender:%s\n", senders.c_str());
  }

  void check_deadline(std::int64_t started, int seconds, const char* what) {
    if (now_ns() - started > std::int64_t(seconds) * 1000000000)
      fail(std::string("timed out ") + what + " (" + std::to_string(bound_) + " logged in, " +
           std::to_string(joined_) + " joined)");
  }

  void send_message(Client& c, std::int64_t stamp) {
    ++c.seq;
    ++sent_;
    ++c.in_flight;
    send(c, "<message to='" + o_.room + "' type='groupchat'><body>t=" + std::to_string(stamp) +
                " s=" + std::to_string(c.index) + " n=" + std::to_string(c.seq) +
                "</body></message>");
  }

  // Returns messages sent per second.
  double measure(const std::string& phase, double rate) {
    const int senders = std::min(o_.senders, o_.occupants);
    sent_ = delivered_ = 0;
    latencies_us_.clear();
    for (auto& c : clients_) c.in_flight = 0;
    const double cpu0 = cpu_seconds();
    measure_from_ns_ = now_ns();
    const std::int64_t start = measure_from_ns_;
    const std::int64_t stop = start + std::int64_t(o_.seconds * 1e9);
    if (phase == "saturate") {
      while (now_ns() < stop) {
        const auto t = now_ns();
        for (int s = 0; s < senders; ++s) {
          Client& c = clients_[std::size_t(s)];
          while (c.in_flight < o_.window) send_message(c, t);
        }
        poll_once(5);
      }
    } else {
      send_at_rate(rate, senders, start, stop);
    }
    const std::int64_t sending_ended = now_ns();
    const std::uint64_t expected = sent_ * std::uint64_t(o_.occupants);
    drain(expected, sending_ended);
    const std::int64_t ended = now_ns();
    const double cpu = cpu_seconds() - cpu0;
    std::sort(latencies_us_.begin(), latencies_us_.end());
    auto pct = [&](double p) { return percentile_ms(p); };
    const double wall = double(ended - start) / 1e9;
    const double sending_wall = double(sending_ended - start) / 1e9;
    std::printf(
        "{\"phase\":\"%s\",\"occupants\":%d,\"senders\":%d,\"sent\":%llu,\"delivered\":%llu,"
        "\"expected\":%llu,\"lost\":%lld,\"wall_s\":%.3f,\"sent_per_s\":%.1f,"
        "\"delivered_per_s\":%.1f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,"
        "\"loadgen_cpu_s\":%.3f,\"login_s\":%.2f,\"join_s\":%.2f}\n",
        phase.c_str(), o_.occupants, senders, (unsigned long long)sent_,
        (unsigned long long)delivered_, (unsigned long long)expected,
        (long long)expected - (long long)delivered_, wall, double(sent_) / wall,
        double(delivered_) / wall, pct(0.5), pct(0.99),
        latencies_us_.empty() ? 0.0 : latencies_us_.back() / 1000.0, cpu, login_seconds_,
        join_seconds_);
    return double(sent_) / sending_wall;
  }

  // `rate` messages per second in total, round robin over the senders, from `start` to
  // `stop`. Each is stamped with the time it was due, not when it went out, so a late
  // send (the generator or the machine busy, or the up to 1 ms it sleeps past a due time)
  // counts in the latency instead of hiding it.
  void send_at_rate(double rate, int senders, std::int64_t start, std::int64_t stop) {
    const double interval_ns = 1e9 / rate;
    std::uint64_t k = 0;
    while (now_ns() < stop) {
      const auto t = now_ns();
      while (double(k) * interval_ns <= double(t - start)) {
        Client& c = clients_[std::size_t(k % std::uint64_t(senders))];
        send_message(c, start + std::int64_t(double(k) * interval_ns));
        ++k;
      }
      // Rounded up: waiting for less than a millisecond as 0 would spin on epoll_wait
      // between sends, and the generator's CPU is taken from the servers it measures.
      const auto next = start + std::int64_t(double(k) * interval_ns);
      poll_once(int(std::max<std::int64_t>(0, (next - now_ns() + 999999) / 1000000)));
    }
  }

  // Waits for the stragglers, bounded: what has not arrived 10 s after the last send is
  // lost.
  void drain(std::uint64_t expected, std::int64_t sending_ended) {
    const std::int64_t drain_until = sending_ended + 10000000000LL;
    while (delivered_ < expected && now_ns() < drain_until) poll_once(20);
    backlog_ = delivered_ < expected;
  }

  // A phase given up on with copies still on their way (an overloaded server) would have the
  // next phase's messages queued behind them, and its latency would be the last one's
  // backlog: wait until no copy at all has arrived for a second (a minute at most). The
  // copies are counted nowhere; the wait is outside every phase's figures.
  void settle_backlog() {
    if (!backlog_) return;
    backlog_ = false;
    const std::int64_t started = now_ns(), give_up = started + 60000000000LL;
    while (now_ns() < give_up && now_ns() - last_copy_ns_ < 1000000000LL) poll_once(20);
    std::fprintf(stderr, "waited %.1f s for the last phase's late copies\n",
                 double(now_ns() - started) / 1e9);
  }

  // Of latencies_us_, sorted; 0 when nothing arrived.
  double percentile_ms(double p) const {
    return load_client::percentile(latencies_us_, p) / 1000.0;
  }

  struct Step {
    double rate = 0;             // messages per second sent, as asked
    double delivered_per_s = 0;  // copies that arrived over the seconds of sending
    bool passed = false;
  };

  // The stepped fixed-rate knee (phase "steps"); returns it in messages sent per second,
  // 0 when no step passed.
  double steps(double start) {
    const double f = o_.step_factor;
    std::vector<Step> done;
    double knee = 0, lowest_failure = 0;  // 0: none yet
    double rate = start;
    for (int i = 1; i <= o_.max_steps; ++i) {
      done.push_back(step(i, rate));
      if (done.back().passed) {
        knee = std::max(knee, rate);
      } else {
        lowest_failure = lowest_failure > 0 ? std::min(lowest_failure, rate) : rate;
      }
      if (lowest_failure == 0) {
        rate *= f * f;
      } else if (knee == 0) {
        rate /= f * f;
      } else if (lowest_failure / knee > f * 1.001) {
        rate = std::sqrt(knee * lowest_failure);
      } else {
        break;
      }
      // A step must send at least one message (a room of 1,000 may need less than one a
      // second; below one a step there is nothing left to learn).
      if (rate * step_seconds() < 1) break;
    }
    double knee_delivered = 0;
    int knee_step = 0;
    for (std::size_t i = 0; i < done.size(); ++i) {
      if (done[i].passed && done[i].rate == knee) {
        knee_delivered = done[i].delivered_per_s;
        knee_step = int(i) + 1;
      }
    }
    std::printf(
        "{\"phase\":\"steps\",\"occupants\":%d,\"steps\":%zu,\"knee_step\":%d,"
        "\"knee_sent_per_s\":%.3f,\"knee_delivered_per_s\":%.1f,"
        "\"lowest_failure_sent_per_s\":%.3f,\"step_s\":%.3f,\"factor\":%.3f,"
        "\"p99_limit_ms\":%.1f}\n",
        o_.occupants, done.size(), knee_step, knee, knee_delivered, lowest_failure, step_seconds(),
        f, o_.step_p99_ms);
    std::fprintf(stderr, "knee %.0f messages/s sent, %.0f delivered/s (step %d of %zu)\n", knee,
                 knee_delivered, knee_step, done.size());
    return knee;
  }

  double step_seconds() const { return o_.step_seconds > 0 ? o_.step_seconds : o_.seconds; }

  // One step: `rate` for step_seconds, then every copy waited for (up to 10 s: the rest
  // is lost); passes with nothing lost and a p99 within the limit. A failed step's
  // backlog has drained (or been given up) before the next one starts.
  Step step(int index, double rate) {
    settle_backlog();
    std::printf("BEGIN step\n");
    std::fflush(stdout);
    const int senders = std::min(o_.senders, o_.occupants);
    sent_ = delivered_ = 0;
    latencies_us_.clear();
    const double cpu0 = cpu_seconds();
    measure_from_ns_ = now_ns();
    const std::int64_t start = measure_from_ns_;
    send_at_rate(rate, senders, start, start + std::int64_t(step_seconds() * 1e9));
    const std::int64_t sending_ended = now_ns();
    const std::uint64_t expected = sent_ * std::uint64_t(o_.occupants);
    drain(expected, sending_ended);
    const double waited = double(now_ns() - sending_ended) / 1e9;
    const double cpu = cpu_seconds() - cpu0;
    std::sort(latencies_us_.begin(), latencies_us_.end());
    const long long lost = (long long)expected - (long long)delivered_;
    const double p50 = percentile_ms(0.5), p99 = percentile_ms(0.99);
    const double sending_wall = double(sending_ended - start) / 1e9;
    Step s;
    s.rate = rate;
    s.delivered_per_s = double(delivered_) / sending_wall;
    s.passed = lost == 0 && delivered_ > 0 && p99 <= o_.step_p99_ms;
    std::printf(
        "{\"phase\":\"step\",\"step\":%d,\"occupants\":%d,\"senders\":%d,"
        "\"rate\":%.3f,\"sent\":%llu,\"delivered\":%llu,\"expected\":%llu,\"lost\":%lld,"
        "\"sending_s\":%.3f,\"waited_s\":%.3f,\"sent_per_s\":%.1f,"
        "\"delivered_per_s\":%.1f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,"
        "\"passed\":%s,\"loadgen_cpu_s\":%.3f}\n",
        index, o_.occupants, senders, rate, (unsigned long long)sent_,
        (unsigned long long)delivered_, (unsigned long long)expected, lost, sending_wall, waited,
        double(sent_) / sending_wall, s.delivered_per_s, p50, p99,
        latencies_us_.empty() ? 0.0 : latencies_us_.back() / 1000.0, s.passed ? "true" : "false",
        cpu);
    std::fflush(stdout);
    std::fprintf(stderr,
                 "step %d: %.0f messages/s sent, %.0f delivered/s, p50 %.1f ms, p99 %.1f ms, "
                 "%lld lost: %s\n",
                 index, rate, s.delivered_per_s, p50, p99, lost, s.passed ? "passed" : "failed");
    return s;
  }

  Options o_;
  int ep_;
  std::vector<Client> clients_;
  int bound_ = 0;
  int joined_ = 0;
  int complete_ = 0;  // clients with every occupant's presence (and history in the storm)
  int expected_history_ = 0;
  bool waiting_instant_ = false;
  std::uint64_t sent_ = 0, delivered_ = 0;
  std::int64_t measure_from_ns_ = INT64_MAX;
  std::int64_t last_input_ns_ = 0;
  std::int64_t last_copy_ns_ = 0;  // when a copy of any phase's message last arrived
  bool backlog_ = false;           // the last phase ended with copies still to come
  std::vector<std::uint32_t> latencies_us_;
  double login_seconds_ = 0, join_seconds_ = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--port") {
      o.port = std::stoi(value());
    } else if (a == "--domain") {
      o.domain = value();
    } else if (a == "--room") {
      o.room = value();
    } else if (a == "--users") {
      o.users = load_client::parse_users(value());
    } else if (a == "--occupants") {
      o.occupants = std::stoi(value());
    } else if (a == "--senders") {
      o.senders = std::stoi(value());
    } else if (a == "--phases") {
      o.phases.clear();
      std::string v = value();
      std::size_t p = 0;
      for (;;) {
        auto comma = v.find(',', p);
        o.phases.push_back(v.substr(p, comma == std::string::npos ? std::string::npos : comma - p));
        if (comma == std::string::npos) break;
        p = comma + 1;
      }
    } else if (a == "--rate") {
      o.rate = std::stod(value());
    } else if (a == "--window") {
      o.window = std::stoi(value());
    } else if (a == "--seconds") {
      o.seconds = std::stod(value());
    } else if (a == "--show-stanza") {
      o.show_stanza = true;
    } else if (a == "--storm-seconds") {
      o.storm_seconds = std::stod(value());
    } else if (a == "--storm-timeout") {
      o.storm_timeout = std::stod(value());
    } else if (a == "--history") {
      o.history = std::stoi(value());
    } else if (a == "--step-start") {
      o.step_start = std::stod(value());
    } else if (a == "--step-fraction") {
      o.step_fraction = std::stod(value());
    } else if (a == "--step-factor") {
      o.step_factor = std::stod(value());
    } else if (a == "--step-seconds") {
      o.step_seconds = std::stod(value());
    } else if (a == "--step-p99-ms") {
      o.step_p99_ms = std::stod(value());
    } else if (a == "--max-steps") {
      o.max_steps = std::stoi(value());
    } else if (a == "--join-parallel") {
      o.join_parallel = std::stoi(value());
    } else {
      throw std::runtime_error("unknown option " + a);
    }
  }
  if (o.port == 0 || o.domain.empty() || o.room.empty() || o.users.empty())
    throw std::runtime_error("--port, --domain, --room and --users are required");
  for (std::size_t i = 0; i < o.phases.size(); ++i) {
    const auto& ph = o.phases[i];
    if (ph != "saturate" && ph != "steps" && ph != "half" && ph != "rate" &&
        !(ph == "storm" && i == 0))
      throw std::runtime_error("--phases: storm (first), saturate, steps, half or rate");
  }
  if (o.step_factor <= 1 || o.max_steps < 1 || o.step_p99_ms <= 0)
    throw std::runtime_error("--step-factor must be above 1, --max-steps at least 1");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Load load(parse(argc, argv));
    load.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "muc_load_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
