// A deterministic generator of Lookup-like people for the directory benchmarks, and the
// same people as LDIF so a peer (ejabberd's LDAP vCard search) can be loaded with them.
#pragma once
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "directory/person.hpp"

namespace commonroom::bench {

// splitmix64: the same sequence on every platform and standard library (std::
// distributions are not), so a run at 200,000 people is always the same directory.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  // Skewed towards small indexes, like name frequencies (a few names are very common).
  std::size_t skewed(std::size_t n) {
    double u = static_cast<double>(next() >> 11) / 9007199254740992.0;
    return static_cast<std::size_t>(static_cast<double>(n) * u * u * u) % n;
  }

 private:
  uint64_t s_;
};

inline const std::vector<std::string_view>& given_names() {
  static const std::vector<std::string_view> names = {
      "James",    "Oliver",    "Thomas",    "William",     "Jack",       "Harry",     "George",
      "Charlie",  "Daniel",    "Samuel",    "Joseph",      "Alexander",  "Benjamin",  "Edward",
      "Matthew",  "David",     "Michael",   "Christopher", "Andrew",     "Peter",     "Robert",
      "John",     "Richard",   "Henry",     "Lucas",       "Max",        "Olivia",    "Emily",
      "Sophie",   "Charlotte", "Jessica",   "Amelia",      "Grace",      "Hannah",    "Lucy",
      "Emma",     "Alice",     "Eleanor",   "Isabella",    "Katherine",  "Rebecca",   "Sarah",
      "Laura",    "Anna",      "Mary",      "Elizabeth",   "Rachel",     "Chloé",     "Zoë",
      "Siân",     "Niamh",     "Aoife",     "Seán",        "Eoin",       "José",      "María",
      "Lucía",    "Pablo",     "Álvaro",    "Inés",        "João",       "Luís",      "François",
      "Hélène",   "Amélie",    "Jérôme",    "Björn",       "Søren",      "Åsa",       "Jürgen",
      "Jörg",     "Günther",   "Łukasz",    "Wojciech",    "Małgorzata", "Agnieszka", "Tomáš",
      "Jiří",     "Dvořák",    "Ayşe",      "Çağla",       "Mehmet",     "Oğuz",      "Priya",
      "Ananya",   "Rahul",     "Arjun",     "Aditya",      "Deepika",    "Wei",       "Jing",
      "Li",       "Xiaoming",  "Yan",       "Hui",         "Hiroshi",    "Yuki",      "Haruto",
      "Min-jun",  "Ji-woo",    "Seo-yeon",  "Mohammed",    "Fatima",     "Aisha",     "Omar",
      "Yusuf",    "Zainab",    "Chidi",     "Ngozi",       "Kwame",      "Ama",       "Dmitri",
      "Olga",     "Natalia",   "Sergei",    "Ivan",        "Elena",      "Giulia",    "Francesca",
      "Giuseppe", "Matteo",    "Nikos",     "Eleni",       "Ana",        "Mateus",    "Freya",
      "Isla",     "Ava",       "Mia",       "Poppy",       "Ruby",       "Evie",      "Florence",
      "Imogen",   "Harriet",   "Beatrice",  "Ophelia",     "Rosalind",   "Tobias",    "Rupert",
      "Hugo",     "Felix",     "Sebastian", "Ciarán"};
  return names;
}

inline const std::vector<std::string_view>& common_surnames() {
  static const std::vector<std::string_view> names = {"Smith",
                                                      "Jones",
                                                      "Williams",
                                                      "Taylor",
                                                      "Brown",
                                                      "Davies",
                                                      "Evans",
                                                      "Wilson",
                                                      "Thomas",
                                                      "Johnson",
                                                      "Roberts",
                                                      "Robinson",
                                                      "Thompson",
                                                      "Wright",
                                                      "Walker",
                                                      "White",
                                                      "Edwards",
                                                      "Hughes",
                                                      "Green",
                                                      "Hall",
                                                      "Lewis",
                                                      "Harris",
                                                      "Clarke",
                                                      "Patel",
                                                      "Jackson",
                                                      "Wood",
                                                      "Turner",
                                                      "Martin",
                                                      "Cooper",
                                                      "Hill",
                                                      "Ward",
                                                      "Morris",
                                                      "Moore",
                                                      "Clark",
                                                      "Lee",
                                                      "King",
                                                      "Baker",
                                                      "Harrison",
                                                      "Morgan",
                                                      "Allen",
                                                      "James",
                                                      "Scott",
                                                      "Phillips",
                                                      "Watson",
                                                      "Davis",
                                                      "Parker",
                                                      "Price",
                                                      "Bennett",
                                                      "Young",
                                                      "Griffiths",
                                                      "Mitchell",
                                                      "Kelly",
                                                      "Cook",
                                                      "Carter",
                                                      "Richardson",
                                                      "Bailey",
                                                      "Collins",
                                                      "Bell",
                                                      "Shaw",
                                                      "Murphy",
                                                      "Miller",
                                                      "Cox",
                                                      "Richards",
                                                      "Khan",
                                                      "Marshall",
                                                      "Anderson",
                                                      "Simpson",
                                                      "Ellis",
                                                      "Adams",
                                                      "Singh",
                                                      "Begum",
                                                      "Wilkinson",
                                                      "Foster",
                                                      "Chapman",
                                                      "Powell",
                                                      "Webb",
                                                      "Rogers",
                                                      "Gray",
                                                      "Mason",
                                                      "Ali",
                                                      "Hunt",
                                                      "Hussain",
                                                      "Campbell",
                                                      "Matthews",
                                                      "Owen",
                                                      "Palmer",
                                                      "Holmes",
                                                      "Mills",
                                                      "Barnes",
                                                      "Knight",
                                                      "Lloyd",
                                                      "Butler",
                                                      "Russell",
                                                      "Barker",
                                                      "Fisher",
                                                      "Stevens",
                                                      "Jenkins",
                                                      "Murray",
                                                      "Dixon",
                                                      "Harvey",
                                                      "Wang",
                                                      "Li",
                                                      "Zhang",
                                                      "Liu",
                                                      "Chen",
                                                      "Yang",
                                                      "Huang",
                                                      "Zhao",
                                                      "Wu",
                                                      "Zhou",
                                                      "Kim",
                                                      "Park",
                                                      "Nguyễn",
                                                      "Trần",
                                                      "Tanaka",
                                                      "Suzuki",
                                                      "Sato",
                                                      "García",
                                                      "Fernández",
                                                      "González",
                                                      "Rodríguez",
                                                      "López",
                                                      "Martínez",
                                                      "Sánchez",
                                                      "Pérez",
                                                      "Müller",
                                                      "Schmidt",
                                                      "Schneider",
                                                      "Fischer",
                                                      "Weiß",
                                                      "Köhler",
                                                      "Nowak",
                                                      "Kowalski",
                                                      "Wiśniewski",
                                                      "Wójcik",
                                                      "Kowalczyk",
                                                      "Dąbrowski",
                                                      "Novák",
                                                      "Svoboda",
                                                      "Jensen",
                                                      "Nielsen",
                                                      "Hansen",
                                                      "Sørensen",
                                                      "Johansson",
                                                      "Öberg",
                                                      "Andersson",
                                                      "Rossi",
                                                      "Russo",
                                                      "Ferrari",
                                                      "Esposito",
                                                      "Bianchi",
                                                      "Romano",
                                                      "Papadopoulos",
                                                      "Yılmaz",
                                                      "Kaya",
                                                      "Demir",
                                                      "Şahin",
                                                      "Çelik",
                                                      "O'Brien",
                                                      "O'Connor",
                                                      "Ó Súilleabháin",
                                                      "MacDonald",
                                                      "McLeod",
                                                      "Fitzgerald",
                                                      "Saint-Andre",
                                                      "de la Cruz",
                                                      "van der Berg",
                                                      "von Neumann",
                                                      "Ivanov",
                                                      "Smirnov",
                                                      "Kuznetsov",
                                                      "Popov",
                                                      "Okafor",
                                                      "Mensah",
                                                      "Adeyemi",
                                                      "Sharma",
                                                      "Gupta",
                                                      "Kumar",
                                                      "Reddy",
                                                      "Iyer",
                                                      "Chatterjee",
                                                      "Mukherjee",
                                                      "Banerjee",
                                                      "Rahman",
                                                      "Ahmed"};
  return names;
}

// Syllables for the long tail of rarer surnames: a real university has tens of thousands
// of distinct surnames, which is what makes the dictionary (and substring search) big.
inline std::string tail_surname(Rng& rng) {
  static constexpr std::array<std::string_view, 48> syl = {
      "ab",  "al", "an",  "ar",  "ba",  "be",  "bor", "ca",  "chen", "da",  "del", "den",
      "dor", "el", "en",  "er",  "fa",  "fer", "ga",  "gan", "ha",   "hol", "in",  "ka",
      "kin", "la", "lan", "ley", "ma",  "mar", "mon", "na",  "nel",  "ni",  "o",   "ra",
      "ran", "ri", "ro",  "sa",  "sen", "son", "ta",  "ter", "ton",  "va",  "wen", "zi"};
  std::string s;
  std::size_t n = 2 + rng.below(3);
  for (std::size_t i = 0; i < n; ++i) s += syl[rng.below(syl.size())];
  s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

struct GeneratedInstitution {
  const char* id;
  const char* name;
};
inline const std::vector<directory::Institution>& generated_institutions() {
  static const std::vector<directory::Institution> insts = [] {
    static const GeneratedInstitution raw[] = {
        {"TRIN", "Trinity College"},
        {"KINGS", "King's College"},
        {"CAIUS", "Gonville and Caius College"},
        {"CHU", "Churchill College"},
        {"CHRISTS", "Christ's College"},
        {"NEWN", "Newnham College"},
        {"GIRTON", "Girton College"},
        {"JESUS", "Jesus College"},
        {"QUEENS", "Queens' College"},
        {"STJOHNS", "St John's College"},
        {"EMM", "Emmanuel College"},
        {"PEMB", "Pembroke College"},
        {"CLARE", "Clare College"},
        {"ROBIN", "Robinson College"},
        {"DOWN", "Downing College"},
        {"SEL", "Selwyn College"},
        {"HUGHES", "Hughes Hall"},
        {"WOLFC", "Wolfson College"},
        {"DARWIN", "Darwin College"},
        {"CST", "Department of Computer Science and Technology"},
        {"ENG", "Department of Engineering"},
        {"PHYS", "Department of Physics"},
        {"CHEM", "Yusuf Hamied Department of Chemistry"},
        {"DAMTP", "Department of Applied Mathematics and Theoretical Physics"},
        {"DPMMS", "Department of Pure Mathematics and Mathematical Statistics"},
        {"HIST", "Faculty of History"},
        {"LAW", "Faculty of Law"},
        {"MMLL", "Faculty of Modern and Medieval Languages and Linguistics"},
        {"UIS", "University Information Services"},
        {"UL", "University Library"},
        {"MED", "School of Clinical Medicine"},
        {"JBS", "Judge Business School"}};
    std::vector<directory::Institution> out;
    for (const auto& r : raw) out.push_back({r.id, r.name});
    return out;
  }();
  return insts;
}

inline std::string ascii_lower(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 'A' && u <= 'Z')
      out.push_back(static_cast<char>(u - 'A' + 'a'));
    else if ((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9'))
      out.push_back(c);
  }
  return out;
}

// `count` people, always the same for the same count and seed; JIDs are uid@`domain`.
inline std::vector<directory::Person> generate_people(std::size_t count,
                                                      std::string_view domain = "cam.example",
                                                      uint64_t seed = 20240131) {
  Rng rng(seed);
  const auto& given = given_names();
  const auto& common = common_surnames();
  const auto& insts = generated_institutions();
  std::vector<directory::Person> people;
  people.reserve(count);
  std::unordered_set<std::string> uids;
  std::vector<std::string> tail;
  for (std::size_t i = 0; i < count / 4 + 1; ++i) tail.push_back(tail_surname(rng));
  while (people.size() < count) {
    directory::Person p;
    std::string first(given[rng.skewed(given.size())]);
    std::string sn = rng.below(100) < 55 ? std::string(common[rng.skewed(common.size())])
                                         : tail[rng.below(tail.size())];
    // A second given name now and then ("Mary Ann").
    std::string middle = rng.below(10) == 0 ? std::string(given[rng.below(given.size())]) : "";
    std::string initials = ascii_lower(first.substr(0, 1)) +
                           (middle.empty() ? "" : ascii_lower(middle.substr(0, 1))) +
                           ascii_lower(sn).substr(0, 1);
    if (initials.size() < 2 || !std::isalpha(static_cast<unsigned char>(initials.back())))
      initials += 'x';
    std::string uid;
    // CRSid-like: initials and a number; common initials run out of short numbers, so
    // the numbers get longer after collisions (as Lookup's do over the years).
    for (std::size_t range = 998;; range *= 10) {
      uid = initials + std::to_string(2 + rng.below(range));
      if (uids.insert(uid).second) break;
    }
    p.uid = uid;
    p.jid = uid + "@" + std::string(domain);
    p.given_name = middle.empty() ? first : first + " " + middle;
    p.sn = sn;
    p.cn = p.given_name + " " + sn;
    p.display_name = rng.below(20) == 0 ? first + " " + sn : p.cn;
    std::size_t mail_kind = rng.below(10);
    if (mail_kind < 7) {
      p.mail = uid + "@cam.ac.uk";
    } else if (mail_kind < 9) {
      p.mail = ascii_lower(first) + "." + ascii_lower(sn) + "@" +
               ascii_lower(insts[rng.below(insts.size())].inst_id) + ".cam.ac.uk";
    }  // else hidden
    std::size_t aff = rng.below(100);
    p.affiliation = aff < 65   ? directory::Affiliation::student
                    : aff < 95 ? directory::Affiliation::staff
                               : directory::Affiliation::other;
    p.institutions.emplace_back(insts[rng.skewed(insts.size())].inst_id);
    if (rng.below(3) == 0) {
      std::string second = insts[rng.below(insts.size())].inst_id;
      if (second != p.institutions.front()) p.institutions.push_back(second);
    }
    p.modify_timestamp = "20240131120000Z";
    people.push_back(std::move(p));
  }
  return people;
}

// Writes the people and institutions as LDIF shaped like scripts/data/sample-lookup.ldif
// (inetOrgPerson + camLookupPerson under ou=people), for slapd.
inline void write_ldif(std::FILE* out, const std::vector<directory::Person>& people,
                       const std::vector<directory::Institution>& insts,
                       std::string_view base = "o=University of Cambridge,dc=cam,dc=ac,dc=uk") {
  auto line = [&](std::string_view attr, std::string_view value) {
    // LDIF needs base64 for non-ASCII or awkward first characters; OpenLDAP also accepts
    // raw UTF-8, which keeps the file readable.
    std::fprintf(out, "%.*s: %.*s\n", static_cast<int>(attr.size()), attr.data(),
                 static_cast<int>(value.size()), value.data());
  };
  std::fprintf(out, "dn: %.*s\nobjectClass: organization\no: University of Cambridge\n\n",
               static_cast<int>(base.size()), base.data());
  for (const char* ou : {"people", "insts", "groups"})
    std::fprintf(out, "dn: ou=%s,%.*s\nobjectClass: organizationalUnit\nou: %s\n\n", ou,
                 static_cast<int>(base.size()), base.data(), ou);
  for (const auto& i : insts) {
    std::fprintf(out, "dn: instID=%s,ou=insts,%.*s\n", i.inst_id.c_str(),
                 static_cast<int>(base.size()), base.data());
    line("objectClass", "camLookupInstitution");
    line("instID", i.inst_id);
    line("ou", i.name);
    std::fputc('\n', out);
  }
  for (const auto& p : people) {
    std::fprintf(out, "dn: uid=%s,ou=people,%.*s\n", p.uid.c_str(), static_cast<int>(base.size()),
                 base.data());
    line("objectClass", "inetOrgPerson");
    line("objectClass", "camLookupPerson");
    line("uid", p.uid);
    line("cn", p.cn);
    line("sn", p.sn);
    line("givenName", p.given_name);
    line("displayName", p.display_name);
    if (!p.mail.empty()) line("mail", p.mail);
    if (p.affiliation != directory::Affiliation::other)
      line("misAffiliation", directory::to_string(p.affiliation));
    for (const auto& inst : p.institutions) {
      line("instID", inst);
      for (const auto& known : insts)
        if (known.inst_id == inst) line("ou", known.name);
    }
    std::fputc('\n', out);
  }
}

}  // namespace commonroom::bench
