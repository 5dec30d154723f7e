#include <gtest/gtest.h>

#include "xmpp/parse_element.hpp"
#include "xmpp/payloads/disco.hpp"
#include "xmpp/payloads/payload_error.hpp"
#include "xmpp/serializer.hpp"

using namespace commonroom::xmpp;

namespace {

std::string info_problem(const std::string& xml) {
  try {
    parse_disco_info(parse_element(xml));
  } catch (const PayloadError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << xml;
  return {};
}

std::string items_problem(const std::string& xml) {
  try {
    parse_disco_items(parse_element(xml));
  } catch (const PayloadError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << xml;
  return {};
}

std::string info(const std::string& inner) {
  return "<query xmlns='http://jabber.org/protocol/disco#info'>" + inner + "</query>";
}

std::string items(const std::string& inner) {
  return "<query xmlns='http://jabber.org/protocol/disco#items'>" + inner + "</query>";
}

}  // namespace

TEST(DiscoInfo, ReadsTheXep0030ResultExample) {
  // XEP-0030 Example 2, "Result-set for information request" (the query, verbatim).
  DiscoInfo result = parse_disco_info(parse_element(R"(
  <query xmlns='http://jabber.org/protocol/disco#info'>
    <identity
        category='conference'
        type='text'
        name='Play-Specific Chatrooms'/>
    <identity
        category='directory'
        type='chatroom'
        name='Play-Specific Chatrooms'/>
    <feature var='http://jabber.org/protocol/disco#info'/>
    <feature var='http://jabber.org/protocol/disco#items'/>
    <feature var='http://jabber.org/protocol/muc'/>
    <feature var='jabber:iq:register'/>
    <feature var='jabber:iq:search'/>
    <feature var='jabber:iq:time'/>
    <feature var='jabber:iq:version'/>
  </query>)"));
  ASSERT_EQ(result.identities.size(), 2u);
  EXPECT_EQ(result.identities[0],
            (DiscoIdentity{"conference", "text", "Play-Specific Chatrooms", ""}));
  EXPECT_EQ(result.features.size(), 7u);
  EXPECT_TRUE(result.has_feature("http://jabber.org/protocol/muc"));
  EXPECT_FALSE(result.has_feature("urn:xmpp:mam:2"));
  EXPECT_EQ(result.node, "");
  EXPECT_EQ(to_string(to_element(result)),
            info("<identity category='conference' type='text' name='Play-Specific Chatrooms'/>"
                 "<identity category='directory' type='chatroom' name='Play-Specific Chatrooms'/>"
                 "<feature var='http://jabber.org/protocol/disco#info'/>"
                 "<feature var='http://jabber.org/protocol/disco#items'/>"
                 "<feature var='http://jabber.org/protocol/muc'/>"
                 "<feature var='jabber:iq:register'/><feature var='jabber:iq:search'/>"
                 "<feature var='jabber:iq:time'/><feature var='jabber:iq:version'/>"));
  EXPECT_EQ(parse_disco_info(to_element(result)), result);
}

TEST(DiscoInfo, ReadsXep0128ExtendedInformation) {
  // XEP-0128 Example 1, the IM server's result (verbatim).
  DiscoInfo result = parse_disco_info(parse_element(R"(
  <query xmlns='http://jabber.org/protocol/disco#info'>
    <identity
        category='server'
        type='im'
        name='shakespeare.lit jabber server'/>
    <feature var='jabber:iq:register'/>
    <x xmlns='jabber:x:data' type='result'>
      <field var='FORM_TYPE' type='hidden'>
        <value>http://jabber.org/network/serverinfo</value>
      </field>
      <field var='c2s_port'>
        <value>5222</value>
      </field>
      <field var='c2s_port_ssl'>
        <value>5223</value>
      </field>
      <field var='http_access'>
        <value>http://shakespeare.lit/jabber</value>
      </field>
      <field var='ip_version'>
        <value>ipv4</value>
        <value>ipv6</value>
      </field>
      <field var='info_url'>
        <value>http://shakespeare.lit/support.php</value>
      </field>
    </x>
  </query>)"));
  ASSERT_EQ(result.extensions.size(), 1u);
  const DataForm* serverinfo = result.extension("http://jabber.org/network/serverinfo");
  ASSERT_NE(serverinfo, nullptr);
  EXPECT_EQ(serverinfo->values("ip_version"), (std::vector<std::string>{"ipv4", "ipv6"}));
  EXPECT_EQ(result.extension("urn:example:none"), nullptr);
  EXPECT_EQ(parse_disco_info(to_element(result)), result);
  std::string xml = to_string(to_element(result));
  EXPECT_NE(xml.find("<feature var='jabber:iq:register'/><x xmlns='jabber:x:data' "
                     "type='result'><field var='FORM_TYPE' type='hidden'>"),
            std::string::npos)
      << xml;
}

TEST(DiscoInfo, MirrorsTheNodeAndKeepsLanguages) {
  DiscoInfo i;
  i.node = "http://jabber.org/protocol/commands";
  i.identities.push_back({"automation", "command-list", "Commands", "en"});
  i.identities.push_back({"automation", "command-list", "Befehle", "de"});
  i.features.push_back("http://jabber.org/protocol/commands");
  EXPECT_EQ(to_string(to_element(i)),
            "<query xmlns='http://jabber.org/protocol/disco#info' "
            "node='http://jabber.org/protocol/commands'><identity category='automation' "
            "type='command-list' name='Commands' xml:lang='en'/><identity category='automation' "
            "type='command-list' name='Befehle' xml:lang='de'/><feature "
            "var='http://jabber.org/protocol/commands'/></query>");
  EXPECT_EQ(parse_disco_info(to_element(i)), i);
}

TEST(DiscoInfo, RejectsWhatXep0030Forbids) {
  EXPECT_EQ(info_problem("<query xmlns='http://jabber.org/protocol/disco#info' node=''/>"),
            "disco#info: the 'node' attribute is empty");
  EXPECT_EQ(info_problem(info("<identity category='conference'/>")),
            "disco#info: an <identity/> needs both 'category' and 'type'");
  EXPECT_EQ(info_problem(info("<identity category='conference' type='text' name='A'/>"
                              "<identity category='conference' type='text' name='B'/>")),
            "disco#info: identity conference/text appears more than once");
  EXPECT_EQ(info_problem(info("<identity category='c' type='t' xml:lang='en'/>"
                              "<identity category='c' type='t' xml:lang='en'/>")),
            "disco#info: identity c/t (en) appears more than once");
  EXPECT_EQ(info_problem(info("<feature/>")), "disco#info: a <feature/> has no 'var'");
  EXPECT_EQ(info_problem(info("<x xmlns='jabber:x:data'/>")),
            "data form: the 'type' attribute is missing");
  EXPECT_EQ(info_problem("<query xmlns='http://jabber.org/protocol/disco#items'/>"),
            "disco#info: expected <query xmlns='http://jabber.org/protocol/disco#info'/>");
}

TEST(DiscoItems, ReadsTheXep0030ItemsExample) {
  // XEP-0030 Example 10, "Result-set for all items" (first three items, verbatim).
  DiscoItems result = parse_disco_items(parse_element(R"(
  <query xmlns='http://jabber.org/protocol/disco#items'>
    <item jid='people.shakespeare.lit'
          name='Directory of Characters'/>
    <item jid='plays.shakespeare.lit'
          name='Play-Specific Chatrooms'/>
    <item jid='mim.shakespeare.lit'
          name='Gateway to Marlowe IM'/>
  </query>)"));
  ASSERT_EQ(result.items.size(), 3u);
  EXPECT_EQ(result.items[1].jid, Jid::parse("plays.shakespeare.lit"));
  EXPECT_EQ(result.items[1].name, "Play-Specific Chatrooms");
  EXPECT_FALSE(result.rsm);
  EXPECT_EQ(to_string(to_element(result)),
            items("<item jid='people.shakespeare.lit' name='Directory of Characters'/>"
                  "<item jid='plays.shakespeare.lit' name='Play-Specific Chatrooms'/>"
                  "<item jid='mim.shakespeare.lit' name='Gateway to Marlowe IM'/>"));
  EXPECT_EQ(parse_disco_items(to_element(result)), result);
}

TEST(DiscoItems, ReadsAndWritesRsmPaging) {
  // XEP-0059 Example 17 (abridged to two items).
  DiscoItems page = parse_disco_items(parse_element(R"(
  <query xmlns='http://jabber.org/protocol/disco#items'>
    <item jid='12@conference.jabber.org'/>
    <item jid='adium@conference.jabber.org'/>
    <set xmlns='http://jabber.org/protocol/rsm'>
      <first index='0'>acc3594e844c77696f7a7ba9367ae324b6b958ad</first>
      <last>4da91d4b330112f683dddaebf93180b1bd25e95f</last>
      <count>150</count>
    </set>
  </query>)"));
  ASSERT_TRUE(page.rsm);
  EXPECT_EQ(page.rsm->count, 150u);
  EXPECT_EQ(page.rsm->first_index, 0u);
  EXPECT_EQ(page.items[0].jid.node(), "12");
  EXPECT_EQ(parse_disco_items(to_element(page)), page);
  EXPECT_EQ(to_string(to_element(page)),
            items("<item jid='12@conference.jabber.org'/><item jid='adium@conference.jabber.org'/>"
                  "<set xmlns='http://jabber.org/protocol/rsm'><first index='0'>"
                  "acc3594e844c77696f7a7ba9367ae324b6b958ad</first><last>"
                  "4da91d4b330112f683dddaebf93180b1bd25e95f</last><count>150</count></set>"));
}

TEST(DiscoItems, KeepsNodesOnTheQueryAndOnItems) {
  DiscoItems i;
  i.node = "music";
  i.items.push_back(
      {Jid::parse("catalog.shakespeare.lit"), "books", "Books by and about Shakespeare"});
  EXPECT_EQ(to_string(to_element(i)),
            "<query xmlns='http://jabber.org/protocol/disco#items' node='music'><item "
            "jid='catalog.shakespeare.lit' node='books' name='Books by and about Shakespeare'/>"
            "</query>");
  EXPECT_EQ(parse_disco_items(to_element(i)), i);
}

TEST(DiscoItems, RejectsBrokenItems) {
  EXPECT_EQ(items_problem(items("<item name='x'/>")), "disco#items: an <item/> has no 'jid'");
  EXPECT_EQ(items_problem(items("<item jid='a b@example.com'/>")),
            "disco#items: item jid \"a b@example.com\" is not a valid JID: node contains a "
            "prohibited character U+0020");
  EXPECT_EQ(items_problem(items("<item jid='a@example.com'>text</item>")),
            "disco#items: an <item/> must not contain character data");
  EXPECT_EQ(items_problem(items("<item jid='a@example.com' node=''/>")),
            "disco#items: an item's 'node' is empty");
  EXPECT_EQ(items_problem("<query xmlns='http://jabber.org/protocol/disco#items' node=''/>"),
            "disco#items: the 'node' attribute is empty");
  EXPECT_EQ(items_problem(items("<set xmlns='http://jabber.org/protocol/rsm'><max>x</max></set>")),
            "rsm set: <max/> must be an integer from 0 to 2147483647, got \"x\"");
  EXPECT_EQ(items_problem(items("<set xmlns='http://jabber.org/protocol/rsm'/>"
                                "<set xmlns='http://jabber.org/protocol/rsm'/>")),
            "disco#items: <set/> appears more than once");
}

TEST(DiscoItems, IgnoresForeignDataInsideItems) {
  DiscoItems i = parse_disco_items(parse_element(
      items("<item jid='a@example.com'><x xmlns='urn:example:extra'>ignored</x></item>")));
  ASSERT_EQ(i.items.size(), 1u);
}
