// Linked rooms' memberships (muc::LinkDirectory) loaded from a real directory in PostgreSQL:
// how long the load takes, how much memory it holds, and how fast the engine answers "is
// this user a member of a linked institution or group" - against the obvious structure (a
// hash map of link -> hash set of JID strings) built from the same rows.
//
//   link_directory_bench POSTGRES_URI [RUNS]     (bench/link_directory_bench.sh sets it up)
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <pqxx/pqxx>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "muc/link_directory.hpp"
#include "store/link_directory_loader.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using commonroom::muc::LinkDirectory;

// Bytes the allocator has handed out and not had back: what a structure really costs.
std::size_t heap_in_use() {
  return mallinfo2().uordblks + mallinfo2().hblkhd;
}

// A line of /proc/self/status ("VmHWM", "VmRSS") in KiB.
long status_kib(const char* key) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  long value = 0;
  std::size_t n = std::strlen(key);
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, key, n) == 0 && line[n] == ':') value = std::atol(line + n + 1);
  }
  std::fclose(f);
  return value;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double mib(std::size_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

using Naive = std::unordered_map<std::string, std::unordered_set<std::string>>;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s POSTGRES_URI [RUNS]\n", argv[0]);
    return 2;
  }
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  pqxx::connection conn(argv[1]);

  const long rss_before = status_kib("VmRSS");
  std::vector<double> read_ms, build_ms, total_ms;
  std::size_t heap = 0, reported = 0;
  std::shared_ptr<const LinkDirectory> d;
  for (int i = 0; i < runs; ++i) {
    d.reset();
    malloc_trim(0);
    std::size_t before = heap_in_use();
    auto t0 = Clock::now();
    auto loaded = commonroom::store::load_link_directory(conn);
    auto t1 = Clock::now();
    d = loaded.directory;
    heap = heap_in_use() - before;
    reported = d->memory_bytes();
    read_ms.push_back(static_cast<double>(loaded.read_time.count()));
    build_ms.push_back(static_cast<double>(loaded.build_time.count()));
    total_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::printf("linked memberships: %zu institutions and groups, %zu memberships of %zu people\n",
              d->link_count(), d->memberships(), d->people());
  std::printf("load (median of %d): %.0f ms = read %.0f ms + build %.0f ms\n", runs,
              median(total_ms), median(read_ms), median(build_ms));
  std::printf(
      "held in memory: %.1f MiB (allocator), %.1f MiB (memory_bytes), %.1f bytes per "
      "membership\n",
      mib(heap), mib(reported),
      static_cast<double>(heap) / static_cast<double>(std::max<std::size_t>(1, d->memberships())));

  const long rss_after = status_kib("VmRSS");
  malloc_trim(0);  // as app/link_watcher.cpp does after each load
  std::printf(
      "process RSS: %.1f MiB before the loads, peak %.1f MiB while loading, %.1f MiB "
      "after (%.1f MiB once the transient result set and sort buffers are trimmed)\n",
      rss_before / 1024.0, status_kib("VmHWM") / 1024.0, rss_after / 1024.0,
      status_kib("VmRSS") / 1024.0);

  // The same rows into the obvious structure, for comparison.
  pqxx::result rows;
  {
    pqxx::read_transaction tx(conn);
    rows = tx.exec(
        "SELECT 'inst:' || inst, p.jid FROM directory_people p, unnest(p.institutions) inst "
        "UNION ALL SELECT 'group:' || m.group_id, p.jid FROM directory_group_members m "
        "JOIN directory_people p ON p.uid = m.uid");
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& r : rows) pairs.emplace_back(r[0].c_str(), r[1].c_str());
  rows.clear();
  malloc_trim(0);
  std::size_t before = heap_in_use();
  auto n0 = Clock::now();
  Naive naive;
  for (const auto& [link, jid] : pairs) naive[link].insert(jid);
  auto n1 = Clock::now();
  std::size_t naive_heap = heap_in_use() - before;
  std::printf("hash map of hash sets of the same memberships: %.1f MiB, built in %.0f ms\n",
              mib(naive_heap), std::chrono::duration<double, std::milli>(n1 - n0).count());
  std::printf(
      "memory ratio: %.2fx smaller\n",
      static_cast<double>(naive_heap) / static_cast<double>(std::max<std::size_t>(1, heap)));

  // Lookups as Engine::affiliation makes them: a user (member or not) against a room's links.
  std::vector<std::string> users;
  std::vector<std::vector<std::string>> room_links;
  for (std::size_t i = 0; i < pairs.size(); i += std::max<std::size_t>(1, pairs.size() / 2000)) {
    users.push_back(pairs[i].second);
    users.push_back("stranger" + std::to_string(i) + "@example.org");
    // The member's own link (a hit) and another one, as a room linked to two would.
    room_links.push_back({pairs[(i * 7919) % pairs.size()].first, pairs[i].first});
  }
  constexpr int kRepeat = 200;
  std::size_t hits = 0, lookups = 0;
  auto l0 = Clock::now();
  for (int r = 0; r < kRepeat; ++r) {
    for (std::size_t i = 0; i < users.size(); ++i) {
      hits += d->member_of_any(room_links[(i / 2) % room_links.size()], users[i]);
      ++lookups;
    }
  }
  auto l1 = Clock::now();
  std::size_t naive_hits = 0;
  auto m0 = Clock::now();
  for (int r = 0; r < kRepeat; ++r) {
    for (std::size_t i = 0; i < users.size(); ++i) {
      for (const auto& link : room_links[(i / 2) % room_links.size()]) {
        auto it = naive.find(link);
        if (it != naive.end() && it->second.count(users[i])) {
          ++naive_hits;
          break;
        }
      }
    }
  }
  auto m1 = Clock::now();
  double ns = std::chrono::duration<double, std::nano>(l1 - l0).count() / lookups;
  double naive_ns = std::chrono::duration<double, std::nano>(m1 - m0).count() / lookups;
  std::printf("membership check: %.0f ns (hash sets: %.0f ns; ratio %.2f; %zu of %zu hits, %s)\n",
              ns, naive_ns, ns / naive_ns, hits, lookups,
              hits == naive_hits ? "same answers" : "ANSWERS DIFFER");
  return hits == naive_hits ? 0 : 1;
}
