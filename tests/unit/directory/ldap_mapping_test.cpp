// Entry -> Person mapping, JID template, filters and timestamps of the LDAP sync.
#include "directory/ldap_mapping.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace commonroom::directory {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

LdapEntry entry(std::vector<std::pair<std::string, std::vector<std::string>>> attrs) {
  LdapEntry e;
  e.dn = "uid=x,ou=people,o=University of Cambridge,dc=cam,dc=ac,dc=uk";
  e.attributes = std::move(attrs);
  return e;
}

Person map_person(const LdapEntry& e) {
  auto r = person_from_entry(e, AttributeMap{}, "{uid}@cam.ac.uk");
  EXPECT_TRUE(r.person.has_value()) << r.rejected;
  return r.person.value_or(Person{});
}

TEST(PersonMapping, MapsAFullLookupEntry) {
  auto p = map_person(entry({{"uid", {"abc123"}},
                             {"cn", {"Alice Brown"}},
                             {"sn", {"Brown"}},
                             {"givenName", {"Alice"}},
                             {"displayName", {"Dr Alice Brown"}},
                             {"mail", {"abc123@cam.ac.uk"}},
                             {"title", {"Senior Lecturer", "Fellow"}},
                             {"ou", {"Department of Computer Science and Technology"}},
                             {"instID", {"CST", "TRIN"}},
                             {"misAffiliation", {"staff"}},
                             {"modifyTimestamp", {"20240131120000Z"}}}));
  EXPECT_EQ(p.uid, "abc123");
  EXPECT_EQ(p.jid, "abc123@cam.ac.uk");
  EXPECT_EQ(p.cn, "Alice Brown");
  EXPECT_EQ(p.sn, "Brown");
  EXPECT_EQ(p.given_name, "Alice");
  EXPECT_EQ(p.display_name, "Dr Alice Brown");
  EXPECT_EQ(p.mail, "abc123@cam.ac.uk");
  EXPECT_EQ(p.title, "Senior Lecturer");
  EXPECT_EQ(p.affiliation, Affiliation::staff);
  EXPECT_THAT(p.institutions, ElementsAre("CST", "TRIN"));
  EXPECT_THAT(p.ous, ElementsAre("Department of Computer Science and Technology"));
  EXPECT_EQ(p.modify_timestamp, "20240131120000Z");
}

TEST(PersonMapping, AttributeNamesAreCaseInsensitive) {
  auto p = map_person(entry({{"UID", {"ABC123"}},
                             {"CN", {"Alice Brown"}},
                             {"instid", {"CST"}},
                             {"misaffiliation", {"Student"}}}));
  EXPECT_EQ(p.uid, "abc123");  // CRSids are lower case, whatever LDAP says
  EXPECT_EQ(p.jid, "abc123@cam.ac.uk");
  EXPECT_THAT(p.institutions, ElementsAre("CST"));
  EXPECT_EQ(p.affiliation, Affiliation::student);
}

TEST(PersonMapping, HiddenFieldsAreEmptyAndNamesAreDerived) {
  // What an anonymous bind sees for someone who hides most of their entry.
  auto p = map_person(entry({{"uid", {"zz999"}}, {"cn", {"Zoë Clarke"}}, {"sn", {"Clarke"}}}));
  EXPECT_EQ(p.given_name, "Zoë");
  EXPECT_EQ(p.display_name, "Zoë Clarke");
  EXPECT_EQ(p.mail, "");
  EXPECT_EQ(p.title, "");
  EXPECT_EQ(p.affiliation, Affiliation::other);
  EXPECT_TRUE(p.institutions.empty());
}

TEST(PersonMapping, FurtherCommonNamesAreKept) {
  auto p = map_person(
      entry({{"uid", {"ww283"}}, {"cn", {"Wang Wei", "王伟", "Wang Wei"}}, {"sn", {"Wang"}}}));
  EXPECT_EQ(p.cn, "Wang Wei");
  EXPECT_THAT(p.other_names, ElementsAre("王伟"));
  EXPECT_EQ(p.given_name, "Wei");  // family name first
}

TEST(PersonMapping, StaffWinsOverStudent) {
  auto p = map_person(entry({{"uid", {"ab1"}}, {"misAffiliation", {"student", "staff"}}}));
  EXPECT_EQ(p.affiliation, Affiliation::staff);
}

TEST(PersonMapping, RejectsEntriesWithoutAUsableUid) {
  auto none = person_from_entry(entry({{"cn", {"Nobody"}}}), AttributeMap{}, "{uid}@x.org");
  EXPECT_FALSE(none.person);
  EXPECT_THAT(none.rejected, HasSubstr("no uid"));
  auto bad = person_from_entry(entry({{"uid", {"a b@c"}}}), AttributeMap{}, "{uid}@x.org");
  EXPECT_FALSE(bad.person);
  EXPECT_THAT(bad.rejected, HasSubstr("not a CRSid-like"));
}

TEST(PersonMapping, AttributeMapRenamesSources) {
  AttributeMap map;
  map.uid = "sAMAccountName";
  map.mail = "userPrincipalName";
  auto r = person_from_entry(entry({{"sAMAccountName", {"jd42"}},
                                    {"userPrincipalName", {"jd42@example.ac.uk"}},
                                    {"mail", {"ignored@example.org"}}}),
                             map, "{uid}@chat.example.ac.uk");
  ASSERT_TRUE(r.person);
  EXPECT_EQ(r.person->jid, "jd42@chat.example.ac.uk");
  EXPECT_EQ(r.person->mail, "jd42@example.ac.uk");
}

TEST(PersonMapping, BadBytesAndControlCharactersAreCleaned) {
  auto p = map_person(entry({{"uid", {"ab1"}},
                             {"cn", {std::string("Ann\x00\nSmith", 10)}},
                             {"sn",
                              {"Sm\xff"
                               "ith"}}}));
  EXPECT_EQ(p.cn, "Ann  Smith");
  EXPECT_EQ(p.sn, "Sm\xEF\xBF\xBDith");  // U+FFFD
}

TEST(CleanText, CapsLengthOnACharacterBoundary) {
  // "é" is two bytes; a cap of 3 must not cut the second one in half.
  EXPECT_EQ(clean_text("éé", 3), "é");
  EXPECT_EQ(clean_text("  padded  "), "padded");
  EXPECT_EQ(clean_text("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(DeriveGivenName, TakesSurnameFromEitherEnd) {
  EXPECT_EQ(derive_given_name("Alice Brown", "Brown"), "Alice");
  EXPECT_EQ(derive_given_name("Mary Anne Smith-Jones", "smith-jones"), "Mary Anne");
  EXPECT_EQ(derive_given_name("Nguyễn Thị Hương", "Nguyễn"), "Thị Hương");
  EXPECT_EQ(derive_given_name("Brown", "Brown"), "");
  EXPECT_EQ(derive_given_name("Alice Browning", "Brown"), "");  // not a whole word
  EXPECT_EQ(derive_given_name("Alice Brown", ""), "");
}

TEST(JidTemplate, AcceptsOnlyOneUidPlaceholderAndADomain) {
  EXPECT_FALSE(check_jid_template("{uid}@cam.ac.uk"));
  EXPECT_FALSE(check_jid_template("{uid}@chat.cam.ac.uk"));
  EXPECT_THAT(check_jid_template("user@cam.ac.uk").value_or(""), HasSubstr("{uid}"));
  EXPECT_TRUE(check_jid_template("{uid}{uid}@cam.ac.uk"));
  EXPECT_TRUE(check_jid_template("{uid}@{domain}"));
  EXPECT_TRUE(check_jid_template("{uid}"));
  EXPECT_TRUE(check_jid_template("{uid}@cam.ac.uk/resource"));
  EXPECT_TRUE(check_jid_template("{uid}@"));
  EXPECT_EQ(apply_jid_template("{uid}@cam.ac.uk", "abc123"), "abc123@cam.ac.uk");
  EXPECT_EQ(apply_jid_template("cam-{uid}@example.org", "x1"), "cam-x1@example.org");
}

TEST(Institutions, MapIdAndName) {
  auto i = institution_from_entry(entry({{"instID", {"TRIN"}}, {"ou", {"Trinity College"}}}),
                                  AttributeMap{});
  ASSERT_TRUE(i);
  EXPECT_EQ(i->inst_id, "TRIN");
  EXPECT_EQ(i->name, "Trinity College");
  EXPECT_FALSE(institution_from_entry(entry({{"ou", {"No id"}}}), AttributeMap{}));
}

TEST(Groups, MembersAreNormalizedAndDeduplicated) {
  auto g = group_from_entry(entry({{"groupID", {"100001"}},
                                   {"groupTitle", {"Trinity College - members"}},
                                   {"uid", {"ABC123", "def456", "abc123", "not valid!"}}}),
                            AttributeMap{});
  ASSERT_TRUE(g);
  EXPECT_EQ(g->group_id, "100001");
  EXPECT_EQ(g->title, "Trinity College - members");
  EXPECT_THAT(g->members, ElementsAre("abc123", "def456"));
}

TEST(Attributes, AsksForTheOperationalTimestampByName) {
  auto a = people_attributes(AttributeMap{});
  EXPECT_THAT(a, ::testing::Contains("modifyTimestamp"));
  EXPECT_THAT(a, ::testing::Contains("instID"));
  // instID is used for people and institutions; asked for once.
  AttributeMap m;
  m.ou = "instID";
  auto b = people_attributes(m);
  EXPECT_EQ(std::count(b.begin(), b.end(), "instID"), 1);
}

TEST(GeneralizedTime, RoundTripsAndHonoursOffsets) {
  const auto t = std::chrono::system_clock::from_time_t(1706702400);  // 2024-01-31 12:00:00Z
  EXPECT_EQ(to_generalized_time(t), "20240131120000Z");
  EXPECT_EQ(parse_generalized_time("20240131120000Z"), t);
  EXPECT_EQ(parse_generalized_time("20240131120000.123Z"), t);
  EXPECT_EQ(parse_generalized_time("20240131130000+0100"), t);
  EXPECT_EQ(parse_generalized_time("2024013112Z"), t);
  EXPECT_FALSE(parse_generalized_time("20240131120000"));  // no zone
  EXPECT_FALSE(parse_generalized_time("20241331120000Z"));
  EXPECT_FALSE(parse_generalized_time("garbage"));
}

TEST(Filters, IncrementalFilterAddsTheTimestampCondition) {
  const auto t = std::chrono::system_clock::from_time_t(1706702400);
  EXPECT_EQ(incremental_filter("(uid=*)", "modifyTimestamp", t),
            "(&(uid=*)(modifyTimestamp>=20240131120000Z))");
  EXPECT_EQ(incremental_filter("objectClass=camLookupPerson", "modifyTimestamp", t),
            "(&(objectClass=camLookupPerson)(modifyTimestamp>=20240131120000Z))");
  EXPECT_EQ(escape_filter_value("a*(b)\\"), "a\\2a\\28b\\29\\5c");
}

TEST(DeletionValve, AllowsNormalChurnAndRefusesMassRemoval) {
  EXPECT_TRUE(check_deletions("people", 100000, 0, 20, false).allowed);
  EXPECT_TRUE(check_deletions("people", 100000, 1500, 20, false).allowed);
  EXPECT_TRUE(check_deletions("people", 100000, 20000, 20, false).allowed);  // exactly 20%
  auto refused = check_deletions("people", 100000, 20001, 20, false);
  EXPECT_FALSE(refused.allowed);
  EXPECT_THAT(refused.reason, HasSubstr("20001 of 100000 people"));
  EXPECT_THAT(refused.reason, HasSubstr("--full --force"));
  // An LDAP filter that suddenly matches nobody must not empty the directory.
  EXPECT_FALSE(check_deletions("people", 100000, 100000, 20, false).allowed);
  EXPECT_TRUE(check_deletions("people", 100000, 100000, 20, true).allowed);
  EXPECT_TRUE(check_deletions("people", 0, 0, 20, false).allowed);  // first sync
}

}  // namespace
}  // namespace commonroom::directory
