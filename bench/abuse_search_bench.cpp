// Abuse staff's searches against a big abuse log: p50/p95/max of the store's own calls
// (store/log_search, store/log_context, store/evidence_bundle) with the plans PostgreSQL used.
//
//   abuse_search_bench --database URI [--queries N] [--seed S]
//       URI points at a migrated database filled by bench/abuse_log_gen.py;
//       bench/abuse_search_bench.sh does all of it on a throwaway cluster.
//
// Queries are drawn the way complaints arrive: from sampled events (so busy rooms and
// active users come up as often as they talk), each over the month around the sample:
//   words   one room, a word taken from the sampled message, 30 days, first page of 50
//   user    the sampled message's sender across all rooms, 30 days, first page of 50
//   context the sampled event with 10 events before and 10 after
//   archive the room's XEP-0313 archive (store/room_archive) as a client reads it: the
//           newest page of 50 (what a client asks for on joining), then the 50 after the
//           sampled message (scrolling on from a message it has)
// then one evidence export of the newest 10,000 messages of the busiest room.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/evidence_bundle.hpp"
#include "store/log_context.hpp"
#include "store/log_search.hpp"
#include "store/room_archive.hpp"

using namespace commonroom;
using Clock = std::chrono::steady_clock;

namespace {

struct Sample {
  std::string event_id, room, actor, body, from, to, stanza_id;
};

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// A word a complainant would quote: four bytes or more, letters only.
std::string pick_word(const std::string& body, std::mt19937& rng) {
  std::vector<std::string> words;
  std::istringstream in(body);
  for (std::string w; in >> w;) {
    while (!w.empty() && std::ispunct(static_cast<unsigned char>(w.back()))) w.pop_back();
    if (w.size() >= 4 && std::none_of(w.begin(), w.end(), [](char c) {
          return std::ispunct(static_cast<unsigned char>(c)) != 0;
        }))
      words.push_back(w);
  }
  if (words.empty()) return "";
  return words[std::uniform_int_distribution<size_t>(0, words.size() - 1)(rng)];
}

struct Series {
  std::string name;
  std::vector<double> ms;
  std::vector<size_t> results;
  std::vector<store::LogQuery> queries;
};

void report(const Series& s) {
  size_t total = 0;
  for (auto r : s.results) total += r;
  std::printf("  %-8s n=%zu  p50 %7.2f ms  p95 %7.2f ms  max %7.2f ms  (%.1f results/query)\n",
              s.name.c_str(), s.ms.size(), pct(s.ms, 0.5), pct(s.ms, 0.95), pct(s.ms, 1.0),
              static_cast<double>(total) / static_cast<double>(s.ms.size()));
}

// The plan of the query at the given percentile of the series' times.
void explain(pqxx::connection& c, const Series& s, double p) {
  std::vector<size_t> idx(s.ms.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return s.ms[a] < s.ms[b]; });
  const size_t i =
      idx[std::min(idx.size() - 1, static_cast<size_t>(p * static_cast<double>(idx.size())))];
  pqxx::read_transaction tx(c);
  std::printf("\nplan of a %s query at p%.0f (%.2f ms; query %s):\n%s", s.name.c_str(), p * 100,
              s.ms[i], store::query_json(s.queries[i]).c_str(),
              store::explain_search_log(tx, s.queries[i], "", 50).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string uri;
  int queries = 200;
  unsigned seed = 7;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--database" && i + 1 < argc)
      uri = argv[++i];
    else if (a == "--queries" && i + 1 < argc)
      queries = std::atoi(argv[++i]);
    else if (a == "--seed" && i + 1 < argc)
      seed = static_cast<unsigned>(std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: abuse_search_bench --database URI [--queries N] [--seed S]\n");
      return 2;
    }
  }
  if (uri.empty()) {
    std::fprintf(stderr, "abuse_search_bench: --database is required\n");
    return 2;
  }
  pqxx::connection c(uri);
  std::mt19937 rng(seed);
  long long events = 0;
  std::vector<Sample> samples;
  {
    pqxx::work tx(c);
    tx.exec0("SET LOCAL TimeZone = 'UTC'");
    events = tx.exec1("SELECT count(*) FROM room_events")[0].as<long long>();
    tx.exec_params("SELECT setseed($1)", static_cast<double>(seed % 1000) / 1000.0);
    // Sampled uniformly over events: busy rooms and talkative users come up most.
    for (const auto& r : tx.exec_params(
             "SELECT event_id, room, actor_bare_jid, body,"
             " occurred_at - interval '15 days', occurred_at + interval '15 days',"
             " coalesce(stanza_id, '') FROM room_events TABLESAMPLE BERNOULLI (1) REPEATABLE ($1)"
             " WHERE kind = 'groupchat' AND body IS NOT NULL ORDER BY random() LIMIT $2",
             static_cast<int>(seed), queries))
      samples.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                         r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>(),
                         r[6].as<std::string>()});
    tx.commit();
  }
  std::printf("abuse log searches: %lld events, %zu sampled queries of each kind\n", events,
              samples.size());
  Series words{"words", {}, {}, {}}, user{"user", {}, {}, {}}, context{"context", {}, {}, {}};
  for (const auto& s : samples) {
    store::LogQuery q;
    q.rooms = {s.room};
    q.words = pick_word(s.body, rng);
    q.from = s.from;
    q.to = s.to;
    if (q.words.empty()) continue;
    q = store::prepared(q);
    auto t0 = Clock::now();
    pqxx::read_transaction tx(c);
    auto page = store::search_log(tx, q, "", 50);
    tx.commit();
    words.ms.push_back(ms_since(t0));
    words.results.push_back(page.events.size());
    words.queries.push_back(q);
  }
  for (const auto& s : samples) {
    store::LogQuery q;
    q.users = {s.actor};
    q.from = s.from;
    q.to = s.to;
    q = store::prepared(q);
    auto t0 = Clock::now();
    pqxx::read_transaction tx(c);
    auto page = store::search_log(tx, q, "", 50);
    tx.commit();
    user.ms.push_back(ms_since(t0));
    user.results.push_back(page.events.size());
    user.queries.push_back(q);
  }
  for (const auto& s : samples) {
    store::ContextRef ref;
    ref.event_id = s.event_id;
    auto t0 = Clock::now();
    pqxx::read_transaction tx(c);
    auto ctx = store::read_context(tx, ref, 10, 10);
    tx.commit();
    context.ms.push_back(ms_since(t0));
    context.results.push_back(ctx.events.size());
  }
  Series newest{"archive", {}, {}, {}}, after{"arch-after", {}, {}, {}};
  {
    store::Database db(uri);
    store::RoomArchive archive(db);
    for (const auto& s : samples) {
      muc::MamQuery q;
      q.room = s.room;
      q.rsm.max = 50;
      q.rsm.before = "";  // the newest page
      auto t0 = Clock::now();
      auto page = archive.query(q);
      newest.ms.push_back(ms_since(t0));
      newest.results.push_back(page ? page->items.size() : 0);
      if (s.stanza_id.empty()) continue;
      muc::MamQuery a;
      a.room = s.room;
      a.rsm.max = 50;
      a.rsm.after = s.stanza_id;
      t0 = Clock::now();
      page = archive.query(a);
      after.ms.push_back(ms_since(t0));
      after.results.push_back(page ? page->items.size() : 0);
    }
  }
  std::printf("store calls, each in its own transaction (wall clock from the client):\n");
  report(words);
  report(user);
  report(context);
  report(newest);
  if (!after.ms.empty()) report(after);

  // Export: the newest 10,000 messages of the busiest room.
  std::string room, from;
  {
    pqxx::work tx(c);
    tx.exec0("SET LOCAL TimeZone = 'UTC'");
    room = tx.exec1(
                 "SELECT room FROM room_events TABLESAMPLE SYSTEM (1) REPEATABLE (1)"
                 " GROUP BY room ORDER BY count(*) DESC LIMIT 1")[0]
               .as<std::string>();
    // Fewer than 10,000 messages in a small log: export them all.
    auto cut = tx.exec_params(
        "SELECT to_char(occurred_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM room_events"
        " WHERE room = $1 AND kind IN ('groupchat', 'private_message')"
        " ORDER BY occurred_at DESC, seq DESC OFFSET 9999 LIMIT 1",
        room);
    if (!cut.empty()) from = cut[0][0].as<std::string>();
    tx.commit();
  }
  store::LogQuery q;
  q.rooms = {room};
  q.from = from;
  auto t0 = Clock::now();
  auto r = store::audited_export(c, {"bench", "BENCH-1"}, q, 20000);
  {
    std::ofstream f("/dev/null", std::ios::binary);
    f.write(r.archive.data(), static_cast<std::streamsize>(r.archive.size()));
  }
  const double export_ms = ms_since(t0);
  t0 = Clock::now();
  auto check = store::verify_bundle(r.archive);
  const double verify_ms = ms_since(t0);
  std::printf(
      "  export   %lld messages of %s: %.0f ms, %.1f MB archive; verify %.0f ms (%zu files)\n",
      r.messages, room.c_str(), export_ms, static_cast<double>(r.archive.size()) / 1e6, verify_ms,
      check.files_checked);

  explain(c, words, 0.95);
  explain(c, words, 0.5);
  explain(c, user, 0.95);
  {
    pqxx::read_transaction tx(c);
    auto e = tx.exec_params1(
        "SELECT room, (extract(epoch FROM occurred_at) * 1000000)::bigint, seq"
        " FROM room_events WHERE event_id = $1",
        samples.front().event_id);
    std::printf("\nplan of one side of a context page:\n");
    for (const auto& row : tx.exec_params(
             "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM room_events e WHERE e.room = $1"
             " AND e.occurred_at <= ('epoch'::timestamptz + $2::bigint * interval '1 microsecond')"
             " AND (e.occurred_at, e.seq) < ('epoch'::timestamptz + $2::bigint * interval"
             " '1 microsecond', $3::bigint) ORDER BY e.occurred_at DESC, e.seq DESC LIMIT 10",
             e[0].as<std::string>(), e[1].as<long long>(), e[2].as<long long>()))
      std::printf("%s\n", row[0].c_str());
  }
  return 0;
}
