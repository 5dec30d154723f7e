// An answer's items are cut to a byte budget (SearchSettings::page_bytes) so that, through
// Prosody, an answer is one write and never waits for the client's delayed ACK. What a user
// must still get: a page that says how many were found and which it shows, paging on (or
// back) that skips nobody, and at least one person however long their entry is.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "directory/directory_search.hpp"
#include "directory/people_index.hpp"
#include "directory/search_service.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/payloads/data_form.hpp"
#include "xmpp/payloads/rsm.hpp"
#include "xmpp/serializer.hpp"

using namespace commonroom::directory;
using commonroom::xmpp::Element;
using commonroom::xmpp::parse_data_form;
using commonroom::xmpp::parse_element;
using commonroom::xmpp::parse_rsm_set;
using commonroom::xmpp::RsmSet;
using commonroom::xmpp::to_string;
namespace ns = commonroom::xmpp::ns;

namespace {

constexpr std::size_t kProsodyWriteBytes = 8192;

Person person(const std::string& uid, const std::string& given, const std::string& sn,
              const std::string& display, std::vector<std::string> insts) {
  Person p;
  p.uid = uid;
  p.jid = uid + "@cam.example";
  p.given_name = given;
  p.sn = sn;
  p.cn = given + " " + sn;
  p.display_name = display;
  p.mail = uid + "@cam.ac.uk";
  p.affiliation = Affiliation::staff;
  p.institutions = std::move(insts);
  return p;
}

// 60 fellows with long display names in four long-named institutions each (~600 bytes a
// row), and 30 Smiths with short entries (~300 bytes a row).
std::vector<Person> people() {
  std::vector<Person> out;
  for (int i = 0; i < 60; ++i) {
    char uid[16], given[32];
    std::snprintf(uid, sizeof uid, "fe%03d", i);
    std::snprintf(given, sizeof given, "Philippa%03d", i);
    out.push_back(person(
        uid, given, "Fellowes-Montgomery",
        std::string("Professor Dame ") + given + " Alexandra Fellowes-Montgomery FRS FBA FMedSci",
        {"CST", "PHYS", "MATHS", "CLARE"}));
  }
  for (int i = 0; i < 30; ++i) {
    char uid[16], given[16];
    std::snprintf(uid, sizeof uid, "sm%03d", i);
    std::snprintf(given, sizeof given, "Sam%03d", i);
    out.push_back(person(uid, given, "Smith", std::string(given) + " Smith", {"KINGS"}));
  }
  return out;
}

std::vector<Institution> institutions() {
  return {{"CST", "Department of Computer Science and Technology"},
          {"PHYS", "Department of Physics (Cavendish Laboratory)"},
          {"MATHS", "Department of Applied Mathematics and Theoretical Physics"},
          {"CLARE", "Clare College"},
          {"KINGS", "King's College"}};
}

struct Answer {
  std::size_t bytes = 0;
  std::string title;
  std::vector<std::string> jids;
  RsmSet set;
  bool has_set = false;
};

class SearchPageBytes : public ::testing::Test {
 protected:
  SearchPageBytes() { holder_.publish(PeopleIndex::build(people(), institutions())); }

  // A form search for `name`; `rsm` is the inside of a <set/> (none when empty).
  Answer search(const std::string& name, const std::string& rsm = "",
                std::size_t page_bytes = SearchSettings{}.page_bytes) {
    SearchServiceConfig config{"directory.cam.example", "test", {}};
    config.search.page_bytes = page_bytes;
    config.search.rate_limit = 0;
    SearchService service(config, holder_);
    std::string set =
        rsm.empty() ? "" : "<set xmlns='http://jabber.org/protocol/rsm'>" + rsm + "</set>";
    auto fx = service.handle(
        parse_element("<iq type='set' from='romeo@cam.example/a' to='directory.cam.example' "
                      "id='s1'><query xmlns='jabber:iq:search'>"
                      "<x xmlns='jabber:x:data' type='submit'><field var='name'><value>" +
                      name + "</value></field></x>" + set + "</query></iq>"),
        {});
    Answer answer;
    if (fx.outbound.size() != 1u) {
      ADD_FAILURE() << "expected one answer";
      return answer;
    }
    const std::string wire = to_string(fx.outbound.front());
    answer.bytes = wire.size();
    Element iq = parse_element(wire);
    const Element* q = iq.find_child("query", ns::search);
    const Element* x = q ? q->find_child("x", ns::data_forms) : nullptr;
    if (!x) {
      ADD_FAILURE() << "no form in " << wire;
      return answer;
    }
    auto form = parse_data_form(*x);
    answer.title = form.title;
    for (const auto& item : form.items)
      for (const auto& f : item)
        if (f.var == "jid") answer.jids.push_back(f.values.at(0));
    if (const Element* s = q->find_child("set", ns::rsm)) {
      answer.set = parse_rsm_set(*s);
      answer.has_set = true;
    }
    return answer;
  }

  PeopleIndexHolder holder_;
};

std::string uid_of(const std::string& jid) {
  return jid.substr(0, jid.find('@'));
}

}  // namespace

TEST_F(SearchPageBytes, ADefaultPageOfLongEntriesFitsOneHostWriteAndSaysWhatItShows) {
  Answer a = search("fellowes");
  EXPECT_LT(a.bytes, kProsodyWriteBytes);
  ASSERT_GE(a.jids.size(), 1u);
  EXPECT_LT(a.jids.size(), 20u) << "long entries must not all fit";
  EXPECT_EQ(a.title, "60 people found; showing 1-" + std::to_string(a.jids.size()));
  ASSERT_TRUE(a.has_set);
  EXPECT_EQ(a.set.count, 60u);
  EXPECT_EQ(a.set.first_index, 0u);
  EXPECT_EQ(a.set.last, uid_of(a.jids.back()));
}

TEST_F(SearchPageBytes, ADefaultPageOfShortEntriesIsStillTwentyPeople) {
  Answer a = search("smith");
  EXPECT_EQ(a.jids.size(), 20u);
  EXPECT_EQ(a.title, "30 people found; showing 1-20");
  EXPECT_LT(a.bytes, kProsodyWriteBytes);
}

TEST_F(SearchPageBytes, PagingOnFromLastSkipsNobodyAndEveryPageFits) {
  std::vector<std::string> seen;
  std::string after;
  for (int pages = 0; pages < 60 && seen.size() < 60; ++pages) {
    Answer a =
        search("fellowes", "<max>50</max>" + (after.empty() ? "" : "<after>" + after + "</after>"));
    ASSERT_FALSE(a.jids.empty());
    EXPECT_LT(a.bytes, kProsodyWriteBytes);
    EXPECT_EQ(a.set.first_index.value_or(0), seen.size());
    seen.insert(seen.end(), a.jids.begin(), a.jids.end());
    after = a.set.last.value_or("");
  }
  ASSERT_EQ(seen.size(), 60u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 60u);
  EXPECT_EQ(seen.front(), "fe000@cam.example");
  EXPECT_EQ(seen.back(), "fe059@cam.example");
}

TEST_F(SearchPageBytes, PagingBackFromTheEndKeepsThePeopleNextToTheAnchor) {
  std::vector<std::string> seen;  // in result order, built from the back
  std::string before;             // "" asks for the last page
  for (int pages = 0; pages < 60 && seen.size() < 60; ++pages) {
    Answer a = search("fellowes", "<max>50</max><before>" + before + "</before>");
    ASSERT_FALSE(a.jids.empty());
    EXPECT_LT(a.bytes, kProsodyWriteBytes);
    // The page ends right before the anchor: nobody between it and the anchor is skipped.
    EXPECT_EQ(a.set.first_index.value_or(0) + a.jids.size(), 60u - seen.size());
    seen.insert(seen.begin(), a.jids.begin(), a.jids.end());
    before = a.set.first.value_or("");
  }
  ASSERT_EQ(seen.size(), 60u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 60u);
  EXPECT_EQ(seen.front(), "fe000@cam.example");
  EXPECT_EQ(seen.back(), "fe059@cam.example");
}

TEST_F(SearchPageBytes, OnePersonLongerThanTheBudgetIsStillShown) {
  Answer a = search("fellowes", "", 100);
  ASSERT_EQ(a.jids.size(), 1u);
  EXPECT_EQ(a.jids.front(), "fe000@cam.example");
  EXPECT_EQ(a.title, "60 people found; showing 1-1");
  EXPECT_EQ(a.set.last, "fe000");
}
