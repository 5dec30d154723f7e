// An immutable in-memory search index over the directory's people: substring search on
// folded names in well under a millisecond at 200,000 people, with stable result order
// for XEP-0059 paging.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "directory/person.hpp"

namespace commonroom::directory {

// What a search word is matched against. `name` is any part of a person's names
// (display name, common names including other_names, given name, surname).
enum class SearchField : uint8_t { name, first, last, crsid, email };
inline constexpr std::size_t kSearchFieldCount = 5;

// A search as the user typed it: every term must match (AND); within a term, every word
// must match some word of that field, in any order.
struct SearchTerm {
  SearchField field = SearchField::name;
  std::string text;  // raw UTF-8, folded by compile_query
};
struct PeopleQuery {
  std::vector<SearchTerm> terms;
  std::string institution;                 // an instID; empty: any institution
  std::optional<Affiliation> affiliation;  // staff or student; nullopt: anyone
};

struct QueryLimits {
  std::size_t min_chars = 2;    // a query needs at least one word this long
  std::size_t max_words = 8;    // over all terms
  std::size_t max_bytes = 256;  // per term, before folding
};

// A query folded, split into words and checked against the limits.
struct CompiledQuery {
  struct Word {
    SearchField field;
    std::string text;  // folded
    // Shorter than min_chars (an initial, "j smith"): matches the start of a word only.
    bool prefix_only = false;
  };
  std::vector<Word> words;
  std::string institution;
  std::optional<Affiliation> affiliation;
};

enum class QueryProblem { none, empty, too_short, too_many_words, too_long };
struct QueryCheck {
  std::optional<CompiledQuery> query;  // set when problem == none
  QueryProblem problem = QueryProblem::none;
  std::string message;  // for the user, e.g. "Type at least 2 letters of a name"
};
QueryCheck compile_query(const PeopleQuery& query, const QueryLimits& limits);

// One page of a result set (XEP-0059 semantics, with uids as the opaque item ids).
struct PageRequest {
  std::size_t max = 50;
  std::optional<std::string> after;   // uid of the last item already seen
  std::optional<std::string> before;  // uid of the first item already seen; "" = last page
  std::optional<std::size_t> index;   // position of the first item wanted
};
struct SearchPage {
  std::vector<uint32_t> ids;    // person ids, in result order
  std::size_t count = 0;        // size of the whole result set (exact)
  std::size_t first_index = 0;  // position of ids.front() in the whole result set
  bool unknown_anchor = false;  // after/before names a uid the directory no longer has
};

// A person as search results show them; views into the index (valid while it lives).
struct PersonView {
  std::string_view uid, jid, display_name, given_name, family_name, mail;
  Affiliation affiliation = Affiliation::other;
  std::span<const uint32_t> institutions;  // indexes into PeopleIndex::institutions()
};

class PeopleIndex {
 public:
  // People without a uid or a JID are left out; a repeated uid keeps its first entry.
  // `institutions` supplies names for the instIDs people carry (an instID without an entry
  // is shown as itself). Result order: surname, given name, display name, uid (folded).
  static std::shared_ptr<const PeopleIndex> build(const std::vector<Person>& people,
                                                  const std::vector<Institution>& institutions);
  ~PeopleIndex();
  PeopleIndex(const PeopleIndex&) = delete;
  PeopleIndex& operator=(const PeopleIndex&) = delete;

  std::size_t size() const;
  PersonView person(uint32_t id) const;
  std::optional<uint32_t> find_uid(std::string_view uid) const;
  // The person with this bare JID (as the JID template made it), if any.
  std::optional<uint32_t> find_jid(std::string_view bare_jid) const;
  // Institutions that have at least one person, ordered by name.
  const std::vector<Institution>& institutions() const;

  // Never fails: an empty result is an empty page. Thread-safe (the index is immutable).
  SearchPage search(const CompiledQuery& query, const PageRequest& page) const;

  // This index with the person `uid` gone (found by no search, uid or JID lookup), sharing
  // everything else: an opt-out takes effect in microseconds instead of a rebuild of the
  // whole index. The same index when nobody has that uid.
  std::shared_ptr<const PeopleIndex> without(std::string_view uid) const;

  // Heap bytes held by the index (for the benchmark and the admin page).
  std::size_t memory_bytes() const;

 private:
  PeopleIndex();
  struct Impl;
  bool hidden(uint32_t id) const;
  std::shared_ptr<Impl> impl_;    // shared by the indexes without() made from one build
  std::vector<uint64_t> hidden_;  // a bit per person removed by without(); empty: none
  std::size_t hidden_count_ = 0;
};

}  // namespace commonroom::directory
