// XmlFragmentWriter: elements written straight to bytes must be exactly what the serializer
// writes for the same tree, and parse back to that tree.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "xmpp/element.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"

using commonroom::xmpp::Element;
using commonroom::xmpp::parse_element;
using commonroom::xmpp::to_string;
using commonroom::xmpp::XmlFragmentWriter;

namespace {

constexpr const char* kForms = "jabber:x:data";

// Text that needs every escape the serializer knows, non-ASCII and a value longer than the
// writer's short-copy loop.
const std::string kAwkward = "O'Brien & <Co> \"Ltd\"\tline\nnext\r]]>";
const std::string kNonAscii = "José García — 王伟 Иван Zoë";
const std::string kLong = std::string(100, 'x') + "&" + std::string(40, 'y');

// One result row as a tree, the way the directory built it before the writer.
void add_row_tree(Element& x, const std::string& jid, const std::string& name,
                  const std::string& empty) {
  Element& item = x.add_child("item");
  Element& f1 = item.add_child("field");
  f1.set_attr("var", "jid");
  f1.add_text_child("value", jid);
  Element& f2 = item.add_child("field");
  f2.set_attr("var", name);
  f2.add_text_child("value", name);
  f2.add_text_child("value", kLong);
  Element& f3 = item.add_child("field");
  f3.set_attr("var", "empty");
  f3.add_text_child("value", empty);
  item.add_child("marker").set_attr("note", kAwkward);
}

void add_row_bytes(XmlFragmentWriter& w, const std::string& jid, const std::string& name,
                   const std::string& empty) {
  w.open("item");
  w.open("field").attr("var", "jid").text_element("value", jid).close();
  w.open("field").attr("var", name).text_element("value", name).text_element("value", kLong);
  w.close();
  w.open("field").attr("var", "empty").text_element("value", empty).close();
  w.open("marker").attr("note", kAwkward).close();
  w.close();
}

}  // namespace

TEST(XmlFragmentWriter, WritesTheBytesTheSerializerWritesForTheSameTree) {
  Element tree("x", kForms);
  tree.set_attr("type", "result");
  Element bytes = tree;
  for (const auto* name : {&kAwkward, &kNonAscii}) add_row_tree(tree, "a&b@cam.example", *name, "");

  // Reserve nothing, so the buffer grows several times on the way.
  XmlFragmentWriter w(kForms, 0);
  for (const auto* name : {&kAwkward, &kNonAscii}) add_row_bytes(w, "a&b@cam.example", *name, "");
  bytes.add_child(std::move(w).finish());

  EXPECT_EQ(to_string(bytes), to_string(tree));
  // And what a receiver parses is the tree itself.
  EXPECT_EQ(parse_element(to_string(bytes), kForms), tree);
}

TEST(XmlFragmentWriter, EscapesTextAndAttributeValuesLikeTheSerializer) {
  XmlFragmentWriter w(kForms);
  w.open("a").attr("v", kAwkward).text_element("t", kAwkward).close();
  Element x("x", kForms);
  x.add_child(std::move(w).finish());
  EXPECT_EQ(to_string(x, kForms),
            "<x><a v='O&apos;Brien &amp; &lt;Co&gt; &quot;Ltd&quot;&#9;line&#10;next&#13;]]&gt;'>"
            "<t>O'Brien &amp; &lt;Co&gt; \"Ltd\"\tline\nnext&#13;]]&gt;</t></a></x>");
}

TEST(XmlFragmentWriter, WritesEmptyElementsSelfClosed) {
  XmlFragmentWriter w(kForms);
  w.open("item").close();
  w.open("field").attr("var", "v").close();
  w.open("field").text_element("value", "").close();
  Element x("x", kForms);
  x.add_child(std::move(w).finish());
  EXPECT_EQ(to_string(x, kForms), "<x><item/><field var='v'/><field><value/></field></x>");
}

TEST(XmlFragmentWriter, FragmentIsInvisibleToLookupsByName) {
  XmlFragmentWriter w(kForms);
  w.open("item").close();
  Element x("x", kForms);
  x.add_child(std::move(w).finish());
  ASSERT_EQ(x.nodes().size(), 1u);
  EXPECT_TRUE(x.nodes().front().is_fragment());
  EXPECT_EQ(x.find_child("item", kForms), nullptr);
  EXPECT_TRUE(x.children("item", kForms).empty());
  EXPECT_EQ(x.text(), "");
}

TEST(XmlFragmentWriter, RefusesMisuse) {
  {
    XmlFragmentWriter w(kForms);
    w.open("item");
    EXPECT_THROW(std::move(w).finish(), std::logic_error);
  }
  {
    XmlFragmentWriter w(kForms);
    EXPECT_THROW(w.close(), std::logic_error);
  }
  {
    XmlFragmentWriter w(kForms);
    w.open("item").text_element("value", "v");
    EXPECT_THROW(w.attr("late", "x"), std::logic_error);
  }
}

TEST(XmlFragmentWriter, FragmentUnderAParentOfAnotherNamespaceIsRefused) {
  // Its elements carry no xmlns: placed elsewhere they would change namespace silently.
  XmlFragmentWriter w(kForms);
  w.open("item").close();
  Element query("query", "jabber:iq:search");
  query.add_child(std::move(w).finish());
  EXPECT_THROW(to_string(query, "jabber:iq:search"), std::logic_error);
}
