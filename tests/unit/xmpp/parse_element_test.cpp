#include <gtest/gtest.h>

#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"

using commonroom::xmpp::Element;
using commonroom::xmpp::parse_element;
using commonroom::xmpp::StreamError;
using commonroom::xmpp::to_string;

TEST(ParseElement, ReadsOneStanzaInTheComponentNamespace) {
  Element iq = parse_element(R"(
    <iq type='get' from='romeo@montague.net/orchard' to='plays.shakespeare.lit' id='info1'>
      <query xmlns='http://jabber.org/protocol/disco#info'/>
    </iq>)");
  EXPECT_TRUE(iq.is("iq", "jabber:component:accept"));
  EXPECT_EQ(iq.attr("id"), "info1");
  ASSERT_NE(iq.find_child("query", "http://jabber.org/protocol/disco#info"), nullptr);
}

TEST(ParseElement, UsesTheGivenStreamNamespaceAndKeepsPrefixedAttributes) {
  Element m =
      parse_element("<message xml:lang='en'><body>hi &amp; bye</body></message>", "jabber:client");
  EXPECT_EQ(m.xmlns(), "jabber:client");
  EXPECT_EQ(m.attr("xml:lang"), "en");
  EXPECT_EQ(m.child_text("body", "jabber:client"), "hi & bye");
}

TEST(ParseElement, RoundTripsThroughTheSerializer) {
  const std::string xml =
      "<iq type='result' id='1'><query xmlns='jabber:iq:version'><name>commonroom</name>"
      "<version>0.1</version></query></iq>";
  EXPECT_EQ(to_string(parse_element(xml)), xml);
}

TEST(ParseElement, RejectsEmptyInputTwoElementsAndMalformedXml) {
  EXPECT_THROW(parse_element("   "), StreamError);
  EXPECT_THROW(parse_element("<a/><b/>"), StreamError);
  EXPECT_THROW(parse_element("<a><b></a>"), StreamError);
  EXPECT_THROW(parse_element("text"), StreamError);
}
