#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "directory/people_index.hpp"

using namespace commonroom::directory;

namespace {

Person person(std::string uid, std::string given, std::string sn, std::string mail = {},
              Affiliation aff = Affiliation::staff, std::vector<std::string> insts = {}) {
  Person p;
  p.uid = uid;
  p.jid = uid + "@cam.example";
  p.given_name = given;
  p.sn = sn;
  p.cn = given + " " + sn;
  p.display_name = p.cn;
  p.mail = mail.empty() ? uid + "@cam.ac.uk" : mail;
  p.affiliation = aff;
  p.institutions = std::move(insts);
  return p;
}

class PeopleIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    people_ = {
        person("jg101", "José", "García", "", Affiliation::staff, {"TRIN"}),
        person("ab201", "Alice", "Brown", "alice.brown@cam.ac.uk", Affiliation::student,
               {"KINGS", "CST"}),
        person("bb302", "Bob", "Brown", "", Affiliation::staff, {"CST"}),
        person("mo403", "Mary Ann", "O'Brien", "", Affiliation::student, {"TRIN"}),
        person("zz999", "Anna", "Zhang", "", Affiliation::other, {}),
        person("sa555", "Peter", "Saint-Andre", "", Affiliation::staff, {"KINGS"}),
        person("ws606", "Wei", "Wang", "", Affiliation::student, {}),
    };
    people_[6].display_name = "王伟";
    institutions_ = {{"TRIN", "Trinity College"},
                     {"KINGS", "King's College"},
                     {"CST", "Department of Computer Science and Technology"}};
    index_ = PeopleIndex::build(people_, institutions_);
  }

  // uids of all matches (first page of up to 100), in result order.
  std::vector<std::string> find(std::vector<SearchTerm> terms, std::string inst = {},
                                std::optional<Affiliation> aff = std::nullopt) {
    auto check = compile_query({std::move(terms), std::move(inst), aff}, QueryLimits{});
    EXPECT_EQ(check.problem, QueryProblem::none) << check.message;
    if (!check.query) return {};
    auto page = index_->search(*check.query, PageRequest{100, {}, {}, {}});
    std::vector<std::string> uids;
    for (uint32_t id : page.ids) uids.emplace_back(index_->person(id).uid);
    EXPECT_EQ(page.count, uids.size());
    return uids;
  }
  std::vector<std::string> find_name(std::string text) {
    return find({{SearchField::name, std::move(text)}});
  }

  std::vector<Person> people_;
  std::vector<Institution> institutions_;
  std::shared_ptr<const PeopleIndex> index_;
};

using Uids = std::vector<std::string>;

TEST_F(PeopleIndexTest, JoseFindsJoseWithAccentAndViceVersa) {
  EXPECT_EQ(find_name("jose"), Uids{"jg101"});
  EXPECT_EQ(find_name("JOSÉ garcía"), Uids{"jg101"});
  EXPECT_EQ(find_name("garcia"), Uids{"jg101"});
}

TEST_F(PeopleIndexTest, TwoLetterSubstringFindsEveryoneContainingIt) {
  // "an": Mary Ann O'Brien, Peter Saint-Andre, Wei Wang (王伟), Anna Zhang
  EXPECT_EQ(find_name("an"), (Uids{"mo403", "sa555", "ws606", "zz999"}));
  EXPECT_EQ(find_name("ow"), (Uids{"ab201", "bb302"}));  // brOWn, not at a word start
}

TEST_F(PeopleIndexTest, PrefixAndSubstringOfLongerWordsMatch) {
  EXPECT_EQ(find_name("bro"), (Uids{"ab201", "bb302"}));
  EXPECT_EQ(find_name("rown"), (Uids{"ab201", "bb302"}));
  EXPECT_EQ(find_name("browne"), Uids{});
}

TEST_F(PeopleIndexTest, SeveralWordsMatchInAnyOrder) {
  EXPECT_EQ(find_name("brown alice"), Uids{"ab201"});
  EXPECT_EQ(find_name("alice brown"), Uids{"ab201"});
  EXPECT_EQ(find_name("ali own"), Uids{"ab201"});
  EXPECT_EQ(find_name("alice zhang"), Uids{});
}

TEST_F(PeopleIndexTest, PunctuationInNamesDoesNotGetInTheWay) {
  EXPECT_EQ(find_name("obrien"), Uids{"mo403"});
  EXPECT_EQ(find_name("O'Brien"), Uids{"mo403"});
  EXPECT_EQ(find_name("saint andre"), Uids{"sa555"});
  EXPECT_EQ(find_name("Saint-Andre"), Uids{"sa555"});
}

TEST_F(PeopleIndexTest, OtherScriptsAreFoundByTheirLatinSpelling) {
  EXPECT_EQ(find_name("王伟"), Uids{"ws606"});
  EXPECT_EQ(find_name("wang"), Uids{"ws606"});
}

TEST_F(PeopleIndexTest, AnInitialNarrowsALongerWord) {
  EXPECT_EQ(find_name("a brown"), Uids{"ab201"});
  EXPECT_EQ(find_name("b brown"), (Uids{"ab201", "bb302"}));  // Bob, and Alice Brown's surname
}

TEST_F(PeopleIndexTest, FieldRestrictionsOnlyLookAtThatField) {
  EXPECT_EQ(find({{SearchField::first, "an"}}), (Uids{"mo403", "zz999"}));  // Mary Ann, Anna
  EXPECT_EQ(find({{SearchField::last, "an"}}), (Uids{"sa555", "ws606", "zz999"}));
  EXPECT_EQ(find({{SearchField::crsid, "ab2"}}), Uids{"ab201"});
  EXPECT_EQ(find({{SearchField::email, "alice.brown"}}), Uids{"ab201"});
  EXPECT_EQ(find({{SearchField::email, "bb302@cam"}}), Uids{"bb302"});
  EXPECT_EQ(find({{SearchField::first, "brown"}}), Uids{});
  // Terms on different fields must all match.
  EXPECT_EQ(find({{SearchField::first, "bob"}, {SearchField::last, "brown"}}), Uids{"bb302"});
}

TEST_F(PeopleIndexTest, InstitutionAndAffiliationFilter) {
  EXPECT_EQ(find_name("brown"), (Uids{"ab201", "bb302"}));
  EXPECT_EQ(find({{SearchField::name, "brown"}}, "CST", Affiliation::staff), Uids{"bb302"});
  EXPECT_EQ(find({{SearchField::name, "brown"}}, "kings"), Uids{"ab201"});
  EXPECT_EQ(find({{SearchField::name, "an"}}, "", Affiliation::student), (Uids{"mo403", "ws606"}));
  EXPECT_EQ(find({{SearchField::name, "brown"}}, "NOSUCH"), Uids{});
}

TEST_F(PeopleIndexTest, ListsOnlyInstitutionsPeopleBelongToByName) {
  std::vector<std::string> names;
  for (const auto& i : index_->institutions()) names.push_back(i.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Department of Computer Science and Technology",
                                             "King's College", "Trinity College"}));
  auto alice = index_->person(*index_->find_uid("ab201"));
  ASSERT_EQ(alice.institutions.size(), 2u);
  EXPECT_EQ(index_->institutions()[alice.institutions[0]].inst_id, "KINGS");
  EXPECT_EQ(index_->institutions()[alice.institutions[1]].inst_id, "CST");
}

TEST_F(PeopleIndexTest, FindsAPersonByJid) {
  auto bob = index_->find_jid("bb302@cam.example");
  ASSERT_TRUE(bob.has_value());
  EXPECT_EQ(index_->person(*bob).uid, "bb302");
  EXPECT_EQ(index_->person(*bob).affiliation, Affiliation::staff);
  EXPECT_FALSE(index_->find_jid("bb302@other.example").has_value());
  EXPECT_FALSE(index_->find_jid("bb30@cam.example").has_value());
  EXPECT_FALSE(index_->find_jid("").has_value());
}

TEST_F(PeopleIndexTest, APersonRemovedWithWithoutIsFoundByNothing) {
  // An opt-out: Bob Brown is gone from the copy at once; the original is untouched.
  auto original = index_;
  index_ = original->without("bb302");
  EXPECT_EQ(find_name("brown"), (Uids{"ab201"}));
  EXPECT_EQ(find({{SearchField::crsid, "bb302"}}), Uids{});
  EXPECT_EQ(find({{SearchField::email, "cam"}}),
            (Uids{"ab201", "jg101", "mo403", "sa555", "ws606", "zz999"}));
  EXPECT_EQ(find({{SearchField::name, "brown"}}, "CST"), Uids{"ab201"});
  EXPECT_FALSE(index_->find_uid("bb302").has_value());
  EXPECT_FALSE(index_->find_jid("bb302@cam.example").has_value());
  EXPECT_EQ(index_->size(), 6u);
  // Removals add up, and an unknown uid changes nothing.
  index_ = index_->without("jg101")->without("nobody");
  EXPECT_EQ(index_->size(), 5u);
  EXPECT_EQ(find({{SearchField::email, "cam"}}),
            (Uids{"ab201", "mo403", "sa555", "ws606", "zz999"}));
  // Paging after a removed person's uid says the anchor is unknown, as after a reload.
  auto check = compile_query({{{SearchField::email, "cam"}}, {}, {}}, QueryLimits{});
  EXPECT_TRUE(
      index_->search(*check.query, PageRequest{2, std::string("bb302"), {}, {}}).unknown_anchor);
  index_ = original;
  EXPECT_EQ(find_name("brown"), (Uids{"ab201", "bb302"}));
  EXPECT_EQ(original->size(), 7u);
}

TEST_F(PeopleIndexTest, ResultsAreOrderedBySurnameThenGivenName) {
  // Input order was García, Brown Alice, Brown Bob, O'Brien, Zhang, Saint-Andre, Wang.
  EXPECT_EQ(find({{SearchField::email, "cam"}}),
            (Uids{"ab201", "bb302", "jg101", "mo403", "sa555", "ws606", "zz999"}));
}

TEST(PeopleQuery, RejectsQueriesWithoutATwoLetterWord) {
  QueryLimits limits;
  EXPECT_EQ(compile_query({{{SearchField::name, "a"}}, {}, {}}, limits).problem,
            QueryProblem::too_short);
  EXPECT_EQ(compile_query({{{SearchField::name, "a b"}}, {}, {}}, limits).problem,
            QueryProblem::too_short);
  EXPECT_EQ(compile_query({{{SearchField::name, "é"}}, {}, {}}, limits).problem,
            QueryProblem::too_short);
  EXPECT_EQ(compile_query({{{SearchField::name, "  "}}, {}, {}}, limits).problem,
            QueryProblem::empty);
  EXPECT_EQ(compile_query({{}, "TRIN", Affiliation::staff}, limits).problem, QueryProblem::empty);
  auto ok = compile_query({{{SearchField::name, "j smith"}}, {}, {}}, limits);
  ASSERT_EQ(ok.problem, QueryProblem::none);
  ASSERT_EQ(ok.query->words.size(), 2u);
  EXPECT_EQ(ok.query->words[0].text, "smith");
  EXPECT_FALSE(ok.query->words[0].prefix_only);
  EXPECT_EQ(ok.query->words[1].text, "j");
  EXPECT_TRUE(ok.query->words[1].prefix_only);
  auto three = compile_query({{{SearchField::name, "ab"}}, {}, {}}, QueryLimits{3, 8, 256});
  EXPECT_EQ(three.problem, QueryProblem::too_short);
  EXPECT_EQ(three.message, "Type at least 3 letters of a name, CRSid or email address");
}

TEST(PeopleQuery, BoundsTheWorkOneQueryCanAskFor) {
  QueryLimits limits;
  EXPECT_EQ(
      compile_query({{{SearchField::name, "aa bb cc dd ee ff gg hh ii"}}, {}, {}}, limits).problem,
      QueryProblem::too_many_words);
  EXPECT_EQ(compile_query({{{SearchField::name, std::string(300, 'x')}}, {}, {}}, limits).problem,
            QueryProblem::too_long);
  // Repeated words count once.
  auto dup = compile_query({{{SearchField::name, "ann ann ANN"}}, {}, {}}, limits);
  ASSERT_EQ(dup.problem, QueryProblem::none);
  EXPECT_EQ(dup.query->words.size(), 1u);
}

// Many people with the same surname, to page through.
class PagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Person> people;
    for (int i = 0; i < 130; ++i) {
      char uid[16];
      std::snprintf(uid, sizeof uid, "sm%03d", i);
      // Given names in reverse order of uid, so sorting is by name, not by input order.
      char given[16];
      std::snprintf(given, sizeof given, "Given%03d", 999 - i);
      people.push_back(person(uid, given, "Smith"));
    }
    people.push_back(person("xx001", "Other", "Person"));
    index_ = PeopleIndex::build(people, {});
    query_ = *compile_query({{{SearchField::last, "smith"}}, {}, {}}, QueryLimits{}).query;
  }
  std::vector<std::string> uids(const SearchPage& p) {
    std::vector<std::string> out;
    for (auto id : p.ids) out.emplace_back(index_->person(id).uid);
    return out;
  }
  std::shared_ptr<const PeopleIndex> index_;
  CompiledQuery query_;
};

TEST_F(PagingTest, PagesForwardWithAfterWithoutGapsOrRepeats) {
  std::vector<std::string> all;
  std::optional<std::string> after;
  std::size_t expected_index = 0;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = index_->search(query_, PageRequest{50, after, {}, {}});
    EXPECT_EQ(page.count, 130u);
    if (page.ids.empty()) break;
    EXPECT_EQ(page.first_index, expected_index);
    expected_index += page.ids.size();
    auto u = uids(page);
    all.insert(all.end(), u.begin(), u.end());
    after = u.back();
  }
  ASSERT_EQ(all.size(), 130u);
  // Result order is by given name (the surname is the same): sm129 has Given870.
  EXPECT_EQ(all.front(), "sm129");
  EXPECT_EQ(all.back(), "sm000");
  std::vector<std::string> sorted = all;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
}

TEST_F(PagingTest, LastPageAndPreviousPageWithBefore) {
  auto last = index_->search(query_, PageRequest{50, {}, std::string(), {}});
  ASSERT_EQ(last.ids.size(), 50u);
  EXPECT_EQ(last.first_index, 80u);
  EXPECT_EQ(uids(last).back(), "sm000");
  auto previous = index_->search(query_, PageRequest{50, {}, uids(last).front(), {}});
  ASSERT_EQ(previous.ids.size(), 50u);
  EXPECT_EQ(previous.first_index, 30u);
  EXPECT_EQ(previous.ids.back() + 1, last.ids.front());
  auto first = index_->search(query_, PageRequest{50, {}, uids(previous).front(), {}});
  EXPECT_EQ(first.ids.size(), 30u);
  EXPECT_EQ(first.first_index, 0u);
  EXPECT_EQ(uids(first).front(), "sm129");
}

TEST_F(PagingTest, PageByIndexAndCountOnly) {
  auto at = index_->search(query_, PageRequest{10, {}, {}, 125});
  EXPECT_EQ(at.first_index, 125u);
  EXPECT_EQ(at.ids.size(), 5u);
  EXPECT_EQ(uids(at).back(), "sm000");
  auto beyond = index_->search(query_, PageRequest{10, {}, {}, 130});
  EXPECT_TRUE(beyond.ids.empty());
  EXPECT_EQ(beyond.count, 130u);
  auto count_only = index_->search(query_, PageRequest{0, {}, {}, {}});
  EXPECT_TRUE(count_only.ids.empty());
  EXPECT_EQ(count_only.count, 130u);
}

TEST_F(PagingTest, CapLimitsTheFirstPage) {
  auto page = index_->search(query_, PageRequest{50, {}, {}, {}});
  EXPECT_EQ(page.ids.size(), 50u);
  EXPECT_EQ(page.count, 130u);
}

TEST_F(PagingTest, AnAnchorThatLeftTheDirectoryIsReported) {
  auto page = index_->search(query_, PageRequest{10, std::string("gone99"), {}, {}});
  EXPECT_TRUE(page.unknown_anchor);
  EXPECT_TRUE(page.ids.empty());
}

TEST_F(PagingTest, PagesStayStableAcrossARebuildWithNewPeople) {
  // A resync adds people: a page asked for "after X" still continues right after X.
  auto first = index_->search(query_, PageRequest{50, {}, {}, {}});
  std::string last_uid = uids(first).back();
  std::vector<Person> people;
  for (int i = 0; i < 130; ++i) {
    char uid[16], given[16];
    std::snprintf(uid, sizeof uid, "sm%03d", i);
    std::snprintf(given, sizeof given, "Given%03d", 999 - i);
    people.push_back(person(uid, given, "Smith"));
  }
  people.push_back(person("aa000", "Aaron", "Smith"));  // sorts before everyone
  auto rebuilt = PeopleIndex::build(people, {});
  auto second = rebuilt->search(query_, PageRequest{50, last_uid, {}, {}});
  ASSERT_FALSE(second.ids.empty());
  EXPECT_EQ(second.first_index, 51u);
  auto prev = *rebuilt->find_uid(last_uid);
  EXPECT_EQ(second.ids.front(), prev + 1);
}

TEST(PeopleIndexBuild, SkipsPeopleWithoutUidOrJidAndRepeatedUids) {
  std::vector<Person> people = {person("aa1", "Ann", "One"), person("aa1", "Ann", "Duplicate"),
                                person("", "No", "Uid")};
  people.push_back(person("aa2", "Ann", "Two"));
  people.back().jid.clear();
  auto index = PeopleIndex::build(people, {});
  EXPECT_EQ(index->size(), 1u);
  EXPECT_EQ(index->person(0).family_name, "One");
  EXPECT_GT(index->memory_bytes(), 0u);
}

TEST(PeopleIndexBuild, EmptyDirectoryAnswersEmpty) {
  auto index = PeopleIndex::build({}, {});
  auto q = *compile_query({{{SearchField::name, "ann"}}, {}, {}}, QueryLimits{}).query;
  auto page = index->search(q, PageRequest{});
  EXPECT_EQ(page.count, 0u);
  EXPECT_TRUE(page.ids.empty());
}

}  // namespace
