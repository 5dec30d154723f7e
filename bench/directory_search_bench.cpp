// Directory search latency inside the service: builds the people index from a Lookup-like
// directory (generated: 100,000 and 200,000 people by default; or an LDIF file from
// scripts/gen-lookup-ldif, the same people slapd serves to the peer), runs a fixed query
// set (two-letter substrings included) and prints p50/p99 per query and overall, at two
// levels: the index (fold + search + first page) and the whole service (SearchService::
// handle on a parsed XEP-0055 form search, plus serializing the reply). Memory and build
// time too, against the 1 ms p99 target.
//
//   directory_search_bench [--people N]... [--ldif FILE]... [--rounds R]
//                          [--peer-ldap URI --peer-base BASE] [--json FILE]
//   directory_search_bench --people N --write-ldif FILE   (generated people as LDIF)
//
// With --peer-ldap, each query ejabberd's search can express is also sent to that LDAP
// server the way ejabberd 23.01's mod_vcard (db_type ldap) sends it: filter
// (&(uid=*)(<attr>=*<value>*)...), size limit 50 (its "matches"), the reported
// attributes; over one open connection, so this is the LDAP part of the peer's time
// alone (ejabberd adds its own work and a user check per result). Printed beside the
// service's time, with the ratio. --json writes the summary figures of each directory (one
// JSON object per line) for scripts that take medians over runs.
#include <ldap.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/directory_people_gen.hpp"
#include "bench/ldif_reader.hpp"
#include "directory/ldap_mapping.hpp"
#include "directory/people_index.hpp"
#include "directory/search_service.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"

using namespace commonroom;
using directory::SearchField;
using Clock = std::chrono::steady_clock;

namespace {

struct BenchQuery {
  const char* label;
  std::vector<directory::SearchTerm> terms;
  std::string institution;
  std::optional<directory::Affiliation> affiliation;
};

// The fixed query set. Two-letter substrings are the case trigram indexes cannot serve;
// the rest is what people type: surnames, given names, prefixes, accents, CRSids, two
// words, filters, and a miss.
std::vector<BenchQuery> query_set() {
  using F = SearchField;
  return {
      {"2 letters 'an'", {{F::name, "an"}}, {}, {}},
      {"2 letters 'ar'", {{F::name, "ar"}}, {}, {}},
      {"2 letters 'zh'", {{F::name, "zh"}}, {}, {}},
      {"2 letters 'ow'", {{F::name, "ow"}}, {}, {}},
      {"2 letters 'qu'", {{F::name, "qu"}}, {}, {}},
      {"3 letters 'ann'", {{F::name, "ann"}}, {}, {}},
      {"3 letters 'son'", {{F::name, "son"}}, {}, {}},
      {"prefix 'bro'", {{F::name, "bro"}}, {}, {}},
      {"surname 'smith'", {{F::name, "smith"}}, {}, {}},
      {"surname 'garcia' (no accent)", {{F::name, "garcia"}}, {}, {}},
      {"given 'jose' (no accent)", {{F::name, "jose"}}, {}, {}},
      {"accented 'Søren'", {{F::name, "Søren"}}, {}, {}},
      {"substring 'ezi' (long tail)", {{F::name, "ezi"}}, {}, {}},
      {"two words 'alice brown'", {{F::name, "alice brown"}}, {}, {}},
      {"two words reversed 'brown alice'", {{F::name, "brown alice"}}, {}, {}},
      {"two 2-letter words 'an ar'", {{F::name, "an ar"}}, {}, {}},
      {"initial + surname 'j smith'", {{F::name, "j smith"}}, {}, {}},
      {"first 'emma' last 'wilson'", {{F::first, "emma"}, {F::last, "wilson"}}, {}, {}},
      {"last 'an'", {{F::last, "an"}}, {}, {}},
      {"crsid prefix 'ab1'", {{F::crsid, "ab1"}}, {}, {}},
      {"crsid 2 digits '12'", {{F::crsid, "12"}}, {}, {}},
      {"email 'cam.ac'", {{F::email, "cam.ac"}}, {}, {}},
      {"email 'alice.brown'", {{F::email, "alice.brown"}}, {}, {}},
      {"'an' + staff", {{F::name, "an"}}, {}, directory::Affiliation::staff},
      {"'an' + TRIN", {{F::name, "an"}}, "TRIN", {}},
      {"'smith' + CST + student", {{F::name, "smith"}}, "CST", directory::Affiliation::student},
      {"miss 'qqxz'", {{F::name, "qqxz"}}, {}, {}},
      {"long word 'richardson'", {{F::name, "richardson"}}, {}, {}},
  };
}

// CPU time of this thread: what a search costs without the time the scheduler gave other
// processes (this machine is shared, so wall-clock p99 also measures the neighbours).
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct RunResult {
  double p50 = 0, p99 = 0, max = 0;
};

// ejabberd's view of a query: LDAP attribute per commonroom field (its default search
// fields; %u is the uid).
const char* peer_attribute(SearchField f) {
  switch (f) {
    case SearchField::name:
      return "displayName";
    case SearchField::first:
      return "givenName";
    case SearchField::last:
      return "sn";
    case SearchField::crsid:
      return "uid";
    case SearchField::email:
      return "mail";
  }
  return "cn";
}

class PeerLdap {
 public:
  PeerLdap(const std::string& uri, std::string base) : base_(std::move(base)) {
    if (ldap_initialize(&ld_, uri.c_str()) != LDAP_SUCCESS) throw std::runtime_error(uri);
    int version = LDAP_VERSION3;
    ldap_set_option(ld_, LDAP_OPT_PROTOCOL_VERSION, &version);
    berval anonymous{0, nullptr};
    if (ldap_sasl_bind_s(ld_, "", LDAP_SASL_SIMPLE, &anonymous, nullptr, nullptr, nullptr) !=
        LDAP_SUCCESS)
      throw std::runtime_error("cannot bind to " + uri);
  }
  ~PeerLdap() { ldap_unbind_ext_s(ld_, nullptr, nullptr); }
  // Entries returned (at most 50), or -1 on an error.
  int search(const std::string& filter) {
    static const char* attrs[] = {"displayName", "givenName", "sn", "mail", "uid", nullptr};
    LDAPMessage* res = nullptr;
    int rc = ldap_search_ext_s(ld_, base_.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(),
                               const_cast<char**>(attrs), 0, nullptr, nullptr, nullptr, 50, &res);
    int n =
        (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) ? ldap_count_entries(ld_, res) : -1;
    if (res) ldap_msgfree(res);
    return n;
  }

 private:
  LDAP* ld_ = nullptr;
  std::string base_;
};

std::string peer_filter(const BenchQuery& q) {
  std::string f = "(&(uid=*)";
  for (const auto& t : q.terms) {
    // RFC 4515: escape the special characters of the value.
    std::string v;
    for (char c : t.text) {
      if (c == '*' || c == '(' || c == ')' || c == '\\' || c == 0) {
        char buf[4];
        std::snprintf(buf, sizeof buf, "\\%02x", static_cast<unsigned char>(c));
        v += buf;
      } else {
        v += c;
      }
    }
    f += std::string("(") + peer_attribute(t.field) + "=*" + v + "*)";
  }
  return f + ")";
}

struct PeerOptions {
  std::string uri, base;
  std::FILE* json = nullptr;  // summary lines, when asked for
};

struct Directory {
  std::string name;
  std::vector<directory::Person> people;
  std::vector<directory::Institution> institutions;
};

Directory load_ldif(const std::string& path) {
  Directory d;
  d.name = path;
  directory::AttributeMap map;
  bench::read_ldif(path, [&](const directory::LdapEntry& e) {
    if (e.dn.find(",ou=people,") != std::string::npos) {
      auto r = directory::person_from_entry(e, map, "{uid}@cam.example");
      if (r.person) d.people.push_back(std::move(*r.person));
    } else if (e.dn.find(",ou=insts,") != std::string::npos) {
      if (auto i = directory::institution_from_entry(e, map)) d.institutions.push_back(*i);
    }
  });
  return d;
}

// The form search a client sends for `q` (form fields, as commonroom's form names them).
std::string form_stanza(const BenchQuery& q) {
  static const char* vars[] = {"name", "first", "last", "crsid", "email"};
  std::string fields;
  auto field = [&](std::string_view var, std::string_view value) {
    fields += "<field var='";
    fields += var;
    fields += "'><value>";
    xmpp::append_escaped_text(fields, value);
    fields += "</value></field>";
  };
  for (const auto& t : q.terms) field(vars[static_cast<int>(t.field)], t.text);
  if (!q.institution.empty()) field("institution", q.institution);
  if (q.affiliation) field("affiliation", directory::to_string(*q.affiliation));
  return "<iq type='set' from='bench@cam.example/b' to='directory.cam.example' id='s1'>"
         "<query xmlns='jabber:iq:search'><x xmlns='jabber:x:data' type='submit'>"
         "<field var='FORM_TYPE' type='hidden'><value>jabber:iq:search</value></field>" +
         fields + "</x></query></iq>";
}

int run(Directory dir, int rounds, const PeerOptions& peer) {
  const std::size_t n = dir.people.size();
  auto t1 = Clock::now();
  auto index = directory::PeopleIndex::build(dir.people, dir.institutions);
  auto t2 = Clock::now();
  dir.people.clear();
  dir.people.shrink_to_fit();

  std::printf("\n== %s: %zu people (index built in %.2f s; index memory %.1f MiB)\n",
              dir.name.c_str(), index->size(), std::chrono::duration<double>(t2 - t1).count(),
              static_cast<double>(index->memory_bytes()) / (1024.0 * 1024.0));
  std::printf("%-36s %8s | %9s %9s | %11s %9s %9s | %9s\n", "query", "matches", "index p50",
              "p99 us", "service p50", "p99 us", "max us", "cpu p99");

  directory::PeopleIndexHolder holder;
  holder.publish(index);
  directory::SearchServiceConfig cfg{"directory.cam.example", "bench", {}};
  cfg.search.rate_limit = 0;
  cfg.search.allowed_domains = {"cam.example"};
  directory::SearchService service(cfg, holder);
  std::unique_ptr<PeerLdap> ldap;
  if (!peer.uri.empty()) ldap = std::make_unique<PeerLdap>(peer.uri, peer.base);
  struct PeerRow {
    std::string label;
    int entries;
    double mine50, mine99, peer50, peer99;
  };
  std::vector<PeerRow> peer_rows;
  std::vector<double> all_peer, all_mine_peerable;
  std::vector<double> all_service, all_cpu;
  double worst_cpu_p99 = 0;
  double worst_service_p99 = 0;
  std::string worst_service;
  directory::QueryLimits limits;
  std::vector<double> all;
  double worst_p99 = 0;
  std::string worst;
  for (const auto& q : query_set()) {
    std::vector<double> samples;
    std::size_t matches = 0;
    for (int r = 0; r < rounds; ++r) {
      // What the service does per request: fold and check the query, then run it and take
      // the first page of 50 with its count.
      auto s = Clock::now();
      auto check = directory::compile_query({q.terms, q.institution, q.affiliation}, limits);
      directory::SearchPage page;
      if (check.query) page = index->search(*check.query, directory::PageRequest{50, {}, {}, {}});
      std::size_t touched = 0;
      for (uint32_t id : page.ids) touched += index->person(id).jid.size();
      auto e = Clock::now();
      if (touched == 0 && !page.ids.empty()) std::abort();
      samples.push_back(std::chrono::duration<double, std::micro>(e - s).count());
      matches = page.count;
    }
    // The whole service: handle() on the parsed stanza (as the engine thread gets it),
    // serializing the reply and freeing it (as the engine thread does around the write).
    xmpp::Element stanza = xmpp::parse_element(form_stanza(q));
    std::vector<double> service_samples, cpu_samples;
    std::size_t bytes = 0;
    for (int r = 0; r < rounds; ++r) {
      double c0 = thread_cpu_us();
      auto s = Clock::now();
      {
        // What the engine thread does per search: handle, serialize, free the reply.
        auto fx = service.handle(stanza, std::chrono::system_clock::time_point{});
        bytes = xmpp::to_string(fx.outbound.at(0)).size();
      }
      auto e = Clock::now();
      cpu_samples.push_back(thread_cpu_us() - c0);
      service_samples.push_back(std::chrono::duration<double, std::micro>(e - s).count());
    }
    double p50 = percentile(samples, 0.5), p99 = percentile(samples, 0.99);
    double sp50 = percentile(service_samples, 0.5), sp99 = percentile(service_samples, 0.99);
    double mx = *std::max_element(service_samples.begin(), service_samples.end());
    double cp99 = percentile(cpu_samples, 0.99);
    std::printf("%-36s %8zu | %9.1f %9.1f | %11.1f %9.1f %9.1f | %9.1f  (%zu B)\n", q.label,
                matches, p50, p99, sp50, sp99, mx, cp99, bytes);
    if (cp99 > worst_cpu_p99) worst_cpu_p99 = cp99;
    // Only what ejabberd's search can ask: one word per field, no filters (it has no
    // "words in any order", no initials, no institution or affiliation).
    bool peerable = ldap && q.institution.empty() && !q.affiliation;
    for (const auto& t : q.terms) peerable = peerable && t.text.find(' ') == std::string::npos;
    if (peerable) {
      std::string filter = peer_filter(q);
      std::vector<double> peer_samples;
      int entries = 0;
      for (int r = 0; r < std::max(10, rounds / 4); ++r) {
        auto s = Clock::now();
        entries = ldap->search(filter);
        peer_samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s).count());
      }
      peer_rows.push_back({q.label, entries, sp50, sp99, percentile(peer_samples, 0.5),
                           percentile(peer_samples, 0.99)});
      all_peer.insert(all_peer.end(), peer_samples.begin(), peer_samples.end());
      all_mine_peerable.insert(all_mine_peerable.end(), service_samples.begin(),
                               service_samples.end());
    }
    all_cpu.insert(all_cpu.end(), cpu_samples.begin(), cpu_samples.end());
    if (p99 > worst_p99) {
      worst_p99 = p99;
      worst = q.label;
    }
    if (sp99 > worst_service_p99) {
      worst_service_p99 = sp99;
      worst_service = q.label;
    }
    all.insert(all.end(), samples.begin(), samples.end());
    all_service.insert(all_service.end(), service_samples.begin(), service_samples.end());
  }
  double p50 = percentile(all, 0.5), p99 = percentile(all, 0.99);
  double sp50 = percentile(all_service, 0.5), sp99 = percentile(all_service, 0.99);
  std::printf("INDEX   %zu people: p50 %.1f us, p99 %.1f us; worst query p99 %.1f us (%s)\n", n,
              p50, p99, worst_p99, worst.c_str());
  std::printf(
      "SERVICE %zu people: p50 %.1f us, p99 %.1f us; worst query p99 %.1f us (%s); "
      "target p99 < 1000 us: %s\n",
      n, sp50, sp99, worst_service_p99, worst_service.c_str(),
      worst_service_p99 < 1000 ? "met for every query" : "MISSED");
  std::printf(
      "SERVICE CPU %zu people: p99 %.1f us; worst query cpu p99 %.1f us (thread CPU "
      "time: the same work without scheduler waits)\n",
      n, percentile(all_cpu, 0.99), worst_cpu_p99);
  if (ldap) {
    std::printf(
        "\n-- peer: the LDAP search ejabberd's mod_vcard sends for the same query "
        "(size limit 50), vs the whole commonroom service\n");
    std::printf("%-36s %7s | %11s %9s | %11s %9s | %9s %7s\n", "query", "entries", "service p50",
                "p99 us", "LDAP p50", "p99 us", "ratio p50", "p99");
    for (const auto& r : peer_rows)
      std::printf("%-36s %7d | %11.1f %9.1f | %11.1f %9.1f | %8.1fx %6.1fx\n", r.label.c_str(),
                  r.entries, r.mine50, r.mine99, r.peer50, r.peer99, r.peer50 / r.mine50,
                  r.peer99 / r.mine99);
    double m50 = percentile(all_mine_peerable, 0.5), m99 = percentile(all_mine_peerable, 0.99);
    double p50 = percentile(all_peer, 0.5), p99 = percentile(all_peer, 0.99);
    std::printf(
        "PEER %zu people: commonroom service p50 %.1f us p99 %.1f us; LDAP (ejabberd's "
        "query) p50 %.1f us p99 %.1f us; ratio p50 %.1fx, p99 %.1fx\n",
        n, m50, m99, p50, p99, p50 / m50, p99 / m99);
  }
  if (peer.json) {
    std::fprintf(peer.json,
                 "{\"people\": %zu, \"index_p50_us\": %.2f, \"index_p99_us\": %.2f, "
                 "\"service_p50_us\": %.2f, \"service_p99_us\": %.2f, "
                 "\"service_cpu_p99_us\": %.2f, \"worst_service_cpu_p99_us\": %.2f",
                 n, p50, p99, sp50, sp99, percentile(all_cpu, 0.99), worst_cpu_p99);
    if (ldap)
      std::fprintf(peer.json,
                   ", \"peer_service_p50_us\": %.2f, \"peer_service_p99_us\": %.2f, "
                   "\"peer_ldap_p50_us\": %.2f, \"peer_ldap_p99_us\": %.2f",
                   percentile(all_mine_peerable, 0.5), percentile(all_mine_peerable, 0.99),
                   percentile(all_peer, 0.5), percentile(all_peer, 0.99));
    std::fprintf(peer.json, "}\n");
    std::fflush(peer.json);
  }
  return worst_service_p99 < 1000 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes;
  std::vector<std::string> ldifs;
  int rounds = 200;
  PeerOptions peer;
  const char* write_ldif = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--people") && i + 1 < argc) {
      sizes.push_back(std::strtoul(argv[++i], nullptr, 10));
    } else if (!std::strcmp(argv[i], "--ldif") && i + 1 < argc) {
      ldifs.emplace_back(argv[++i]);
    } else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--peer-ldap") && i + 1 < argc) {
      peer.uri = argv[++i];
    } else if (!std::strcmp(argv[i], "--peer-base") && i + 1 < argc) {
      peer.base = argv[++i];
    } else if (!std::strcmp(argv[i], "--json") && i + 1 < argc) {
      peer.json = std::fopen(argv[++i], "a");
      if (!peer.json) {
        std::perror(argv[i]);
        return 2;
      }
    } else if (!std::strcmp(argv[i], "--write-ldif") && i + 1 < argc) {
      write_ldif = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--people N]... [--ldif FILE]... [--rounds R]\n"
                   "          [--peer-ldap URI --peer-base BASE] [--json FILE]\n"
                   "       %s --people N --write-ldif FILE\n",
                   argv[0], argv[0]);
      return 2;
    }
  }
  if (sizes.empty() && ldifs.empty()) sizes = {100000, 200000};
  if (write_ldif) {
    std::FILE* f = std::fopen(write_ldif, "w");
    if (!f || sizes.empty()) {
      std::perror(write_ldif);
      return 1;
    }
    bench::write_ldif(f, bench::generate_people(sizes.front()), bench::generated_institutions());
    return std::fclose(f) == 0 ? 0 : 1;
  }
  int rc = 0;
  for (std::size_t n : sizes) {
    rc |= run({"generated", bench::generate_people(n), bench::generated_institutions()}, rounds,
              peer);
  }
  for (const auto& path : ldifs) {
    auto t0 = Clock::now();
    Directory d = load_ldif(path);
    std::printf("\n(read %zu people from %s in %.2f s)", d.people.size(), path.c_str(),
                std::chrono::duration<double>(Clock::now() - t0).count());
    rc |= run(std::move(d), rounds, peer);
  }
  if (peer.json) std::fclose(peer.json);
  return rc;
}
