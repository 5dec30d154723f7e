#include <gtest/gtest.h>

#include "xmpp/element.hpp"
#include "xmpp/serializer.hpp"

using commonroom::xmpp::Element;
using commonroom::xmpp::FanoutStanza;
using commonroom::xmpp::to_string;

TEST(Serializer, EscapesTextAndAttributes) {
  Element m("message", "jabber:component:accept");
  m.set_attr("from", "a&b@x/<n>").set_attr("id", "it's \"q\"");
  m.add_text_child("body", "1 < 2 & 3 > 2 ]]>");
  EXPECT_EQ(to_string(m),
            "<message from='a&amp;b@x/&lt;n&gt;' id='it&apos;s &quot;q&quot;'>"
            "<body>1 &lt; 2 &amp; 3 &gt; 2 ]]&gt;</body></message>");
}

TEST(Serializer, DeclaresNamespaceOnlyWhereItChanges) {
  Element iq("iq", "jabber:component:accept");
  Element& q = iq.add_child("query", "http://jabber.org/protocol/disco#info");
  q.add_child("identity").set_attr("category", "conference");
  EXPECT_EQ(to_string(iq),
            "<iq><query xmlns='http://jabber.org/protocol/disco#info'>"
            "<identity category='conference'/></query></iq>");
  EXPECT_EQ(to_string(iq, "jabber:client"),
            "<iq xmlns='jabber:component:accept'><query "
            "xmlns='http://jabber.org/protocol/disco#info'><identity "
            "category='conference'/></query></iq>");
}

TEST(FanoutStanza, WritesOneSerializationToManyRecipientsWithOnlyToChanged) {
  Element m("message", "jabber:component:accept");
  m.set_attr("to", "ignored@x")
      .set_attr("from", "room@conference.x/nick")
      .set_attr("type", "groupchat");
  m.add_text_child("body", "hi");
  FanoutStanza f(m);
  EXPECT_EQ(f.for_recipient("a@x/r"),
            "<message to='a@x/r' from='room@conference.x/nick' type='groupchat'>"
            "<body>hi</body></message>");
  EXPECT_EQ(f.for_recipient("o'brien@x/r"),
            "<message to='o&apos;brien@x/r' from='room@conference.x/nick' "
            "type='groupchat'><body>hi</body></message>");
}
