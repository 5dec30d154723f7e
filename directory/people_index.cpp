#include "directory/people_index.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <deque>
#include <numeric>
#include <unordered_map>

#include "directory/name_folding.hpp"

namespace commonroom::directory {

// How it works. People get ids in result order, so every list of ids is sorted and a page
// is a slice. Each searchable field has a dictionary of the distinct folded words people
// have in it (sorted, so a prefix is a range), each word with the ids of the people who
// have it. A query word matches the dictionary words that contain it: those are found
// through a bigram -> dictionary-words table (much smaller than the people: tens of
// thousands of names, not hundreds of thousands of people) and checked with a substring
// test; the people of the matching words are OR-ed into a bitset over all ids. Words and
// filters are AND-ed as bitsets (N/64 machine words, ~3,000 at 200k people), which gives an
// exact count and any page by scanning set bits. Two-letter words common enough to match
// more than 1/32 of the people ("an", "ar") have their bitset precomputed: those are the
// ones a trigram index cannot serve at all.

namespace {

constexpr std::size_t kDenseDivisor = 32;  // a bitset costs what a list of N/32 ids costs

using Word64 = uint64_t;

std::size_t bit_words(std::size_t n) {
  return (n + 63) / 64;
}

// Set bits in bits[0, n). POPCNT is not in the x86-64 baseline, and there std::popcount is
// a libgcc call per word: a third of a two-letter search at 200,000 people. The popcnt
// clone is chosen when the program loads, on CPUs that have it (all made since 2008).
// Not under ThreadSanitizer: the clone's resolver runs during relocation, before the TSan
// runtime is set up, and the instrumented resolver crashes the program at load.
#if defined(__x86_64__) && defined(__ELF__) && !defined(__SANITIZE_THREAD__)
#define COMMONROOM_POPCNT_CLONES [[gnu::target_clones("popcnt", "default")]]
#else
#define COMMONROOM_POPCNT_CLONES
#endif
COMMONROOM_POPCNT_CLONES std::size_t count_bits(const Word64* bits, std::size_t n) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) count += static_cast<std::size_t>(std::popcount(bits[i]));
  return count;
}

void set_bit(Word64* bits, uint32_t id) {
  bits[id >> 6] |= Word64{1} << (id & 63);
}

uint16_t bigram_key(char a, char b) {
  return static_cast<uint16_t>((static_cast<unsigned char>(a) << 8) |
                               static_cast<unsigned char>(b));
}

template <typename T>
std::size_t bytes_of(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

// Intersection of two sorted id lists; gallops through the longer one when the shorter
// is much shorter (the usual case: a rare bigram against a common one).
std::vector<uint32_t> intersect(std::span<const uint32_t> a, std::span<const uint32_t> b) {
  if (a.size() > b.size()) std::swap(a, b);
  std::vector<uint32_t> out;
  out.reserve(a.size());
  if (a.size() * 16 < b.size()) {
    auto it = b.begin();
    for (uint32_t x : a) {
      it = std::lower_bound(it, b.end(), x);
      if (it == b.end()) break;
      if (*it == x) out.push_back(x);
    }
  } else {
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  }
  return out;
}

}  // namespace

// The dictionary and lookup tables of one searchable field.
struct FieldIndex {
  std::string word_chars;
  std::vector<uint32_t> word_offsets{0};     // word w is word_chars[off[w], off[w+1])
  std::vector<uint32_t> posting_offsets{0};  // people of w: postings[off[w], off[w+1])
  std::vector<uint32_t> postings;
  std::vector<int32_t> word_bitset;    // slot in `bitsets`, or -1
  std::vector<uint32_t> gram_offsets;  // 65537 entries: words containing a bigram
  std::vector<uint32_t> gram_words;
  std::vector<std::pair<uint16_t, uint32_t>> gram_bitset;  // sorted: bigram -> slot
  std::vector<Word64> bitsets;                             // slots of `words_per_bitset` each

  std::size_t word_count() const { return word_offsets.size() - 1; }
  std::string_view word(uint32_t w) const {
    return std::string_view(word_chars)
        .substr(word_offsets[w], word_offsets[w + 1] - word_offsets[w]);
  }
  std::span<const uint32_t> people_of(uint32_t w) const {
    return std::span<const uint32_t>(postings).subspan(posting_offsets[w],
                                                       posting_offsets[w + 1] - posting_offsets[w]);
  }
  std::span<const uint32_t> words_with(uint16_t gram) const {
    return std::span<const uint32_t>(gram_words)
        .subspan(gram_offsets[gram], gram_offsets[gram + 1u] - gram_offsets[gram]);
  }
  std::size_t memory_bytes() const {
    return word_chars.capacity() + bytes_of(word_offsets) + bytes_of(posting_offsets) +
           bytes_of(postings) + bytes_of(word_bitset) + bytes_of(gram_offsets) +
           bytes_of(gram_words) + bytes_of(gram_bitset) + bytes_of(bitsets);
  }
};

struct PeopleIndex::Impl {
  std::size_t n = 0;
  std::size_t words_per_bitset = 0;

  // Person records: six strings back to back in `text`, fields[i*7 .. i*7+6] their bounds.
  std::string text;
  std::vector<uint32_t> bounds;
  std::vector<Affiliation> affiliations;
  std::vector<uint32_t> inst_offsets{0};  // person i: inst_refs[inst_offsets[i], ...[i+1])
  std::vector<uint32_t> inst_refs;
  std::vector<uint32_t> by_uid;  // ids sorted by uid
  std::vector<uint32_t> by_jid;  // ids sorted by JID (policy lookups: is this user staff?)

  std::vector<Institution> institutions;
  std::vector<std::vector<uint32_t>> inst_people;        // per institution, sorted ids
  std::unordered_map<std::string, uint32_t> inst_by_id;  // lower-cased instID -> index

  std::vector<Word64> staff, students;
  std::array<FieldIndex, kSearchFieldCount> fields;

  std::string_view field_text(uint32_t id, int f) const {
    std::size_t base = std::size_t{id} * 7 + static_cast<std::size_t>(f);
    return std::string_view(text).substr(bounds[base], bounds[base + 1] - bounds[base]);
  }
  std::string_view uid(uint32_t id) const { return field_text(id, 0); }

  // The words of one field as the build collects them: distinct words and, in person order,
  // which person has which word (flat, so 200,000 people are not 200,000 small vectors).
  struct FieldBuilder {
    std::unordered_map<std::string_view, uint32_t> ids;  // views into `storage`
    std::deque<std::string> storage;  // a deque: growing it never moves the strings
    std::vector<std::pair<uint32_t, uint32_t>> pairs;  // (word, person)
    std::vector<uint32_t> current;                     // this person's words so far

    void add(uint32_t person, std::string_view word) {
      auto it = ids.find(word);
      if (it == ids.end()) {
        storage.emplace_back(word);
        it = ids.emplace(storage.back(), static_cast<uint32_t>(storage.size() - 1)).first;
      }
      if (std::find(current.begin(), current.end(), it->second) != current.end()) return;
      current.push_back(it->second);
      pairs.emplace_back(it->second, person);
    }
    void add_text(uint32_t person, std::string_view folded) {
      for (std::string_view w : split_words(folded)) add(person, w);
    }
    void next_person() { current.clear(); }
  };
  void build_field(FieldIndex& fi, FieldBuilder& b);

  // OR the people matching one query word into `out` (zeroed, words_per_bitset long).
  void match_word(const FieldIndex& fi, const CompiledQuery::Word& word, Word64* out) const;
  void or_people(const FieldIndex& fi, uint32_t w, Word64* out) const {
    if (fi.word_bitset[w] >= 0) {
      const Word64* b = &fi.bitsets[static_cast<std::size_t>(fi.word_bitset[w]) * words_per_bitset];
      for (std::size_t i = 0; i < words_per_bitset; ++i) out[i] |= b[i];
    } else {
      for (uint32_t id : fi.people_of(w)) set_bit(out, id);
    }
  }
};

PeopleIndex::PeopleIndex() : impl_(std::make_shared<Impl>()) {}
PeopleIndex::~PeopleIndex() = default;

void PeopleIndex::Impl::build_field(FieldIndex& fi, FieldBuilder& b) {
  b.ids.clear();
  const auto& words = b.storage;
  std::vector<uint32_t> order(words.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t c) { return words[a] < words[c]; });
  std::vector<uint32_t> rank(words.size());
  for (uint32_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
  // Counting sort of (word, person) by word; pairs come in person order, so each word's
  // people come out sorted.
  std::vector<uint32_t> starts(words.size() + 1, 0);
  for (const auto& [w, person] : b.pairs) ++starts[rank[w] + 1];
  for (std::size_t i = 1; i < starts.size(); ++i) starts[i] += starts[i - 1];
  fi.postings.resize(b.pairs.size());
  {
    std::vector<uint32_t> fill(starts.begin(), starts.end() - 1);
    for (const auto& [w, person] : b.pairs) fi.postings[fill[rank[w]]++] = person;
  }
  b.pairs.clear();
  b.pairs.shrink_to_fit();
  fi.posting_offsets = starts;

  const std::size_t dense = n / kDenseDivisor;
  std::vector<std::vector<uint32_t>> gram_lists(65536);
  for (uint32_t w = 0; w < order.size(); ++w) {
    std::string_view word = words[order[w]];
    auto ids = fi.people_of(w);
    fi.word_chars.append(word);
    fi.word_offsets.push_back(static_cast<uint32_t>(fi.word_chars.size()));
    if (ids.size() > dense && dense > 0) {
      fi.word_bitset.push_back(static_cast<int32_t>(fi.bitsets.size() / words_per_bitset));
      fi.bitsets.resize(fi.bitsets.size() + words_per_bitset);
      Word64* b = &fi.bitsets[fi.bitsets.size() - words_per_bitset];
      for (uint32_t id : ids) set_bit(b, id);
    } else {
      fi.word_bitset.push_back(-1);
    }
    for (std::size_t i = 0; i + 1 < word.size(); ++i) {
      auto& list = gram_lists[bigram_key(word[i], word[i + 1])];
      if (list.empty() || list.back() != w) list.push_back(w);
    }
  }
  fi.gram_offsets.reserve(65537);
  fi.gram_offsets.push_back(0);
  for (auto& list : gram_lists) {
    fi.gram_words.insert(fi.gram_words.end(), list.begin(), list.end());
    fi.gram_offsets.push_back(static_cast<uint32_t>(fi.gram_words.size()));
  }
  // Precompute the people of common bigrams: matching a two-letter word then costs one
  // bitset OR instead of visiting a large share of the postings.
  std::vector<Word64> scratch(words_per_bitset);
  for (uint32_t g = 0; g < 65536; ++g) {
    std::size_t total = 0;
    for (uint32_t w : gram_lists[g]) total += fi.posting_offsets[w + 1] - fi.posting_offsets[w];
    if (total <= dense || dense == 0) continue;
    std::fill(scratch.begin(), scratch.end(), 0);
    for (uint32_t w : gram_lists[g]) or_people(fi, w, scratch.data());
    if (count_bits(scratch.data(), scratch.size()) <= dense) continue;
    fi.gram_bitset.emplace_back(static_cast<uint16_t>(g),
                                static_cast<uint32_t>(fi.bitsets.size() / words_per_bitset));
    fi.bitsets.insert(fi.bitsets.end(), scratch.begin(), scratch.end());
  }
  fi.word_chars.shrink_to_fit();
  fi.postings.shrink_to_fit();
  fi.bitsets.shrink_to_fit();
}

std::shared_ptr<const PeopleIndex> PeopleIndex::build(
    const std::vector<Person>& people, const std::vector<Institution>& institutions) {
  std::shared_ptr<PeopleIndex> index(new PeopleIndex());
  Impl& d = *index->impl_;

  // Keep the first entry per uid; drop entries nobody could be sent to.
  std::vector<const Person*> kept;
  {
    std::unordered_map<std::string_view, bool> uids;
    for (const Person& p : people) {
      if (p.uid.empty() || p.jid.empty()) continue;
      if (uids.emplace(p.uid, true).second) kept.push_back(&p);
    }
  }
  struct Folded {
    std::string display, cn, given, sn, uid, mail, key;
    std::vector<std::string> other_names;
  };
  std::vector<Folded> folded(kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const Person& p = *kept[i];
    Folded& f = folded[i];
    f.display = fold_for_search(p.display_name);
    f.cn = fold_for_search(p.cn);
    f.given = fold_for_search(p.given_name);
    f.sn = fold_for_search(p.sn);
    f.uid = fold_for_search(p.uid);
    f.mail = fold_for_search(p.mail);
    for (const std::string& other : p.other_names) f.other_names.push_back(fold_for_search(other));
    // Directory order: surname, then given name; people without a surname sort by
    // display name among the others. The raw uid last makes the order total.
    const std::string& primary = !f.sn.empty() ? f.sn : !f.display.empty() ? f.display : f.cn;
    f.key = primary + '\x01' + f.given + '\x01' + f.display + '\x01' + p.uid;
  }
  std::vector<uint32_t> order(kept.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return folded[a].key < folded[b].key; });

  d.n = kept.size();
  d.words_per_bitset = bit_words(d.n);
  d.staff.assign(d.words_per_bitset, 0);
  d.students.assign(d.words_per_bitset, 0);

  // Institutions: names from the directory, instIDs nobody has are left out.
  std::unordered_map<std::string, std::string> names;
  for (const Institution& inst : institutions) {
    std::string key = inst.inst_id;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    names.emplace(std::move(key), inst.name);
  }

  d.bounds.reserve(d.n * 7);
  std::array<Impl::FieldBuilder, kSearchFieldCount> builders;
  for (uint32_t id = 0; id < d.n; ++id) {
    const Person& p = *kept[order[id]];
    const Folded& f = folded[order[id]];
    d.bounds.push_back(static_cast<uint32_t>(d.text.size()));
    for (const std::string* s : {&p.uid, &p.jid, &p.display_name, &p.given_name, &p.sn, &p.mail}) {
      d.text.append(*s);
      d.bounds.push_back(static_cast<uint32_t>(d.text.size()));
    }
    d.affiliations.push_back(p.affiliation);
    if (p.affiliation == Affiliation::staff) set_bit(d.staff.data(), id);
    if (p.affiliation == Affiliation::student) set_bit(d.students.data(), id);
    for (const std::string& inst_id : p.institutions) {
      if (inst_id.empty()) continue;
      std::string key = inst_id;
      std::transform(key.begin(), key.end(), key.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      auto [it, inserted] =
          d.inst_by_id.try_emplace(key, static_cast<uint32_t>(d.institutions.size()));
      if (inserted) {
        auto name = names.find(key);
        d.institutions.push_back({inst_id, name != names.end() ? name->second : inst_id});
        d.inst_people.emplace_back();
      }
      auto& list = d.inst_people[it->second];
      if (list.empty() || list.back() != id) {
        list.push_back(id);
        d.inst_refs.push_back(it->second);
      }
    }
    d.inst_offsets.push_back(static_cast<uint32_t>(d.inst_refs.size()));

    auto& name = builders[static_cast<std::size_t>(SearchField::name)];
    for (const std::string* t : {&f.display, &f.cn, &f.given, &f.sn}) name.add_text(id, *t);
    for (const std::string& other : f.other_names) name.add_text(id, other);
    builders[static_cast<std::size_t>(SearchField::first)].add_text(id, f.given);
    builders[static_cast<std::size_t>(SearchField::last)].add_text(id, f.sn);
    builders[static_cast<std::size_t>(SearchField::crsid)].add_text(id, f.uid);
    builders[static_cast<std::size_t>(SearchField::email)].add_text(id, f.mail);
    for (auto& b : builders) b.next_person();
  }
  folded.clear();
  folded.shrink_to_fit();
  d.text.shrink_to_fit();

  // Institutions are listed by name; person records refer to them by position, so remap.
  {
    std::vector<uint32_t> by_name(d.institutions.size());
    std::iota(by_name.begin(), by_name.end(), 0u);
    std::vector<std::string> keys;
    for (const auto& inst : d.institutions) keys.push_back(fold_for_search(inst.name));
    std::sort(by_name.begin(), by_name.end(), [&](uint32_t a, uint32_t b) {
      return keys[a] != keys[b] ? keys[a] < keys[b]
                                : d.institutions[a].inst_id < d.institutions[b].inst_id;
    });
    std::vector<uint32_t> new_pos(by_name.size());
    for (uint32_t i = 0; i < by_name.size(); ++i) new_pos[by_name[i]] = i;
    std::vector<Institution> insts;
    std::vector<std::vector<uint32_t>> inst_people;
    for (uint32_t old : by_name) {
      insts.push_back(std::move(d.institutions[old]));
      inst_people.push_back(std::move(d.inst_people[old]));
    }
    d.institutions = std::move(insts);
    d.inst_people = std::move(inst_people);
    for (auto& ref : d.inst_refs) ref = new_pos[ref];
    for (auto& [key, pos] : d.inst_by_id) pos = new_pos[pos];
  }

  for (std::size_t f = 0; f < kSearchFieldCount; ++f) {
    d.build_field(d.fields[f], builders[f]);
    builders[f] = Impl::FieldBuilder();
  }

  d.by_uid.resize(d.n);
  std::iota(d.by_uid.begin(), d.by_uid.end(), 0u);
  std::sort(d.by_uid.begin(), d.by_uid.end(),
            [&](uint32_t a, uint32_t b) { return d.uid(a) < d.uid(b); });
  d.by_jid = d.by_uid;
  std::sort(d.by_jid.begin(), d.by_jid.end(),
            [&](uint32_t a, uint32_t b) { return d.field_text(a, 1) < d.field_text(b, 1); });
  return index;
}

std::size_t PeopleIndex::size() const {
  return impl_->n - hidden_count_;
}

bool PeopleIndex::hidden(uint32_t id) const {
  return !hidden_.empty() && ((hidden_[id / 64] >> (id % 64)) & 1);
}

std::shared_ptr<const PeopleIndex> PeopleIndex::without(std::string_view uid) const {
  std::shared_ptr<PeopleIndex> out(new PeopleIndex());
  out->impl_ = impl_;
  out->hidden_ = hidden_;
  out->hidden_count_ = hidden_count_;
  if (auto id = find_uid(uid)) {
    if (out->hidden_.empty()) out->hidden_.assign(impl_->words_per_bitset, 0);
    set_bit(out->hidden_.data(), *id);
    ++out->hidden_count_;
  }
  return out;
}

PersonView PeopleIndex::person(uint32_t id) const {
  const Impl& d = *impl_;
  PersonView v;
  v.uid = d.field_text(id, 0);
  v.jid = d.field_text(id, 1);
  v.display_name = d.field_text(id, 2);
  v.given_name = d.field_text(id, 3);
  v.family_name = d.field_text(id, 4);
  v.mail = d.field_text(id, 5);
  v.affiliation = d.affiliations[id];
  v.institutions = std::span<const uint32_t>(d.inst_refs)
                       .subspan(d.inst_offsets[id], d.inst_offsets[id + 1] - d.inst_offsets[id]);
  return v;
}

std::optional<uint32_t> PeopleIndex::find_uid(std::string_view uid) const {
  const Impl& d = *impl_;
  auto it = std::lower_bound(d.by_uid.begin(), d.by_uid.end(), uid,
                             [&](uint32_t id, std::string_view u) { return d.uid(id) < u; });
  if (it == d.by_uid.end() || d.uid(*it) != uid || hidden(*it)) return std::nullopt;
  return *it;
}

std::optional<uint32_t> PeopleIndex::find_jid(std::string_view bare_jid) const {
  const Impl& d = *impl_;
  auto it =
      std::lower_bound(d.by_jid.begin(), d.by_jid.end(), bare_jid,
                       [&](uint32_t id, std::string_view j) { return d.field_text(id, 1) < j; });
  if (it == d.by_jid.end() || d.field_text(*it, 1) != bare_jid || hidden(*it)) return std::nullopt;
  return *it;
}

const std::vector<Institution>& PeopleIndex::institutions() const {
  return impl_->institutions;
}

void PeopleIndex::Impl::match_word(const FieldIndex& fi, const CompiledQuery::Word& word,
                                   Word64* out) const {
  const std::string& w = word.text;
  if (word.prefix_only) {
    // Sorted dictionary: the words starting with w are one range.
    uint32_t lo = 0, hi = static_cast<uint32_t>(fi.word_count());
    uint32_t first = lo, count = hi;
    while (count > 0) {  // lower_bound
      uint32_t step = count / 2, mid = first + step;
      if (fi.word(mid) < w) {
        first = mid + 1;
        count -= step + 1;
      } else {
        count = step;
      }
    }
    for (uint32_t i = first; i < hi && fi.word(i).starts_with(w); ++i) or_people(fi, i, out);
    return;
  }
  if (w.size() < 2) return;  // compile_query never sends these
  if (w.size() == 2) {
    uint16_t g = bigram_key(w[0], w[1]);
    auto it = std::lower_bound(fi.gram_bitset.begin(), fi.gram_bitset.end(),
                               std::pair<uint16_t, uint32_t>{g, 0});
    if (it != fi.gram_bitset.end() && it->first == g) {
      const Word64* b = &fi.bitsets[std::size_t{it->second} * words_per_bitset];
      for (std::size_t i = 0; i < words_per_bitset; ++i) out[i] |= b[i];
      return;
    }
    for (uint32_t dw : fi.words_with(g)) or_people(fi, dw, out);
    return;
  }
  // Candidate dictionary words contain every bigram of w: intersect the shortest lists
  // first, then confirm each candidate with a substring test.
  std::vector<std::span<const uint32_t>> lists;
  for (std::size_t i = 0; i + 1 < w.size(); ++i)
    lists.push_back(fi.words_with(bigram_key(w[i], w[i + 1])));
  std::sort(lists.begin(), lists.end(), [](auto a, auto b) { return a.size() < b.size(); });
  if (lists.front().empty()) return;
  std::vector<uint32_t> candidates(lists.front().begin(), lists.front().end());
  for (std::size_t i = 1; i < lists.size() && candidates.size() > 32; ++i)
    candidates = intersect(candidates, lists[i]);
  for (uint32_t dw : candidates)
    if (fi.word(dw).find(w) != std::string_view::npos) or_people(fi, dw, out);
}

SearchPage PeopleIndex::search(const CompiledQuery& query, const PageRequest& page) const {
  const Impl& d = *impl_;
  SearchPage result;
  const std::size_t nw = d.words_per_bitset;
  if (d.n == 0 || query.words.empty()) {
    if (page.after || (page.before && !page.before->empty())) {
      const std::string& anchor = page.after ? *page.after : *page.before;
      result.unknown_anchor = !find_uid(anchor).has_value();
    }
    return result;
  }

  // The first word matches straight into the accumulator; the rest (and the filters) are
  // AND-ed in.
  std::vector<Word64> acc(nw), tmp(nw);
  auto and_into = [&](const Word64* b) {
    for (std::size_t i = 0; i < nw; ++i) acc[i] &= b[i];
  };
  bool first = true;
  for (const auto& word : query.words) {
    const FieldIndex& fi = d.fields[static_cast<std::size_t>(word.field)];
    if (first) {
      d.match_word(fi, word, acc.data());
      first = false;
      continue;
    }
    std::fill(tmp.begin(), tmp.end(), 0);
    d.match_word(fi, word, tmp.data());
    and_into(tmp.data());
  }
  if (query.affiliation == Affiliation::staff) and_into(d.staff.data());
  if (query.affiliation == Affiliation::student) and_into(d.students.data());
  if (query.affiliation == Affiliation::other) {
    for (std::size_t i = 0; i < nw; ++i) tmp[i] = ~(d.staff[i] | d.students[i]);
    and_into(tmp.data());
  }
  if (!query.institution.empty()) {
    std::string key = query.institution;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::fill(tmp.begin(), tmp.end(), 0);
    if (auto it = d.inst_by_id.find(key); it != d.inst_by_id.end())
      for (uint32_t id : d.inst_people[it->second]) set_bit(tmp.data(), id);
    and_into(tmp.data());
  }
  if (!hidden_.empty())
    for (std::size_t i = 0; i < nw; ++i) acc[i] &= ~hidden_[i];
  // Bits past n (from the complement above) must never count.
  if (d.n % 64 != 0) acc[nw - 1] &= (Word64{1} << (d.n % 64)) - 1;

  const std::size_t count = count_bits(acc.data(), nw);
  result.count = count;
  // Matches with an id below `id`.
  auto rank = [&](uint32_t id) {
    std::size_t r = count_bits(acc.data(), id / 64u);
    if (id % 64)
      r += static_cast<std::size_t>(std::popcount(acc[id / 64] & ((Word64{1} << (id % 64)) - 1)));
    return r;
  };
  auto collect_forward = [&](std::size_t from) {
    for (std::size_t i = from / 64; i < nw && result.ids.size() < page.max; ++i) {
      Word64 x = acc[i];
      if (i == from / 64 && from % 64) x &= ~((Word64{1} << (from % 64)) - 1);
      while (x && result.ids.size() < page.max) {
        result.ids.push_back(
            static_cast<uint32_t>(i * 64 + static_cast<std::size_t>(std::countr_zero(x))));
        x &= x - 1;
      }
    }
  };

  if (page.index) {
    result.first_index = *page.index;
    if (*page.index >= count || page.max == 0) return result;
    // Find the id of the index-th match.
    std::size_t remaining = *page.index, i = 0;
    for (; i < nw; ++i) {
      auto c = static_cast<std::size_t>(std::popcount(acc[i]));
      if (remaining < c) break;
      remaining -= c;
    }
    Word64 x = acc[i];
    for (std::size_t k = 0; k < remaining; ++k) x &= x - 1;
    collect_forward(i * 64 + static_cast<std::size_t>(std::countr_zero(x)));
    return result;
  }
  if (page.after) {
    auto a = find_uid(*page.after);
    if (!a) {
      result.unknown_anchor = true;
      return result;
    }
    result.first_index = rank(*a + 1);
    collect_forward(*a + 1);
    return result;
  }
  if (page.before) {
    std::size_t end = d.n;
    if (!page.before->empty()) {
      auto b = find_uid(*page.before);
      if (!b) {
        result.unknown_anchor = true;
        return result;
      }
      end = *b;
    }
    // Walk backwards from `end`, then restore result order.
    for (std::size_t i = end / 64 + 1; i-- > 0 && result.ids.size() < page.max;) {
      if (i >= nw) continue;
      Word64 x = acc[i];
      if (i == end / 64) x &= (end % 64) ? ((Word64{1} << (end % 64)) - 1) : 0;
      while (x && result.ids.size() < page.max) {
        int top = 63 - std::countl_zero(x);
        result.ids.push_back(static_cast<uint32_t>(i * 64 + static_cast<std::size_t>(top)));
        x &= ~(Word64{1} << top);
      }
    }
    std::reverse(result.ids.begin(), result.ids.end());
    result.first_index =
        result.ids.empty() ? rank(static_cast<uint32_t>(end)) : rank(result.ids.front());
    return result;
  }
  collect_forward(0);
  return result;
}

std::size_t PeopleIndex::memory_bytes() const {
  const Impl& d = *impl_;
  std::size_t total = sizeof(Impl) + d.text.capacity() + bytes_of(d.bounds) +
                      bytes_of(d.affiliations) + bytes_of(d.inst_offsets) + bytes_of(d.inst_refs) +
                      bytes_of(d.by_uid) + bytes_of(d.by_jid) + bytes_of(d.staff) +
                      bytes_of(d.students);
  for (const auto& inst : d.institutions)
    total += sizeof(inst) + inst.inst_id.capacity() + inst.name.capacity();
  for (const auto& list : d.inst_people) total += sizeof(list) + bytes_of(list);
  total += d.inst_by_id.size() * 64;
  for (const auto& f : d.fields) total += f.memory_bytes();
  return total + bytes_of(hidden_);
}

QueryCheck compile_query(const PeopleQuery& query, const QueryLimits& limits) {
  QueryCheck check;
  CompiledQuery compiled;
  compiled.institution = query.institution;
  compiled.affiliation = query.affiliation;
  bool long_enough = false;
  bool any_text = false;
  for (const SearchTerm& term : query.terms) {
    if (term.text.size() > limits.max_bytes) {
      check.problem = QueryProblem::too_long;
      check.message =
          "A search term may be at most " + std::to_string(limits.max_bytes) + " bytes long";
      return check;
    }
    std::string folded = fold_for_search(term.text);
    for (std::string_view w : split_words(folded)) {
      any_text = true;
      bool short_word = count_chars(w) < limits.min_chars;
      long_enough = long_enough || !short_word;
      compiled.words.push_back({term.field, std::string(w), short_word});
    }
  }
  if (!any_text) {
    check.problem = QueryProblem::empty;
    check.message =
        "Fill in at least one search field with part of a name, a CRSid or an email address";
    return check;
  }
  if (!long_enough) {
    check.problem = QueryProblem::too_short;
    check.message = "Type at least " + std::to_string(limits.min_chars) +
                    " letters of a name, CRSid or email address";
    return check;
  }
  if (compiled.words.size() > limits.max_words) {
    check.problem = QueryProblem::too_many_words;
    check.message = "A search may have at most " + std::to_string(limits.max_words) + " words";
    return check;
  }
  // Identical words add nothing; the most selective (longest) run first.
  std::sort(compiled.words.begin(), compiled.words.end(), [](const auto& a, const auto& b) {
    if (a.prefix_only != b.prefix_only) return !a.prefix_only;
    if (a.text.size() != b.text.size()) return a.text.size() > b.text.size();
    if (a.field != b.field) return a.field < b.field;
    return a.text < b.text;
  });
  compiled.words.erase(std::unique(compiled.words.begin(), compiled.words.end(),
                                   [](const auto& a, const auto& b) {
                                     return a.field == b.field && a.text == b.text &&
                                            a.prefix_only == b.prefix_only;
                                   }),
                       compiled.words.end());
  check.query = std::move(compiled);
  return check;
}

}  // namespace commonroom::directory
