// Load generator for "a mixed campus day": many rooms of power-law sizes through a host
// server's c2s port, with joins, leaves, nick changes, groupchat messages and archive (MAM)
// queries on a fixed, seeded schedule, so every system sees the same day.
//
//   campus_day_bench --port P --domain D --muc MUC --users u1:pw,u2:pw,...
//                    [--rooms 1000] [--clients 300] [--largest 250] [--seconds 60]
//                    [--rate 50] [--seed 1] [--mix 80,5,5,5,5] [--present 0.9]
//                    [--mam-max 20] [--warm-messages 2] [--join-parallel 50]
//                    [--steps N [--step-factor 1.414] [--step-seconds 10] [--step-p99-ms 200]]
//
// The day: room k (k = 1..rooms) has max(2, round(largest / k)) members (Zipf: a few rooms
// of hundreds, most of two), drawn from the clients; each client is one connection (client
// i logs in as user i mod users, resource r<i>). The first member of a room (its anchor)
// creates it and never leaves, so no room empties and its archive lives all day. Warm-up:
// anchors create their rooms (configured as persistent when the host says one is new), then
// the members who start present (--present of the rest) join, then every anchor sends
// --warm-messages messages so the archive has something to return. Then "BEGIN day"
// on stdout and the measured period: --rate actions per second for --seconds seconds,
// drawn by --mix (percent message, join, leave, nick change, MAM query):
//   message  a present membership (so a room is picked in proportion to its size) sends a
//            groupchat message stamped with its planned send time;
//   join     a membership that is away joins again (asking for no history);
//   leave    a present membership other than an anchor leaves;
//   nick     a present membership takes a new nick;
//   mam      a present membership asks the room's archive for its last --mam-max messages.
// The schedule is computed up front from --seed alone (a membership is not picked again
// within 2 s of its last join, leave or nick change), so a slow server cannot change which
// actions come; an action whose membership is still waiting for the server is skipped and
// counted. After the period it waits (at most 30 s) for the stragglers, then prints one
// JSON object: deliveries, lost copies, latencies (message delivery at the receiving client;
// join to own presence; nick change to own new presence; MAM query to its result), errors
// and its own CPU time. A copy is expected by every membership that was in the room when
// the message was sent and did not leave within 30 s after; one that never arrives is lost.
//
// With --steps N the measured period is a ladder instead (decision 0082): step i runs the
// same mix at --rate x factor^i actions per second for --step-seconds, then waits for its
// stragglers and prints its own JSON object ("phase":"step") after a "BEGIN step i" line.
// A step passes when none of its copies is lost and its delivery p99 is at most
// --step-p99-ms; the ladder stops after the first step that fails. The whole ladder is
// planned up front from the seed, so every system meets the same actions up to where it
// stops. With the default factor (the square root of two) the step two below the highest
// that passed ran at exactly half its rate.
//
// One thread, epoll, no XML parser: each connection's input is cut into top-level stanzas
// by tracking tag depth (quotes honoured), and the few markers needed are looked for in
// each stanza.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "load_client.hpp"

namespace {

using load_client::cpu_seconds;
using load_client::now_ns;

constexpr std::int64_t kSecond = 1000000000;
constexpr std::int64_t kCooldown = 2 * kSecond;  // between changes of one membership
constexpr std::int64_t kDrain = 30 * kSecond;

struct Options {
  int port = 0;
  std::string domain, muc;
  std::vector<std::pair<std::string, std::string>> users;
  int rooms = 1000;
  int clients = 300;
  int largest = 250;
  double seconds = 60;
  double rate = 50;
  std::uint64_t seed = 1;
  int mix[5] = {80, 5, 5, 5, 5};  // message, join, leave, nick, mam
  double present = 0.9;
  int mam_max = 20;
  int warm_messages = 2;
  int join_parallel = 50;
  int steps = 0;  // 0: one period of `seconds` at `rate`; else the ladder
  double step_factor = 1.41421356237;
  double step_seconds = 10;
  double step_p99_ms = 200;

  int periods() const { return steps > 0 ? steps : 1; }
  double period_rate(int i) const { return steps > 0 ? rate * std::pow(step_factor, i) : rate; }
  double period_seconds() const { return steps > 0 ? step_seconds : seconds; }
};

// splitmix64: the same numbers from the same seed with any standard library.
class Random {
 public:
  explicit Random(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return std::size_t(next() % n); }
  double unit() { return double(next() >> 11) / double(1ULL << 53); }

 private:
  std::uint64_t s_;
};

enum class Kind { message, join, leave, nick, mam };
constexpr const char* kKindNames[] = {"message", "join", "leave", "nick", "mam"};

// Where a membership stands with the server: what the generator sent and what came back.
enum class Stand { away, joining, joined, renaming, leaving };

struct Membership {
  int client = 0, room = 0;
  int nick_generation = 0;
  bool anchor = false;
  bool starts_present = false;
  Stand stand = Stand::away;
  std::int64_t asked_ns = 0;  // when the pending join, leave or nick change was sent
  std::vector<std::int64_t> leaves_ns;
};

struct Room {
  std::vector<int> members;  // membership ids
};

struct Action {
  std::int64_t at_ns;  // from the start of its period
  Kind kind;
  int membership;
  int period;  // the step of a ladder; 0 for one fixed period
};

struct Message {
  std::int64_t sent_ns = 0;
  int room = 0;
  bool measured = false;
  std::vector<int> expected;  // membership ids in the room when it was sent, sorted
  std::vector<char> arrived;  // by position in `expected`
};

struct Client : load_client::Connection {
  std::vector<int> memberships;
  // The stanza cutter's state over `in`: scanned up to `pos`; depth 1 is inside the stream.
  std::size_t pos = 0, stanza_start = 0, tag_start = 0;
  int depth = 1;
  bool in_tag = false;
  char quote = 0;
};

std::string_view attribute(std::string_view stanza, std::string_view name) {
  const auto tag_end = stanza.find('>');
  const auto head = stanza.substr(0, tag_end);
  for (std::size_t from = 0;;) {
    const auto p = head.find(name, from);
    if (p == std::string_view::npos) return {};
    const auto eq = p + name.size();
    if (p > 0 && head[p - 1] == ' ' && eq + 1 < head.size() && head[eq] == '=') {
      const char q = head[eq + 1];
      const auto end = head.find(q, eq + 2);
      if (end == std::string_view::npos) return {};
      return head.substr(eq + 2, end - eq - 2);
    }
    from = p + 1;
  }
}

bool has_status(std::string_view stanza, std::string_view code) {
  const std::string single = "code='" + std::string(code) + "'";
  const std::string dbl = "code=\"" + std::string(code) + "\"";
  return stanza.find(single) != std::string_view::npos ||
         stanza.find(dbl) != std::string_view::npos;
}

class Percentiles {
 public:
  void add(std::int64_t ns) { us_.push_back(std::uint32_t(std::max<std::int64_t>(0, ns) / 1000)); }
  std::size_t size() const { return us_.size(); }
  double ms(double p) {
    std::sort(us_.begin(), us_.end());
    return load_client::percentile(us_, p) / 1000.0;
  }

 private:
  std::vector<std::uint32_t> us_;
};

class CampusDay {
 public:
  explicit CampusDay(Options o) : o_(std::move(o)) {
    ep_ = epoll_create1(0);
    if (ep_ < 0) throw std::runtime_error("epoll_create1");
    plan_rooms();
    plan_day();
  }

  void run() {
    connect_all();
    warm_up();
    day();
  }

 private:
  static void fail(const std::string& what) { throw std::runtime_error(what); }

  // --------------------------------------------------------------------- the plan
  void plan_rooms() {
    Random rnd(o_.seed);
    clients_.resize(std::size_t(o_.clients));
    for (int i = 0; i < o_.clients; ++i) {
      Client& c = clients_[std::size_t(i)];
      c.index = i;
      const auto& u = o_.users[std::size_t(i) % o_.users.size()];
      c.user = u.first;
      c.password = u.second;
    }
    rooms_.resize(std::size_t(o_.rooms));
    std::vector<int> pool(std::size_t(o_.clients));
    for (int k = 0; k < o_.rooms; ++k) {
      int size = int(double(o_.largest) / double(k + 1) + 0.5);
      size = std::clamp(size, 2, o_.clients);
      for (int i = 0; i < o_.clients; ++i) pool[std::size_t(i)] = i;
      // A partial shuffle: the first `size` of the pool are the members, the first the anchor.
      for (int j = 0; j < size; ++j) {
        const auto pick = std::size_t(j) + rnd.below(std::size_t(o_.clients - j));
        std::swap(pool[std::size_t(j)], pool[pick]);
        Membership m;
        m.client = pool[std::size_t(j)];
        m.room = k;
        m.anchor = j == 0;
        m.starts_present = m.anchor || rnd.unit() < o_.present;
        const int id = int(memberships_.size());
        memberships_.push_back(m);
        rooms_[std::size_t(k)].members.push_back(id);
        clients_[std::size_t(m.client)].memberships.push_back(id);
      }
    }
  }

  // Every action of the day from the seed alone, following the planned (not the observed)
  // presence of each membership.
  void plan_day() {
    Random rnd(o_.seed ^ 0x5eedda7ULL);
    std::vector<char> present(memberships_.size());
    std::vector<std::int64_t> changed(memberships_.size(), -kCooldown);
    for (std::size_t i = 0; i < memberships_.size(); ++i)
      present[i] = memberships_[i].starts_present;
    int weight_total = 0;
    for (int w : o_.mix) weight_total += w;
    if (weight_total <= 0) fail("--mix adds up to nothing");
    // Planned time runs on over the periods (the cooldown spans them); a real pause between
    // steps only adds to it.
    std::int64_t period_start = 0;
    for (int period = 0; period < o_.periods(); ++period) {
      const double rate = o_.period_rate(period);
      const auto count = std::int64_t(o_.period_seconds() * rate);
      for (std::int64_t k = 0; k < count; ++k) {
        const auto in_period = std::int64_t(double(k) * 1e9 / rate);
        plan_action(rnd, present, changed, weight_total, period, in_period,
                    period_start + in_period);
      }
      period_start += std::int64_t(o_.period_seconds() * 1e9);
    }
  }

  void plan_action(Random& rnd, std::vector<char>& present, std::vector<std::int64_t>& changed,
                   int weight_total, int period, std::int64_t in_period, std::int64_t at) {
    int draw = int(rnd.below(std::size_t(weight_total)));
    int kind = 0;
    while (draw >= o_.mix[kind]) draw -= o_.mix[kind++];
    const Kind what = Kind(kind);
    // A few tries for a membership that fits; if none does, the action is left out.
    for (int attempt = 0; attempt < 64; ++attempt) {
      const auto id = rnd.below(memberships_.size());
      const Membership& m = memberships_[id];
      const bool wanted_present = what != Kind::join;
      if (bool(present[id]) != wanted_present) continue;
      if (what == Kind::leave && m.anchor) continue;
      if (at - changed[id] < kCooldown) continue;
      if (what == Kind::join || what == Kind::leave || what == Kind::nick) changed[id] = at;
      if (what == Kind::join) present[id] = 1;
      if (what == Kind::leave) present[id] = 0;
      schedule_.push_back({in_period, what, int(id), period});
      return;
    }
  }

  // --------------------------------------------------------------------- the wire
  std::string room_jid(int room) const { return "r" + std::to_string(room) + "@" + o_.muc; }

  std::string nick(const Membership& m) const {
    std::string n = "c" + std::to_string(m.client);
    if (m.nick_generation > 0) n += "." + std::to_string(m.nick_generation);
    return n;
  }

  void send_join(int id) {
    Membership& m = memberships_[std::size_t(id)];
    m.stand = Stand::joining;
    m.asked_ns = now_ns();
    load_client::send(clients_[std::size_t(m.client)],
                      "<presence to='" + room_jid(m.room) + "/" + nick(m) +
                          "'><x xmlns='http://jabber.org/protocol/muc'><history "
                          "maxstanzas='0'/></x></presence>");
  }

  void send_leave(int id) {
    Membership& m = memberships_[std::size_t(id)];
    m.stand = Stand::leaving;
    m.asked_ns = now_ns();
    m.leaves_ns.push_back(m.asked_ns);
    load_client::send(
        clients_[std::size_t(m.client)],
        "<presence type='unavailable' to='" + room_jid(m.room) + "/" + nick(m) + "'/>");
  }

  void send_nick_change(int id) {
    Membership& m = memberships_[std::size_t(id)];
    m.stand = Stand::renaming;
    m.asked_ns = now_ns();
    ++m.nick_generation;
    load_client::send(clients_[std::size_t(m.client)],
                      "<presence to='" + room_jid(m.room) + "/" + nick(m) + "'/>");
  }

  void send_message(int id, std::int64_t stamp, bool measured) {
    const Membership& m = memberships_[std::size_t(id)];
    Message msg;
    msg.sent_ns = stamp;
    msg.room = m.room;
    msg.measured = measured;
    for (int member : rooms_[std::size_t(m.room)].members) {
      const Stand s = memberships_[std::size_t(member)].stand;
      if (s == Stand::joined || s == Stand::renaming) msg.expected.push_back(member);
    }
    msg.arrived.assign(msg.expected.size(), 0);
    const auto number = messages_.size();
    messages_.push_back(std::move(msg));
    if (measured) ++sent_;
    load_client::send(clients_[std::size_t(m.client)],
                      "<message to='" + room_jid(m.room) +
                          "' type='groupchat'><body>t=" + std::to_string(stamp) +
                          " m=" + std::to_string(number) + "</body></message>");
  }

  void send_mam_query(int id) {
    const Membership& m = memberships_[std::size_t(id)];
    const auto number = mam_sent_ns_.size();
    mam_sent_ns_.push_back(now_ns());
    const std::string qid = "q" + std::to_string(number);
    load_client::send(clients_[std::size_t(m.client)],
                      "<iq type='set' id='" + qid + "' to='" + room_jid(m.room) +
                          "'><query xmlns='urn:xmpp:mam:2' queryid='" + qid +
                          "'><set xmlns='http://jabber.org/protocol/rsm'><max>" +
                          std::to_string(o_.mam_max) + "</max><before/></set></query></iq>");
  }

  // A new room is configured as persistent, as a college's or a course's room is: a room
  // that is not ends when its last occupant leaves, and one host (Prosody 0.12's own MUC)
  // also ends it when its only occupant changes nick, which would fail the message after.
  void send_room_configuration(Client& c, int room) {
    ++configuring_;
    load_client::send(c, "<iq type='set' id='i" + std::to_string(room) + "' to='" + room_jid(room) +
                             "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                             "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
                             "<value>http://jabber.org/protocol/muc#roomconfig</value></field>"
                             "<field var='muc#roomconfig_persistentroom'><value>1</value>"
                             "</field></x></query></iq>");
  }

  // --------------------------------------------------------------------- what arrives
  int membership_of(const Client& c, int room) const {
    for (int id : c.memberships)
      if (memberships_[std::size_t(id)].room == room) return id;
    return -1;
  }

  // "r<k>@muc/..." -> k, or -1.
  int room_of(std::string_view jid) const {
    if (jid.size() < 2 || jid[0] != 'r') return -1;
    int k = -1;
    auto [ptr, error] = std::from_chars(jid.data() + 1, jid.data() + jid.size(), k);
    if (error != std::errc() || ptr == jid.data() + jid.size() || *ptr != '@' || k < 0 ||
        k >= o_.rooms)
      return -1;
    return k;
  }

  void note_error(const char* what, std::string_view stanza) {
    ++errors_;
    if (errors_ <= 5)
      std::fprintf(stderr, "%s error: %.*s\n", what, int(std::min<std::size_t>(stanza.size(), 500)),
                   stanza.data());
  }

  void on_presence(Client& c, std::string_view st, std::int64_t now) {
    const int room = room_of(attribute(st, "from"));
    const int id = room < 0 ? -1 : membership_of(c, room);
    if (id < 0) return;
    Membership& m = memberships_[std::size_t(id)];
    const auto type = attribute(st, "type");
    if (type == "error") {
      note_error("presence", st);
      if (m.stand == Stand::joining) m.stand = Stand::away;
      if (m.stand == Stand::renaming) m.stand = Stand::joined;
      return;
    }
    if (!has_status(st, "110")) {
      ++presences_;
      return;
    }
    if (type == "unavailable") {
      if (m.stand == Stand::leaving) m.stand = Stand::away;
      return;  // a nick change's first half (303) is followed by the new presence
    }
    if (m.stand == Stand::joining) {
      m.stand = Stand::joined;
      (measuring_ ? join_ : warm_join_).add(now - m.asked_ns);
      if (has_status(st, "201")) send_room_configuration(c, room);
    } else if (m.stand == Stand::renaming) {
      m.stand = Stand::joined;
      if (measuring_) nick_.add(now - m.asked_ns);
    }
  }

  void on_message(Client& c, std::string_view st, std::int64_t now) {
    if (attribute(st, "type") == "error") {
      note_error("message", st);
      return;
    }
    if (st.find("<forwarded") != std::string_view::npos) {
      ++mam_results_;  // an archived message in a query's result, not a delivery
      return;
    }
    const auto b = st.find("<body>t=");
    if (b == std::string_view::npos) return;  // a subject or a room notice
    if (st.find("urn:xmpp:delay") != std::string_view::npos) {
      ++history_;  // asked for none, counted in case a host sends some anyway
      return;
    }
    const auto body = st.substr(b + 8);
    std::int64_t stamp = 0;
    std::size_t number = 0;
    auto [p1, e1] = std::from_chars(body.data(), body.data() + body.size(), stamp);
    const auto mpos = body.find(" m=");
    if (e1 != std::errc() || mpos == std::string_view::npos) return;
    auto [p2, e2] = std::from_chars(body.data() + mpos + 3, body.data() + body.size(), number);
    if (e2 != std::errc() || number >= messages_.size()) return;
    (void)p1;
    (void)p2;
    Message& msg = messages_[number];
    if (msg.measured) {
      ++delivered_;
      latency_.add(now - stamp);
    }
    const int id = membership_of(c, msg.room);
    const auto it = std::lower_bound(msg.expected.begin(), msg.expected.end(), id);
    if (id >= 0 && it != msg.expected.end() && *it == id) {
      char& arrived = msg.arrived[std::size_t(it - msg.expected.begin())];
      if (arrived) ++duplicates_;
      arrived = 1;
      ++arrived_expected_;
    } else if (msg.measured) {
      ++unexpected_;  // a member whose join was still on its way when it was sent
    }
  }

  void on_iq(std::string_view st, std::int64_t now) {
    const auto id = attribute(st, "id");
    const auto type = attribute(st, "type");
    if (id.size() < 2) return;
    if (id[0] == 'i') {
      if (type == "error") note_error("room configuration", st);
      --configuring_;
    } else if (id[0] == 'q') {
      std::size_t number = 0;
      auto [ptr, error] = std::from_chars(id.data() + 1, id.data() + id.size(), number);
      (void)ptr;
      if (error != std::errc() || number >= mam_sent_ns_.size()) return;
      if (type == "error") {
        ++mam_answered_;
        note_error("MAM query", st);
      } else if (st.find("<fin") != std::string_view::npos) {
        ++mam_answered_;
        mam_.add(now - mam_sent_ns_[number]);
      }
    }
  }

  void on_stanza(Client& c, std::string_view st, std::int64_t now) {
    if (st.starts_with("<message")) {
      on_message(c, st, now);
    } else if (st.starts_with("<presence")) {
      on_presence(c, st, now);
    } else if (st.starts_with("<iq")) {
      on_iq(st, now);
    } else if (st.starts_with("<stream:error")) {
      fail("stream error for connection " + std::to_string(c.index) + ": " + std::string(st));
    }
  }

  // Cuts what has arrived into top-level stanzas by tag depth (attribute values may hold
  // '>', so quotes are followed), hands each complete one on, and drops what is done.
  void cut_stanzas(Client& c, std::int64_t now) {
    std::string& in = c.in;
    for (;;) {
      if (!c.in_tag) {
        const auto lt = in.find('<', c.pos);
        if (lt == std::string::npos) {
          c.pos = in.size();
          break;
        }
        c.in_tag = true;
        c.tag_start = lt;
        c.quote = 0;
        c.pos = lt + 1;
      }
      while (c.pos < in.size()) {
        const char ch = in[c.pos];
        if (c.quote) {
          if (ch == c.quote) c.quote = 0;
        } else if (ch == '"' || ch == '\'') {
          c.quote = ch;
        } else if (ch == '>') {
          break;
        }
        ++c.pos;
      }
      if (c.pos >= in.size()) break;  // the tag continues in the next read
      c.in_tag = false;
      ++c.pos;
      const char kind = in[c.tag_start + 1];
      if (kind == '?' || kind == '!') continue;
      if (kind == '/') {
        if (--c.depth <= 0)
          fail("the server closed the stream of connection " + std::to_string(c.index));
        if (c.depth == 1)
          on_stanza(c, std::string_view(in).substr(c.stanza_start, c.pos - c.stanza_start), now);
      } else if (in[c.pos - 2] == '/') {
        if (c.depth == 1)
          on_stanza(c, std::string_view(in).substr(c.tag_start, c.pos - c.tag_start), now);
      } else {
        if (c.depth == 1) c.stanza_start = c.tag_start;
        ++c.depth;
      }
    }
    std::size_t keep = c.pos;
    if (c.in_tag) keep = std::min(keep, c.tag_start);
    if (c.depth > 1) keep = std::min(keep, c.stanza_start);
    in.erase(0, keep);
    c.pos -= keep;
    c.tag_start -= std::min(c.tag_start, keep);
    c.stanza_start -= std::min(c.stanza_start, keep);
  }

  void poll_once(int timeout_ms) {
    epoll_event evs[256];
    const int n = epoll_wait(ep_, evs, 256, timeout_ms);
    char buf[65536];
    for (int i = 0; i < n; ++i) {
      Client& c = clients_[evs[i].data.u32];
      if (evs[i].events & EPOLLOUT) load_client::flush(c);
      if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      for (;;) {
        const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
        if (r > 0) {
          c.in.append(buf, std::size_t(r));
          continue;
        }
        if (r == 0) fail("connection " + std::to_string(c.index) + " closed by the server");
        if (errno == EAGAIN) break;
        fail("recv: " + std::string(strerror(errno)));
      }
      if (c.login != load_client::Login::bound) {
        while (load_client::advance_login(c, o_.domain)) {
        }
        if (c.login != load_client::Login::bound) continue;
        ++bound_;
      }
      cut_stanzas(c, now_ns());
    }
  }

  void wait_until(const char* what, std::int64_t deadline_s, auto done) {
    const auto started = now_ns();
    while (!done()) {
      poll_once(20);
      if (now_ns() - started > deadline_s * kSecond) fail(std::string("timed out ") + what);
    }
  }

  // --------------------------------------------------------------------- phases
  void connect_all() {
    const auto started = now_ns();
    int opened = 0;
    wait_until("logging in", 600, [&] {
      while (opened < o_.clients && opened - bound_ < o_.join_parallel)
        load_client::open_connection(clients_[std::size_t(opened++)], ep_, o_.port, o_.domain);
      return bound_ == o_.clients;
    });
    login_s_ = double(now_ns() - started) / 1e9;
  }

  int count_stand(Stand s, bool starts_present) const {
    int n = 0;
    for (const auto& m : memberships_) n += m.stand == s && m.starts_present == starts_present;
    return n;
  }

  // Joins the planned memberships, at most join_parallel in flight.
  void join_all(const char* what, auto wanted) {
    std::vector<int> todo;
    for (int id = 0; id < int(memberships_.size()); ++id)
      if (wanted(memberships_[std::size_t(id)])) todo.push_back(id);
    std::size_t next = 0, done = 0;
    wait_until(what, 900, [&] {
      done = 0;
      for (std::size_t i = 0; i < next; ++i)
        done += memberships_[std::size_t(todo[i])].stand != Stand::joining;
      while (next < todo.size() && next - done < std::size_t(o_.join_parallel)) {
        send_join(todo[next++]);
      }
      return done == todo.size() && configuring_ == 0;
    });
  }

  void warm_up() {
    const auto started = now_ns();
    join_all("creating the rooms", [](const Membership& m) { return m.anchor; });
    join_all("joining the rooms",
             [](const Membership& m) { return !m.anchor && m.starts_present; });
    const int refused = count_stand(Stand::away, true);
    if (refused > 0) fail(std::to_string(refused) + " planned joins were refused");
    // Something in every room's archive before the first query.
    for (int i = 0; i < o_.warm_messages; ++i)
      for (const auto& room : rooms_) send_message(room.members.front(), now_ns(), false);
    wait_until("the warm-up messages", 120, [&] {
      std::size_t expected = 0;
      for (const auto& m : messages_) expected += m.expected.size();
      return arrived_expected_ >= expected;
    });
    warm_up_s_ = double(now_ns() - started) / 1e9;
    std::fprintf(stderr, "warm-up: %zu memberships in %d rooms, %.1f s\n", memberships_.size(),
                 o_.rooms, warm_up_s_);
  }

  void act(const Action& a, std::int64_t stamp) {
    Membership& m = memberships_[std::size_t(a.membership)];
    const bool ready = a.kind == Kind::join ? m.stand == Stand::away : m.stand == Stand::joined;
    if (!ready) {
      ++skipped_[int(a.kind)];
      return;
    }
    ++done_[int(a.kind)];
    switch (a.kind) {
      case Kind::message:
        send_message(a.membership, stamp, true);
        break;
      case Kind::join:
        send_join(a.membership);
        break;
      case Kind::leave:
        send_leave(a.membership);
        break;
      case Kind::nick:
        send_nick_change(a.membership);
        break;
      case Kind::mam:
        send_mam_query(a.membership);
        break;
    }
  }

  void day() {
    std::size_t next_action = 0;
    for (int period = 0; period < o_.periods(); ++period) {
      const bool passed = run_period(period, next_action);
      if (o_.steps > 0 && !passed) break;  // the ladder ends at its first failed step
    }
  }

  // One measured period (the day, or one step of the ladder): its actions on time, then the
  // wait for its stragglers, then its report. Returns whether it passed as a step.
  bool run_period(int period, std::size_t& k) {
    if (o_.steps > 0)
      std::printf("BEGIN step %d\n", period);
    else
      std::printf("BEGIN day\n");
    std::fflush(stdout);
    reset_figures();
    const double cpu0 = cpu_seconds();
    const auto first_message = messages_.size();
    measuring_ = true;
    const auto start = now_ns();
    std::int64_t next_progress = start + 10 * kSecond;
    const auto in_period = [&](std::size_t i) {
      return i < schedule_.size() && schedule_[i].period == period;
    };
    while (in_period(k)) {
      const auto now = now_ns();
      while (in_period(k) && schedule_[k].at_ns <= now - start) {
        lag_ns_ = std::max(lag_ns_, now - start - schedule_[k].at_ns);
        act(schedule_[k], start + schedule_[k].at_ns);
        ++k;
      }
      if (now >= next_progress) {
        std::fprintf(stderr, "%s %.0f s: %zu of %zu actions, %llu delivered, %d errors\n",
                     o_.steps > 0 ? "step" : "day", double(now - start) / 1e9, k, schedule_.size(),
                     (unsigned long long)delivered_, errors_);
        next_progress += 10 * kSecond;
      }
      const auto next = in_period(k) ? start + schedule_[k].at_ns : now;
      poll_once(int(std::max<std::int64_t>(0, (next - now_ns()) / 1000000)));
    }
    const auto sending_ended = std::max(now_ns(), start + std::int64_t(o_.period_seconds() * 1e9));
    // The stragglers: every pending join, leave, nick change and query, and every copy
    // still owed, or kDrain (looked at four times a second: counting copies takes a while).
    auto settled = [&] {
      if (mam_answered_ < mam_sent_ns_.size()) return false;
      for (const auto& m : memberships_)
        if (m.stand == Stand::joining || m.stand == Stand::leaving || m.stand == Stand::renaming)
          return false;
      std::uint64_t expected = 0, lost = 0, excused = 0;
      count_lost(first_message, expected, lost, excused);
      return lost == 0;
    };
    std::int64_t next_look = 0;
    while (now_ns() - sending_ended < kDrain) {
      if (now_ns() >= next_look) {
        if (settled()) break;
        next_look = now_ns() + kSecond / 4;
      }
      poll_once(20);
    }
    const auto ended = now_ns();
    return report(period, first_message, start, sending_ended, ended, cpu_seconds() - cpu0);
  }

  // Each period reports only its own actions and copies.
  void reset_figures() {
    std::fill(std::begin(done_), std::end(done_), 0);
    std::fill(std::begin(skipped_), std::end(skipped_), 0);
    sent_ = delivered_ = unexpected_ = duplicates_ = history_ = mam_results_ = presences_ = 0;
    lag_ns_ = 0;
    errors_at_start_ = errors_;
    latency_ = join_ = nick_ = mam_ = Percentiles();
  }

  // Copies that never arrived, except at memberships that left within kDrain of the send.
  void count_lost(std::size_t from, std::uint64_t& expected, std::uint64_t& lost,
                  std::uint64_t& excused) const {
    for (std::size_t i = from; i < messages_.size(); ++i) {
      const Message& msg = messages_[i];
      for (std::size_t j = 0; j < msg.expected.size(); ++j) {
        ++expected;
        if (msg.arrived[j]) continue;
        const auto& leaves = memberships_[std::size_t(msg.expected[j])].leaves_ns;
        const bool left = std::any_of(leaves.begin(), leaves.end(), [&](std::int64_t t) {
          return t >= msg.sent_ns - kSecond && t <= msg.sent_ns + kDrain;
        });
        ++(left ? excused : lost);
      }
    }
  }

  bool report(int period, std::size_t from, std::int64_t start, std::int64_t sending_ended,
              std::int64_t ended, double cpu) {
    std::uint64_t expected = 0, lost = 0, excused = 0;
    count_lost(from, expected, lost, excused);
    const std::size_t actions = std::size_t(std::count_if(
        schedule_.begin(), schedule_.end(), [&](const Action& a) { return a.period == period; }));
    const double sending = double(sending_ended - start) / 1e9;
    const double p99 = latency_.ms(0.99);
    const bool passed = lost == 0 && delivered_ > 0 && p99 <= o_.step_p99_ms;
    int pending_joins = 0;
    for (const auto& m : memberships_) pending_joins += m.stand == Stand::joining;
    const double wall = double(ended - start) / 1e9;
    std::string done, skipped;
    for (int i = 0; i < 5; ++i) {
      done += std::string(i ? "," : "") + "\"" + kKindNames[i] + "\":" + std::to_string(done_[i]);
      skipped +=
          std::string(i ? "," : "") + "\"" + kKindNames[i] + "\":" + std::to_string(skipped_[i]);
    }
    std::printf(
        "{\"phase\":\"%s\",\"step\":%d,\"passed\":%s,\"rooms\":%d,\"clients\":%d,\"memberships\":%"
        "zu,\"largest\":%d,"
        "\"seconds\":%.1f,\"rate\":%.1f,\"seed\":%llu,\"actions\":%zu,\"done\":{%s},"
        "\"skipped\":{%s},\"sent\":%llu,\"delivered\":%llu,\"expected\":%llu,\"lost\":%llu,"
        "\"left_before_arrival\":%llu,\"unexpected\":%llu,\"duplicates\":%llu,\"errors\":%d,"
        "\"history\":%llu,\"pending_joins\":%d,\"wall_s\":%.3f,\"sending_s\":%.3f,"
        "\"delivered_per_s\":%.1f,\"delivered_per_sending_s\":%.1f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,"
        "\"join_n\":%zu,"
        "\"join_p50_ms\":%.2f,\"join_p99_ms\":%.2f,\"nick_n\":%zu,\"nick_p50_ms\":%.2f,"
        "\"nick_p99_ms\":%.2f,\"mam_n\":%zu,\"mam_p50_ms\":%.2f,\"mam_p99_ms\":%.2f,"
        "\"mam_results\":%llu,\"presences\":%llu,\"lag_max_ms\":%.1f,\"loadgen_cpu_s\":%.3f,"
        "\"login_s\":%.2f,\"warm_up_s\":%.2f,\"warm_join_p50_ms\":%.2f,"
        "\"warm_join_p99_ms\":%.2f}\n",
        o_.steps > 0 ? "step" : "day", period, passed ? "true" : "false", o_.rooms, o_.clients,
        memberships_.size(), o_.largest, o_.period_seconds(), o_.period_rate(period),
        (unsigned long long)o_.seed, actions, done.c_str(), skipped.c_str(),
        (unsigned long long)sent_, (unsigned long long)delivered_, (unsigned long long)expected,
        (unsigned long long)lost, (unsigned long long)excused, (unsigned long long)unexpected_,
        (unsigned long long)duplicates_, errors_ - errors_at_start_, (unsigned long long)history_,
        pending_joins, wall, sending, double(delivered_) / wall, double(delivered_) / sending,
        latency_.ms(0.5), p99, join_.size(), join_.ms(0.5), join_.ms(0.99), nick_.size(),
        nick_.ms(0.5), nick_.ms(0.99), mam_.size(), mam_.ms(0.5), mam_.ms(0.99),
        (unsigned long long)mam_results_, (unsigned long long)presences_, double(lag_ns_) / 1e6,
        cpu, login_s_, warm_up_s_, warm_join_.ms(0.5), warm_join_.ms(0.99));
    std::fflush(stdout);
    return passed;
  }

  Options o_;
  int ep_;
  std::vector<Client> clients_;
  std::vector<Room> rooms_;
  std::vector<Membership> memberships_;
  std::vector<Action> schedule_;
  std::vector<Message> messages_;
  std::vector<std::int64_t> mam_sent_ns_;
  int bound_ = 0;
  int configuring_ = 0;
  int errors_ = 0;
  int errors_at_start_ = 0;
  std::size_t mam_answered_ = 0;  // results and errors, over the whole run
  bool measuring_ = false;
  std::uint64_t done_[5] = {}, skipped_[5] = {};
  std::uint64_t sent_ = 0, delivered_ = 0, arrived_expected_ = 0, unexpected_ = 0, duplicates_ = 0,
                history_ = 0, mam_results_ = 0, presences_ = 0;
  std::int64_t lag_ns_ = 0;
  Percentiles latency_, join_, nick_, mam_, warm_join_;
  double login_s_ = 0, warm_up_s_ = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--port") {
      o.port = std::stoi(value());
    } else if (a == "--domain") {
      o.domain = value();
    } else if (a == "--muc") {
      o.muc = value();
    } else if (a == "--users") {
      o.users = load_client::parse_users(value());
    } else if (a == "--rooms") {
      o.rooms = std::stoi(value());
    } else if (a == "--clients") {
      o.clients = std::stoi(value());
    } else if (a == "--largest") {
      o.largest = std::stoi(value());
    } else if (a == "--seconds") {
      o.seconds = std::stod(value());
    } else if (a == "--rate") {
      o.rate = std::stod(value());
    } else if (a == "--seed") {
      o.seed = std::stoull(value());
    } else if (a == "--mix") {
      const std::string v = value();
      int n = std::sscanf(v.c_str(), "%d,%d,%d,%d,%d", &o.mix[0], &o.mix[1], &o.mix[2], &o.mix[3],
                          &o.mix[4]);
      if (n != 5) throw std::runtime_error("--mix wants message,join,leave,nick,mam weights");
    } else if (a == "--present") {
      o.present = std::stod(value());
    } else if (a == "--mam-max") {
      o.mam_max = std::stoi(value());
    } else if (a == "--warm-messages") {
      o.warm_messages = std::stoi(value());
    } else if (a == "--join-parallel") {
      o.join_parallel = std::stoi(value());
    } else if (a == "--steps") {
      o.steps = std::stoi(value());
    } else if (a == "--step-factor") {
      o.step_factor = std::stod(value());
    } else if (a == "--step-seconds") {
      o.step_seconds = std::stod(value());
    } else if (a == "--step-p99-ms") {
      o.step_p99_ms = std::stod(value());
    } else {
      throw std::runtime_error("unknown option " + a);
    }
  }
  if (o.port == 0 || o.domain.empty() || o.muc.empty() || o.users.empty())
    throw std::runtime_error("--port, --domain, --muc and --users are required");
  if (o.rooms < 1 || o.clients < 2 || o.largest < 2 || o.rate <= 0 || o.seconds <= 0 ||
      o.join_parallel < 1)
    throw std::runtime_error(
        "--rooms, --largest, --rate, --seconds must be positive, "
        "--clients at least 2");
  if (o.steps < 0 || o.step_factor <= 1 || o.step_seconds <= 0 || o.step_p99_ms <= 0)
    throw std::runtime_error(
        "--steps must not be negative, --step-factor must be above 1, --step-seconds and "
        "--step-p99-ms positive");
  for (int w : o.mix)
    if (w < 0) throw std::runtime_error("--mix weights must not be negative");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    CampusDay day(parse(argc, argv));
    day.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "campus_day_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
