#include <gtest/gtest.h>

#include "xmpp/element.hpp"
#include "xmpp/serializer.hpp"

using commonroom::xmpp::Element;
using commonroom::xmpp::to_string;

namespace {
constexpr const char* kClient = "jabber:client";
constexpr const char* kMuc = "http://jabber.org/protocol/muc#user";
}  // namespace

TEST(ElementTree, FindChildMatchesNameAndNamespaceAndSkipsText) {
  Element m("message", kClient);
  m.add_text("  ");
  m.add_child("x", "jabber:x:conference");
  Element& muc_x = m.add_child("x", kMuc);
  muc_x.set_attr("marker", "1");
  ASSERT_NE(m.find_child("x", kMuc), nullptr);
  EXPECT_EQ(m.find_child("x", kMuc)->attr("marker"), "1");
  EXPECT_EQ(m.find_child("x", kClient), nullptr);
  EXPECT_EQ(m.find_child("", ""), nullptr) << "text nodes are never found as children";
  // The non-const overload gives a child that can be changed in place.
  m.find_child("x", kMuc)->set_attr("marker", "2");
  EXPECT_EQ(m.find_child("x", kMuc)->attr("marker"), "2");
  EXPECT_EQ(m.find_child_ns(kMuc)->name(), "x");
  EXPECT_EQ(m.children("x", kMuc).size(), 1u);
  EXPECT_EQ(m.child_elements().size(), 2u);
}

TEST(ElementTree, AddChildInheritsTheParentNamespaceUnlessGiven) {
  Element q("query", "jabber:iq:version");
  Element& name = q.add_child("name");
  EXPECT_EQ(name.xmlns(), "jabber:iq:version");
  Element& other = q.add_child("x", "urn:example");
  EXPECT_EQ(other.xmlns(), "urn:example");
  EXPECT_EQ(q.add_text_child("version", "1.0").xmlns(), "jabber:iq:version");
  EXPECT_EQ(q.child_text("version", "jabber:iq:version"), "1.0");
  EXPECT_EQ(q.child_text("os", "jabber:iq:version"), "");
}

TEST(ElementTree, AddTextMergesAdjacentTextButNotAcrossElements) {
  Element body("body", kClient);
  body.add_text("Hello, ");
  body.add_text("");
  body.add_text("world");
  ASSERT_EQ(body.nodes().size(), 1u);
  EXPECT_EQ(body.nodes()[0].raw_text(), "Hello, world");
  body.add_child("br");
  body.add_text("!");
  EXPECT_EQ(body.nodes().size(), 3u);
  EXPECT_EQ(body.text(), "Hello, world!");
  EXPECT_EQ(to_string(body, kClient), "<body>Hello, world<br/>!</body>");
}

TEST(ElementTree, AddTextOfEmptyStringAddsNoNode) {
  Element e("e", kClient);
  e.add_text("");
  EXPECT_TRUE(e.nodes().empty());
  EXPECT_EQ(to_string(e, kClient), "<e/>");
}

TEST(ElementTree, RemoveChildrenRemovesOnlyMatchingElements) {
  Element p("presence", kClient);
  p.add_child("x", kMuc);
  p.add_text("t");
  p.add_child("x", "jabber:x:delay");
  p.add_child("x", kMuc);
  p.add_child("status");
  EXPECT_EQ(p.remove_children("x", kMuc), 2u);
  EXPECT_EQ(p.remove_children("x", kMuc), 0u);
  EXPECT_EQ(to_string(p, kClient), "<presence>t<x xmlns='jabber:x:delay'/><status/></presence>");
}

TEST(ElementTree, AttributesKeepOrderAndReplaceInPlace) {
  Element iq("iq", kClient);
  iq.set_attr("to", "a").set_attr("id", "1").set_attr("type", "get");
  iq.set_attr("to", "b");
  EXPECT_EQ(to_string(iq, kClient), "<iq to='b' id='1' type='get'/>");
  EXPECT_TRUE(iq.remove_attr("id"));
  EXPECT_FALSE(iq.remove_attr("id"));
  EXPECT_FALSE(iq.has_attr("id"));
  EXPECT_EQ(iq.attr("id"), "");
  EXPECT_EQ(iq.find_attr("id"), nullptr);
  EXPECT_EQ(to_string(iq, kClient), "<iq to='b' type='get'/>");
}
