// XEP-0055 search through the directory service, in the shapes of the XEP's examples,
// with XEP-0059 paging, access rules and the rate limit.
#include <gtest/gtest.h>

#include <chrono>
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
using commonroom::xmpp::DataForm;
using commonroom::xmpp::Element;
using commonroom::xmpp::parse_data_form;
using commonroom::xmpp::parse_element;
using commonroom::xmpp::parse_rsm_set;
using commonroom::xmpp::RsmSet;
using commonroom::xmpp::to_string;
namespace ns = commonroom::xmpp::ns;
using Time = std::chrono::system_clock::time_point;

namespace {

Person person(std::string uid, std::string given, std::string sn, Affiliation aff,
              std::vector<std::string> insts) {
  Person p;
  p.uid = uid;
  p.jid = uid + "@cam.example";
  p.given_name = given;
  p.sn = sn;
  p.cn = given + " " + sn;
  p.display_name = p.cn;
  p.mail = uid + "@cam.ac.uk";
  p.affiliation = aff;
  p.institutions = std::move(insts);
  return p;
}

std::vector<Person> directory_people() {
  std::vector<Person> people = {
      person("ab201", "Alice", "Brown", Affiliation::staff, {"CST", "TRIN"}),
      person("bb302", "Bob", "Brown", Affiliation::student, {"KINGS"}),
      person("jg101", "José", "García", Affiliation::staff, {"TRIN"}),
      person("tc404", "Tybalt", "Capulet", Affiliation::student, {}),
  };
  // Sixty Smiths, to page through.
  for (int i = 0; i < 60; ++i) {
    char uid[16], given[16];
    std::snprintf(uid, sizeof uid, "sm%03d", i);
    std::snprintf(given, sizeof given, "Sam%03d", i);
    people.push_back(person(uid, given, "Smith", Affiliation::student, {"KINGS"}));
  }
  return people;
}

class Xep0055Test : public ::testing::Test {
 protected:
  Xep0055Test() {
    holder_.publish(PeopleIndex::build(directory_people(),
                                       {{"TRIN", "Trinity College"},
                                        {"KINGS", "King's College"},
                                        {"CST", "Department of Computer Science and Technology"}}));
    reset({});
  }

  void reset(SearchSettings settings) {
    service_ = std::make_unique<SearchService>(
        SearchServiceConfig{"directory.cam.example", "0.1.0", std::move(settings)}, holder_);
  }

  // The reply as the client reads it: serialized and parsed back (result rows are written
  // as bytes, not as a tree).
  Element send(const std::string& xml, Time now = Time{}) {
    auto fx = service_->handle(parse_element(xml), now);
    if (fx.outbound.size() != 1) {
      ADD_FAILURE() << "expected one reply, got " << fx.outbound.size();
      return Element("none");
    }
    return parse_element(to_string(fx.outbound.front()));
  }

  // A search set from romeo with `payload` inside <query xmlns='jabber:iq:search'>.
  Element search(const std::string& payload, Time now = Time{},
                 const std::string& from = "romeo@cam.example/home") {
    return send("<iq type='set' from='" + from +
                    "' to='directory.cam.example' id='search2' xml:lang='en'>"
                    "<query xmlns='jabber:iq:search'>" +
                    payload + "</query></iq>",
                now);
  }
  static std::string form(const std::string& fields) {
    return "<x xmlns='jabber:x:data' type='submit'><field type='hidden' var='FORM_TYPE'>"
           "<value>jabber:iq:search</value></field>" +
           fields + "</x>";
  }
  static std::string field(const std::string& var, const std::string& value) {
    return "<field var='" + var + "'><value>" + value + "</value></field>";
  }
  static std::string rsm(const std::string& inner) {
    return "<set xmlns='http://jabber.org/protocol/rsm'>" + inner + "</set>";
  }

  static std::vector<std::string> legacy_nicks(const Element& reply) {
    std::vector<std::string> out;
    const Element* q = reply.find_child("query", ns::search);
    if (!q) return out;
    for (const Element* item : q->children("item", ns::search))
      out.push_back(item->child_text("nick", ns::search));
    return out;
  }
  static RsmSet result_set(const Element& reply) {
    const Element* q = reply.find_child("query", ns::search);
    const Element* set = q ? q->find_child("set", ns::rsm) : nullptr;
    if (!set) {
      ADD_FAILURE() << "no <set/> in " << to_string(reply);
      return {};
    }
    return parse_rsm_set(*set);
  }
  static std::string error_of(const Element& reply) {
    const Element* e = reply.find_child("error", ns::component_accept);
    if (!e) return "no error in " + to_string(reply);
    std::string out(e->attr("type"));
    for (const Element* c : e->child_elements())
      if (c->xmlns() == ns::stanzas && c->name() != "text") out += "/" + c->name();
    return out;
  }
  static std::string error_text(const Element& reply) {
    const Element* e = reply.find_child("error", ns::component_accept);
    return e ? e->child_text("text", ns::stanzas) : "";
  }

  PeopleIndexHolder holder_;
  std::unique_ptr<SearchService> service_;
};

TEST_F(Xep0055Test, DiscoAdvertisesSearchAndResultSetManagement) {
  Element r = send(
      "<iq type='get' from='romeo@cam.example/home' to='directory.cam.example' id='d1'>"
      "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  std::string xml = to_string(r);
  EXPECT_NE(xml.find("<identity category='directory' type='user'"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<feature var='jabber:iq:search'/>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<feature var='http://jabber.org/protocol/rsm'/>"), std::string::npos) << xml;
}

// Examples 1-2 and 6-7: one get returns the legacy fields and the form.
TEST_F(Xep0055Test, GetReturnsInstructionsLegacyFieldsAndTheSearchForm) {
  Element r = send(
      "<iq type='get' from='romeo@cam.example/home' to='directory.cam.example' id='search1' "
      "xml:lang='en'><query xmlns='jabber:iq:search'/></iq>");
  EXPECT_EQ(r.attr("type"), "result");
  EXPECT_EQ(r.attr("id"), "search1");
  EXPECT_EQ(r.attr("to"), "romeo@cam.example/home");
  const Element* q = r.find_child("query", ns::search);
  ASSERT_NE(q, nullptr);
  EXPECT_NE(q->child_text("instructions", ns::search).find("at least two letters"),
            std::string::npos);
  for (const char* legacy : {"first", "last", "nick", "email"})
    EXPECT_NE(q->find_child(legacy, ns::search), nullptr) << legacy;
  const Element* x = q->find_child("x", ns::data_forms);
  ASSERT_NE(x, nullptr);
  DataForm f = parse_data_form(*x);
  EXPECT_EQ(f.type, commonroom::xmpp::FormType::form);
  EXPECT_EQ(f.form_type(), "jabber:iq:search");
  EXPECT_EQ(f.field("FORM_TYPE")->type, commonroom::xmpp::FieldType::hidden);
  std::vector<std::string> vars;
  for (const auto& field : f.fields) vars.push_back(field.var);
  EXPECT_EQ(vars, (std::vector<std::string>{"FORM_TYPE", "name", "first", "last", "crsid", "email",
                                            "institution", "affiliation"}));
  const auto* inst = f.field("institution");
  EXPECT_EQ(inst->type, commonroom::xmpp::FieldType::list_single);
  std::vector<std::string> labels;
  for (const auto& o : inst->options) labels.push_back(o.label + "=" + o.value);
  EXPECT_EQ(labels, (std::vector<std::string>{"Any institution=any",
                                              "Department of Computer Science and Technology=CST",
                                              "King's College=KINGS", "Trinity College=TRIN"}));
  EXPECT_TRUE(f.field("affiliation")->has_option("staff"));
  EXPECT_TRUE(f.field("affiliation")->has_option("student"));
}

// Examples 3-4: a legacy search gets legacy items.
TEST_F(Xep0055Test, LegacySearchReturnsLegacyItems) {
  Element r = search("<last>Capulet</last>");
  EXPECT_EQ(to_string(r),
            "<iq to='romeo@cam.example/home' from='directory.cam.example' id='search2' "
            "type='result'><query xmlns='jabber:iq:search'><item jid='tc404@cam.example'>"
            "<first>Tybalt</first><last>Capulet</last><nick>tc404</nick>"
            "<email>tc404@cam.ac.uk</email></item></query></iq>");
}

// Example 5: no match is an empty <query/>.
TEST_F(Xep0055Test, NoMatchIsAnEmptyQuery) {
  EXPECT_EQ(to_string(search("<last>Montague</last>")),
            "<iq to='romeo@cam.example/home' from='directory.cam.example' id='search2' "
            "type='result'><query xmlns='jabber:iq:search'/></iq>");
}

TEST_F(Xep0055Test, LegacySearchIgnoresAccentsCaseAndFindsSubstrings) {
  EXPECT_EQ(legacy_nicks(search("<first>JOSE</first>")), std::vector<std::string>{"jg101"});
  EXPECT_EQ(legacy_nicks(search("<last>row</last>")), (std::vector<std::string>{"ab201", "bb302"}));
  EXPECT_EQ(legacy_nicks(search("<first>alice</first><last>brown</last>")),
            std::vector<std::string>{"ab201"});
  EXPECT_EQ(legacy_nicks(search("<nick>bb3</nick>")), std::vector<std::string>{"bb302"});
  EXPECT_EQ(legacy_nicks(search("<email>ab201@cam</email>")), std::vector<std::string>{"ab201"});
}

// Examples 8-9: a form search gets a result form, jid first in <reported/>.
TEST_F(Xep0055Test, FormSearchReturnsAResultFormWithTypedLabelledColumnsJidFirst) {
  Element r = search(form(field("name", "brown")));
  const Element* q = r.find_child("query", ns::search);
  ASSERT_NE(q, nullptr) << to_string(r);
  EXPECT_EQ(q->find_child("item", ns::search), nullptr);  // no legacy items in a form answer
  DataForm f = parse_data_form(*q->find_child("x", ns::data_forms));
  EXPECT_EQ(f.type, commonroom::xmpp::FormType::result);
  EXPECT_EQ(f.form_type(), "jabber:iq:search");
  ASSERT_FALSE(f.reported.empty());
  EXPECT_EQ(f.reported.front().var, "jid");
  EXPECT_EQ(f.reported.front().type, commonroom::xmpp::FieldType::jid_single);
  EXPECT_EQ(f.reported.front().label, "Jabber ID");
  std::vector<std::string> columns;
  for (const auto& c : f.reported) {
    columns.push_back(c.var);
    EXPECT_TRUE(c.type.has_value()) << c.var;
    EXPECT_FALSE(c.label.empty()) << c.var;
  }
  // What a person picks someone by; the name and the JID already show given name, family
  // name and CRSid.
  EXPECT_EQ(columns,
            (std::vector<std::string>{"jid", "name", "email", "institution", "affiliation"}));
  // Only column types every client's results table shows (Gajim skips text-multi).
  for (const auto& c : f.reported)
    EXPECT_TRUE(c.type == commonroom::xmpp::FieldType::jid_single ||
                c.type == commonroom::xmpp::FieldType::text_single)
        << c.var;
  ASSERT_EQ(f.items.size(), 2u);
  auto value = [](const std::vector<commonroom::xmpp::FormField>& item, std::string_view var) {
    for (const auto& fld : item)
      if (fld.var == var) return fld.values;
    return std::vector<std::string>{"<missing>"};
  };
  EXPECT_EQ(value(f.items[0], "jid"), std::vector<std::string>{"ab201@cam.example"});
  EXPECT_EQ(value(f.items[0], "name"), std::vector<std::string>{"Alice Brown"});
  EXPECT_EQ(
      value(f.items[0], "institution"),
      (std::vector<std::string>{"Department of Computer Science and Technology; Trinity College"}));
  EXPECT_EQ(value(f.items[0], "affiliation"), std::vector<std::string>{"staff"});
  EXPECT_EQ(value(f.items[1], "jid"), std::vector<std::string>{"bb302@cam.example"});
  // Every item carries every column.
  for (const auto& item : f.items) EXPECT_EQ(item.size(), f.reported.size());
}

TEST_F(Xep0055Test, FormSearchFiltersByInstitutionAndAffiliation) {
  auto jids = [](const Element& r) {
    std::vector<std::string> out;
    const Element* q = r.find_child("query", ns::search);
    DataForm f = parse_data_form(*q->find_child("x", ns::data_forms));
    for (const auto& item : f.items)
      for (const auto& fld : item)
        if (fld.var == "jid") out.push_back(fld.values.at(0));
    return out;
  };
  EXPECT_EQ(jids(search(form(field("last", "brown") + field("institution", "TRIN")))),
            std::vector<std::string>{"ab201@cam.example"});
  EXPECT_EQ(jids(search(form(field("last", "brown") + field("affiliation", "student")))),
            std::vector<std::string>{"bb302@cam.example"});
  EXPECT_EQ(jids(search(form(field("name", "brown") + field("institution", "any") +
                             field("affiliation", "any")))),
            (std::vector<std::string>{"ab201@cam.example", "bb302@cam.example"}));
}

TEST_F(Xep0055Test, FormWithAnInstitutionThatIsNotOfferedIsNotAcceptable) {
  Element r = search(form(field("last", "brown") + field("institution", "NOSUCH")));
  EXPECT_EQ(error_of(r), "modify/not-acceptable");
  EXPECT_NE(error_text(r).find("NOSUCH"), std::string::npos) << error_text(r);
}

TEST_F(Xep0055Test, CancelledFormGetsAnEmptyResult) {
  EXPECT_EQ(to_string(search("<x xmlns='jabber:x:data' type='cancel'/>")),
            "<iq to='romeo@cam.example/home' from='directory.cam.example' id='search2' "
            "type='result'><query xmlns='jabber:iq:search'/></iq>");
}

// XEP-0059 §2.1-2.2 through the search.
TEST_F(Xep0055Test, PagesForwardWithAfter) {
  Element first = search("<last>smith</last>" + rsm("<max>25</max>"));
  EXPECT_EQ(legacy_nicks(first).size(), 25u);
  RsmSet s1 = result_set(first);
  EXPECT_EQ(s1.first, "sm000");
  EXPECT_EQ(s1.first_index, 0u);
  EXPECT_EQ(s1.last, "sm024");
  EXPECT_EQ(s1.count, 60u);
  Element second = search("<last>smith</last>" + rsm("<max>25</max><after>sm024</after>"));
  RsmSet s2 = result_set(second);
  EXPECT_EQ(s2.first, "sm025");
  EXPECT_EQ(s2.first_index, 25u);
  EXPECT_EQ(legacy_nicks(second).front(), "sm025");
  Element third = search("<last>smith</last>" + rsm("<max>25</max><after>sm049</after>"));
  EXPECT_EQ(legacy_nicks(third).size(), 10u);
  EXPECT_EQ(result_set(third).last, "sm059");
  // Past the end: an empty page that still has the count, and no first/last.
  Element beyond = search("<last>smith</last>" + rsm("<max>25</max><after>sm059</after>"));
  EXPECT_TRUE(legacy_nicks(beyond).empty());
  RsmSet s4 = result_set(beyond);
  EXPECT_EQ(s4.count, 60u);
  EXPECT_FALSE(s4.first.has_value());
  EXPECT_FALSE(s4.last.has_value());
}

// XEP-0059 §2.3 and §2.5: backwards, and the last page.
TEST_F(Xep0055Test, PagesBackwardWithBeforeAndJumpsToTheLastPage) {
  Element last = search("<last>smith</last>" + rsm("<max>25</max><before/>"));
  RsmSet s = result_set(last);
  EXPECT_EQ(s.first, "sm035");
  EXPECT_EQ(s.first_index, 35u);
  EXPECT_EQ(s.last, "sm059");
  Element previous = search("<last>smith</last>" + rsm("<max>25</max><before>sm035</before>"));
  RsmSet p = result_set(previous);
  EXPECT_EQ(p.first, "sm010");
  EXPECT_EQ(p.last, "sm034");
  EXPECT_EQ(p.first_index, 10u);
}

TEST_F(Xep0055Test, PageByIndexAndCountOnly) {
  RsmSet at = result_set(search("<last>smith</last>" + rsm("<max>5</max><index>40</index>")));
  EXPECT_EQ(at.first, "sm040");
  EXPECT_EQ(at.first_index, 40u);
  Element count = search("<last>smith</last>" + rsm("<max>0</max>"));
  EXPECT_TRUE(legacy_nicks(count).empty());
  EXPECT_EQ(result_set(count).count, 60u);
}

TEST_F(Xep0055Test, FormResultsPageTooWithTheSetBesideTheForm) {
  Element r = search(form(field("last", "smith")) + rsm("<max>10</max><after>sm009</after>"));
  const Element* q = r.find_child("query", ns::search);
  ASSERT_NE(q, nullptr);
  DataForm f = parse_data_form(*q->find_child("x", ns::data_forms));
  EXPECT_EQ(f.items.size(), 10u);
  EXPECT_EQ(f.title, "60 people found; showing 11-20");
  RsmSet s = result_set(r);
  EXPECT_EQ(s.first, "sm010");
  EXPECT_EQ(s.first_index, 10u);
}

TEST_F(Xep0055Test, AnswersAreCappedAndSayThereIsMore) {
  // No RSM in the request: the default page (20), plus a <set/> telling the count and
  // where the page ends, so a client can ask for the next one.
  Element r = search("<last>smith</last>");
  EXPECT_EQ(legacy_nicks(r).size(), 20u);
  EXPECT_EQ(result_set(r).count, 60u);
  EXPECT_EQ(result_set(r).last, "sm019");
  Element next = search("<last>smith</last>" + rsm("<after>sm019</after>"));
  EXPECT_EQ(legacy_nicks(next).front(), "sm020");
  // A form answer says it in its title too.
  Element f = search(form(field("last", "smith")));
  EXPECT_EQ(
      parse_data_form(*f.find_child("query", ns::search)->find_child("x", ns::data_forms)).title,
      "60 people found; showing 1-20");
  // RSM may ask for more, up to the cap (50); a bigger <max/> gets the cap.
  EXPECT_EQ(legacy_nicks(search("<last>smith</last>" + rsm("<max>45</max>"))).size(), 45u);
  EXPECT_EQ(legacy_nicks(search("<last>smith</last>" + rsm("<max>500</max>"))).size(), 50u);
  SearchSettings small;
  small.max_results = 5;
  reset(small);
  EXPECT_EQ(legacy_nicks(search("<last>smith</last>")).size(), 5u);
  SearchSettings longer;
  longer.page_size = 30;
  reset(longer);
  EXPECT_EQ(legacy_nicks(search("<last>smith</last>")).size(), 30u);
}

TEST_F(Xep0055Test, ContinuingFromSomeoneWhoLeftTheDirectoryIsItemNotFound) {
  Element r = search("<last>smith</last>" + rsm("<max>10</max><after>gone99</after>"));
  EXPECT_EQ(error_of(r), "cancel/item-not-found");
}

TEST_F(Xep0055Test, MalformedResultSetIsBadRequest) {
  Element r = search("<last>smith</last>" + rsm("<max>ten</max>"));
  EXPECT_EQ(error_of(r), "modify/bad-request");
  EXPECT_NE(error_text(r).find("result set"), std::string::npos) << error_text(r);
}

TEST_F(Xep0055Test, OneLetterOrEmptySearchesAreNotAcceptableWithAReason) {
  Element one = search("<last>b</last>");
  EXPECT_EQ(error_of(one), "modify/not-acceptable");
  EXPECT_EQ(error_text(one), "Type at least 2 letters of a name, CRSid or email address");
  Element empty = search("<last>  </last>");
  EXPECT_EQ(error_of(empty), "modify/not-acceptable");
  EXPECT_NE(error_text(empty).find("Fill in at least one"), std::string::npos);
  Element filters_only = search(form(field("institution", "TRIN")));
  EXPECT_EQ(error_of(filters_only), "modify/not-acceptable");
  // An initial is fine next to a longer word.
  EXPECT_EQ(legacy_nicks(search("<first>b</first><last>brown</last>")),
            std::vector<std::string>{"bb302"});
}

TEST_F(Xep0055Test, UsersOfOtherDomainsAreForbidden) {
  Element r = search("<last>brown</last>", Time{}, "mallory@evil.example/x");
  EXPECT_EQ(error_of(r), "auth/forbidden");
  EXPECT_EQ(error_text(r), "The University directory can only be searched by cam.example users");
  Element get = send(
      "<iq type='get' from='mallory@evil.example/x' to='directory.cam.example' id='g'>"
      "<query xmlns='jabber:iq:search'/></iq>");
  EXPECT_EQ(error_of(get), "auth/forbidden");
  // A server (no user part) is not a user either.
  EXPECT_EQ(error_of(search("<last>brown</last>", Time{}, "cam.example")), "auth/forbidden");
  // Disco stays open to anyone.
  Element disco = send(
      "<iq type='get' from='mallory@evil.example/x' to='directory.cam.example' id='d'>"
      "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  EXPECT_EQ(disco.attr("type"), "result");
}

TEST_F(Xep0055Test, AllowedDomainsAreConfigurable) {
  SearchSettings s;
  s.allowed_domains = {"CAM.AC.UK", "partner.example"};
  reset(s);
  EXPECT_EQ(legacy_nicks(search("<last>capulet</last>", Time{}, "x@partner.example/r")),
            std::vector<std::string>{"tc404"});
  EXPECT_EQ(legacy_nicks(search("<last>capulet</last>", Time{}, "x@cam.ac.uk/r")),
            std::vector<std::string>{"tc404"});
  EXPECT_EQ(error_of(search("<last>capulet</last>", Time{}, "romeo@cam.example/home")),
            "auth/forbidden");
}

TEST_F(Xep0055Test, RateLimitPerUserWithAWaitError) {
  SearchSettings s;
  s.rate_limit = 6;  // one every ten seconds
  s.rate_burst = 3;
  reset(s);
  Time t0{std::chrono::hours(1000)};
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(search("<last>brown</last>", t0).attr("type"), "result") << i;
  Element limited = search("<last>brown</last>", t0);
  EXPECT_EQ(error_of(limited), "wait/policy-violation");
  EXPECT_EQ(error_text(limited), "Too many searches; try again in 10 seconds");
  // Another user is not affected; other resources of the same user are.
  EXPECT_EQ(search("<last>brown</last>", t0, "juliet@cam.example/balcony").attr("type"), "result");
  EXPECT_EQ(error_of(search("<last>brown</last>", t0, "romeo@cam.example/phone")),
            "wait/policy-violation");
  // Asking for the form is not a search.
  EXPECT_EQ(send("<iq type='get' from='romeo@cam.example/home' to='directory.cam.example' "
                 "id='g'><query xmlns='jabber:iq:search'/></iq>",
                 t0)
                .attr("type"),
            "result");
  EXPECT_EQ(search("<last>brown</last>", t0 + std::chrono::seconds(10)).attr("type"), "result");
}

TEST_F(Xep0055Test, BeforeTheDirectoryIsLoadedSearchesAreAskedToWait) {
  PeopleIndexHolder empty;
  service_ = std::make_unique<SearchService>(
      SearchServiceConfig{"directory.cam.example", "0.1.0", {}}, empty);
  EXPECT_EQ(error_of(search("<last>brown</last>")), "wait/resource-constraint");
  // The form is still offered, just without institutions.
  Element get = send(
      "<iq type='get' from='romeo@cam.example/home' to='directory.cam.example' id='g'>"
      "<query xmlns='jabber:iq:search'/></iq>");
  EXPECT_EQ(get.attr("type"), "result");
}

TEST_F(Xep0055Test, SearchesSeeANewSnapshotOnceItIsPublished) {
  EXPECT_TRUE(legacy_nicks(search("<last>montague</last>")).empty());
  auto people = directory_people();
  people.push_back(person("rm500", "Romeo", "Montague", Affiliation::student, {}));
  holder_.publish(PeopleIndex::build(people, {}));
  EXPECT_EQ(legacy_nicks(search("<last>montague</last>")), std::vector<std::string>{"rm500"});
}

}  // namespace
