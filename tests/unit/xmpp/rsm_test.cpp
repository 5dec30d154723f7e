#include <gtest/gtest.h>

#include "xmpp/parse_element.hpp"
#include "xmpp/payloads/payload_error.hpp"
#include "xmpp/payloads/rsm.hpp"
#include "xmpp/serializer.hpp"

using namespace commonroom::xmpp;

namespace {

RsmSet parse(const std::string& xml) {
  return parse_rsm_set(parse_element(xml));
}

std::string problem(const std::string& xml) {
  try {
    parse(xml);
  } catch (const PayloadError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << xml;
  return {};
}

std::string rsm(const std::string& inner) {
  return "<set xmlns='http://jabber.org/protocol/rsm'>" + inner + "</set>";
}

}  // namespace

TEST(Rsm, ReadsTheXep0059RequestExamples) {
  // Example 1 / 3: a limit.
  RsmSet limit = parse(R"(<set xmlns='http://jabber.org/protocol/rsm'>
      <max>10</max>
    </set>)");
  EXPECT_EQ(limit.max, 10u);
  EXPECT_FALSE(limit.after);
  // Example 5: the second page.
  RsmSet second = parse(R"(<set xmlns='http://jabber.org/protocol/rsm'>
      <max>10</max>
      <after>peterpan@neverland.lit</after>
    </set>)");
  EXPECT_EQ(second.after, "peterpan@neverland.lit");
  // Example 11: an empty <before/> asks for the last page.
  RsmSet last = parse(R"(<set xmlns='http://jabber.org/protocol/rsm'>
      <max>10</max>
      <before/>
    </set>)");
  EXPECT_TRUE(last.wants_last_page());
  EXPECT_FALSE(second.wants_last_page());
  // Example 12: a page by index.
  RsmSet index = parse(rsm("<max>10</max><index>371</index>"));
  EXPECT_EQ(index.index, 371u);
  // Example 15: the count only.
  EXPECT_EQ(parse(rsm("<max>0</max>")).max, 0u);
}

TEST(Rsm, ReadsTheXep0059ResponseExample) {
  RsmSet page = parse(R"(<set xmlns='http://jabber.org/protocol/rsm'>
      <first index='10'>peter@pixyland.org</first>
      <last>peter@rabbit.lit</last>
      <count>800</count>
    </set>)");
  EXPECT_EQ(page.first, "peter@pixyland.org");
  EXPECT_EQ(page.first_index, 10u);
  EXPECT_EQ(page.last, "peter@rabbit.lit");
  EXPECT_EQ(page.count, 800u);
  EXPECT_EQ(to_string(to_element(page)),
            rsm("<first index='10'>peter@pixyland.org</first><last>peter@rabbit.lit</last>"
                "<count>800</count>"));
}

TEST(Rsm, SerializesRequestsInSpecOrderAndRoundTrips) {
  RsmSet s;
  s.max = 20;
  s.after = "4da91d4b330112f683dddaebf93180b1bd25e95f";
  EXPECT_EQ(to_string(to_element(s)),
            rsm("<max>20</max><after>4da91d4b330112f683dddaebf93180b1bd25e95f</after>"));
  EXPECT_EQ(parse_rsm_set(to_element(s)), s);

  RsmSet last;
  last.max = 10;
  last.before = "";
  EXPECT_EQ(to_string(to_element(last)), rsm("<max>10</max><before/>"));
  EXPECT_EQ(parse_rsm_set(to_element(last)), last);

  RsmSet everything;
  everything.max = 5;
  everything.index = 7;
  everything.first = "a";
  everything.first_index = 7;
  everything.last = "e";
  everything.count = 2147483647;
  EXPECT_EQ(parse_rsm_set(to_element(everything)), everything);
  EXPECT_EQ(parse_rsm_set(to_element(RsmSet{})), RsmSet{});
}

TEST(Rsm, RejectsNumbersThatAreNotNonNegativeInts) {
  EXPECT_EQ(problem(rsm("<max>-1</max>")),
            "rsm set: <max/> must be an integer from 0 to 2147483647, got \"-1\"");
  EXPECT_EQ(problem(rsm("<max>ten</max>")),
            "rsm set: <max/> must be an integer from 0 to 2147483647, got \"ten\"");
  EXPECT_EQ(problem(rsm("<max></max>")),
            "rsm set: <max/> must be an integer from 0 to 2147483647, got \"\"");
  EXPECT_EQ(problem(rsm("<count>2147483648</count>")),
            "rsm set: <count/> must be an integer from 0 to 2147483647, got \"2147483648\"");
  EXPECT_EQ(problem(rsm("<index> 3</index>")),
            "rsm set: <index/> must be an integer from 0 to 2147483647, got \" 3\"");
  EXPECT_EQ(problem(rsm("<first index='x'>a</first>")),
            "rsm set: the index attribute of <first/> must be an integer from 0 to 2147483647, "
            "got \"x\"");
}

TEST(Rsm, RejectsRepeatedOrContradictoryElements) {
  EXPECT_EQ(problem(rsm("<max>1</max><max>2</max>")), "rsm set: <max/> appears more than once");
  EXPECT_EQ(problem(rsm("<after>a</after><before>b</before>")),
            "rsm set: <after/> and <before/> cannot both be given");
  EXPECT_EQ(problem(rsm("<after/>")), "rsm set: <after/> must contain the UID of an item");
  EXPECT_EQ(problem(rsm("<first index='0'/>")),
            "rsm set: <first/> must contain the UID of an item");
  EXPECT_EQ(problem("<set xmlns='urn:example'/>"),
            "rsm set: expected <set xmlns='http://jabber.org/protocol/rsm'/>");
}
