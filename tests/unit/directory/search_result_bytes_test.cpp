// Search results are written straight to bytes (xmpp::XmlFragmentWriter) rather than built
// as an element tree: the answer must be byte for byte the tree's, and must parse back to
// the people found, whatever their names hold (markup characters, quotes, other scripts).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "directory/directory_search.hpp"
#include "directory/people_index.hpp"
#include "directory/search_protocol.hpp"
#include "directory/search_service.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/payloads/data_form.hpp"
#include "xmpp/payloads/rsm.hpp"
#include "xmpp/serializer.hpp"

using namespace commonroom::directory;
using commonroom::xmpp::DataForm;
using commonroom::xmpp::Element;
using commonroom::xmpp::FieldType;
using commonroom::xmpp::FormField;
using commonroom::xmpp::parse_data_form;
using commonroom::xmpp::parse_element;
using commonroom::xmpp::to_string;
namespace ns = commonroom::xmpp::ns;

namespace {

Person person(std::string uid, std::string given, std::string sn, std::string display,
              std::string mail, Affiliation aff, std::vector<std::string> insts) {
  Person p;
  p.uid = uid;
  p.jid = uid + "@cam.example";
  p.given_name = std::move(given);
  p.sn = std::move(sn);
  p.cn = p.given_name + " " + p.sn;
  p.display_name = std::move(display);
  p.mail = std::move(mail);
  p.affiliation = aff;
  p.institutions = std::move(insts);
  return p;
}

std::vector<Person> people() {
  std::vector<Person> out = {
      person("ob101", "Siobhán", "O'Brien & <Co>", "Siobhán O'Brien & <Co> \"Ltd\"",
             "o'brien&co@cam.ac.uk", Affiliation::staff, {"JOHNS", "CST"}),
      person("ww202", "伟", "王", "王伟 (Wei Wang)", "", Affiliation::other, {}),
      person("zn303", "Zoë", "Ñúñez", "Zoë Ñúñez", "zn303@cam.ac.uk", Affiliation::student,
             {"JOHNS"}),
      person("iv404", "Иван", "Brienov", "Иван Brienov\tTab", "iv404@cam.ac.uk",
             Affiliation::student, {"UNLISTED"}),
  };
  // Enough Smiths for a capped first page and further pages.
  for (int i = 0; i < 70; ++i) {
    char uid[16], given[16];
    std::snprintf(uid, sizeof uid, "sm%03d", i);
    std::snprintf(given, sizeof given, "Sam%03d", i);
    out.push_back(person(uid, given, "Smith", std::string(given) + " Smith",
                         std::string(uid) + "@cam.ac.uk", Affiliation::student, {"KINGS"}));
  }
  return out;
}

std::vector<Institution> institutions() {
  return {{"JOHNS", "St John's College & <Catz>"},
          {"KINGS", "King's College"},
          {"CST", "Department of Computer Science and Technology"}};
}

FormField reported_field(std::string var, FieldType type, std::string label) {
  FormField f;
  f.var = std::move(var);
  f.type = type;
  f.label = std::move(label);
  return f;
}

// The answer as an element tree: how search_result_query built it before the rows were
// written as bytes, kept here as the reference the bytes must equal.
Element tree_result_query(const SearchSubmission& request, const PeopleIndex& index,
                          const SearchPage& page) {
  Element query("query", std::string(ns::search));
  if (request.format == SearchFormat::legacy) {
    for (uint32_t id : page.ids) {
      PersonView p = index.person(id);
      Element& item = query.add_child("item");
      item.set_attr("jid", p.jid);
      item.add_text_child("first", p.given_name);
      item.add_text_child("last", p.family_name);
      item.add_text_child("nick", p.uid);
      item.add_text_child("email", p.mail);
    }
  } else {
    DataForm form;
    form.type = commonroom::xmpp::FormType::result;
    form.set_form_type(std::string(ns::search));
    if (page.count == 0) {
      form.title = "Nobody found";
    } else if (page.ids.size() < page.count) {
      form.title = std::to_string(page.count) + " people found; showing " +
                   std::to_string(page.first_index + 1) + "-" +
                   std::to_string(page.first_index + page.ids.size());
    } else {
      form.title =
          std::to_string(page.count) + (page.count == 1 ? " person found" : " people found");
    }
    form.reported = {
        reported_field("jid", FieldType::jid_single, "Jabber ID"),
        reported_field("name", FieldType::text_single, "Name"),
        reported_field("email", FieldType::text_single, "Email address"),
        reported_field("institution", FieldType::text_single, "Institutions"),
        reported_field("affiliation", FieldType::text_single, "Staff or student"),
    };
    const auto& insts = index.institutions();
    for (uint32_t id : page.ids) {
      PersonView p = index.person(id);
      auto cell = [](std::string var, std::vector<std::string> values) {
        FormField f;
        f.var = std::move(var);
        f.values = std::move(values);
        return f;
      };
      std::string inst_names;
      for (uint32_t i : p.institutions)
        inst_names += (inst_names.empty() ? "" : "; ") + insts[i].name;
      form.items.push_back({
          cell("jid", {std::string(p.jid)}),
          cell("name", {std::string(p.display_name)}),
          cell("email", {std::string(p.mail)}),
          cell("institution", {inst_names}),
          cell("affiliation",
               {p.affiliation == Affiliation::other ? "" : std::string(to_string(p.affiliation))}),
      });
    }
    query.add_child(commonroom::xmpp::to_element(form));
  }
  if (request.rsm || page.ids.size() < page.count) {
    commonroom::xmpp::RsmSet set;
    if (!page.ids.empty()) {
      set.first = std::string(index.person(page.ids.front()).uid);
      set.first_index = static_cast<uint32_t>(page.first_index);
      set.last = std::string(index.person(page.ids.back()).uid);
    }
    set.count = static_cast<uint32_t>(page.count);
    query.add_child(commonroom::xmpp::to_element(set));
  }
  return query;
}

class SearchResultBytes : public ::testing::Test {
 protected:
  SearchResultBytes() : index_(PeopleIndex::build(people(), institutions())) {}

  SearchPage find(const std::string& name, PageRequest page = {}) {
    QueryCheck check = compile_query({{{SearchField::name, name}}, {}, {}}, {});
    EXPECT_TRUE(check.query) << check.message;
    return index_->search(*check.query, page);
  }

  void expect_same_bytes(const SearchSubmission& request, const SearchPage& page) {
    // Serialized as it is inside the iq (parent namespace jabber:component:accept).
    EXPECT_EQ(to_string(search_result_query(request, *index_, page)),
              to_string(tree_result_query(request, *index_, page)));
  }

  std::shared_ptr<const PeopleIndex> index_;
};

SearchSubmission submission(SearchFormat format, bool with_rsm = false) {
  SearchSubmission s;
  s.format = format;
  if (with_rsm) s.rsm = commonroom::xmpp::RsmSet{};
  return s;
}

// Field var -> values of each result item in a parsed form answer.
using Row = std::map<std::string, std::vector<std::string>>;
std::vector<Row> rows_of(const Element& iq) {
  const Element* q = iq.find_child("query", ns::search);
  const Element* x = q ? q->find_child("x", ns::data_forms) : nullptr;
  if (!x) {
    ADD_FAILURE() << "no form in " << to_string(iq);
    return {};
  }
  std::vector<Row> rows;
  for (const auto& item : parse_data_form(*x).items) {
    Row row;
    for (const auto& f : item) row[f.var] = f.values;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

TEST_F(SearchResultBytes, FormAnswerIsByteForByteTheElementTreeAnswer) {
  for (const char* name : {"brien", "wang", "nunez", "smith", "qqxz"}) {
    SCOPED_TRACE(name);
    expect_same_bytes(submission(SearchFormat::form), find(name));
    expect_same_bytes(submission(SearchFormat::form, true), find(name));
  }
  // A later page, and a page cut at the cap (the title and <set/> say so).
  expect_same_bytes(submission(SearchFormat::form, true), find("smith", {20, "sm019", {}, {}}));
  expect_same_bytes(submission(SearchFormat::form), find("smith", {50, {}, {}, {}}));
}

TEST_F(SearchResultBytes, LegacyAnswerIsByteForByteTheElementTreeAnswer) {
  for (const char* name : {"brien", "wang", "nunez", "smith", "qqxz"}) {
    SCOPED_TRACE(name);
    expect_same_bytes(submission(SearchFormat::legacy), find(name));
    expect_same_bytes(submission(SearchFormat::legacy, true), find(name));
  }
}

TEST_F(SearchResultBytes, FormAnswerParsesBackToThePeopleFound) {
  PeopleIndexHolder holder;
  holder.publish(index_);
  SearchService service({"directory.cam.example", "test", {}}, holder);
  auto fx = service.handle(
      parse_element("<iq type='set' from='romeo@cam.example/a' to='directory.cam.example' "
                    "id='s1'><query xmlns='jabber:iq:search'>"
                    "<x xmlns='jabber:x:data' type='submit'><field var='name'><value>brien"
                    "</value></field></x></query></iq>"),
      {});
  ASSERT_EQ(fx.outbound.size(), 1u);
  std::vector<Row> rows = rows_of(parse_element(to_string(fx.outbound.front())));
  ASSERT_EQ(rows.size(), 2u);
  // Result order is by surname: Brienov, then O'Brien & <Co>.
  EXPECT_EQ(rows[0], (Row{{"jid", {"iv404@cam.example"}},
                          {"name", {"Иван Brienov\tTab"}},
                          {"email", {"iv404@cam.ac.uk"}},
                          {"institution", {"UNLISTED"}},
                          {"affiliation", {"student"}}}));
  EXPECT_EQ(rows[1],
            (Row{{"jid", {"ob101@cam.example"}},
                 {"name", {"Siobhán O'Brien & <Co> \"Ltd\""}},
                 {"email", {"o'brien&co@cam.ac.uk"}},
                 // In the order Lookup lists them, in one value.
                 {"institution",
                  {"St John's College & <Catz>; Department of Computer Science and Technology"}},
                 {"affiliation", {"staff"}}}));
}

TEST_F(SearchResultBytes, EmptyFieldsComeBackEmptyNotMissing) {
  // No mail, no institution, no affiliation: each reported field is still in the item.
  PeopleIndexHolder holder;
  holder.publish(index_);
  SearchService service({"directory.cam.example", "test", {}}, holder);
  auto fx = service.handle(
      parse_element("<iq type='set' from='romeo@cam.example/a' to='directory.cam.example' "
                    "id='s2'><query xmlns='jabber:iq:search'>"
                    "<x xmlns='jabber:x:data' type='submit'><field var='name'><value>王伟"
                    "</value></field></x></query></iq>"),
      {});
  ASSERT_EQ(fx.outbound.size(), 1u);
  std::vector<Row> rows = rows_of(parse_element(to_string(fx.outbound.front())));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("name"), std::vector<std::string>{"王伟 (Wei Wang)"});
  EXPECT_EQ(rows[0].at("email"), std::vector<std::string>{""});
  EXPECT_EQ(rows[0].at("institution"), std::vector<std::string>{""});
  EXPECT_EQ(rows[0].at("affiliation"), std::vector<std::string>{""});
  EXPECT_EQ(rows[0].size(), 5u);
}

TEST_F(SearchResultBytes, LegacyAnswerParsesBackToThePeopleFound) {
  PeopleIndexHolder holder;
  holder.publish(index_);
  SearchService service({"directory.cam.example", "test", {}}, holder);
  auto fx = service.handle(
      parse_element("<iq type='set' from='romeo@cam.example/a' to='directory.cam.example' "
                    "id='s3'><query xmlns='jabber:iq:search'><last>o'brien</last>"
                    "</query></iq>"),
      {});
  ASSERT_EQ(fx.outbound.size(), 1u);
  Element reply = parse_element(to_string(fx.outbound.front()));
  const Element* q = reply.find_child("query", ns::search);
  ASSERT_NE(q, nullptr);
  auto items = q->children("item", ns::search);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]->attr("jid"), "ob101@cam.example");
  EXPECT_EQ(items[0]->child_text("first", ns::search), "Siobhán");
  EXPECT_EQ(items[0]->child_text("last", ns::search), "O'Brien & <Co>");
  EXPECT_EQ(items[0]->child_text("nick", ns::search), "ob101");
  EXPECT_EQ(items[0]->child_text("email", ns::search), "o'brien&co@cam.ac.uk");
}
