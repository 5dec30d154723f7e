#include <gtest/gtest.h>

#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stanza.hpp"

using namespace commonroom::xmpp;

TEST(Stanza, KnowsTheThreeKindsInComponentAndClientNamespaces) {
  EXPECT_EQ(stanza_kind(parse_element("<message/>")), StanzaKind::message);
  EXPECT_EQ(stanza_kind(parse_element("<presence/>", "jabber:client")), StanzaKind::presence);
  EXPECT_EQ(stanza_kind(parse_element("<iq/>")), StanzaKind::iq);
  EXPECT_EQ(stanza_kind(parse_element("<handshake/>")), StanzaKind::other);
  EXPECT_EQ(stanza_kind(parse_element("<message xmlns='urn:example:other'/>")), StanzaKind::other);
  EXPECT_EQ(stanza_kind(Element::text_node("message")), StanzaKind::other);
}

TEST(Stanza, ReadsIqTypes) {
  EXPECT_EQ(iq_type(parse_element("<iq type='get'/>")), IqType::get);
  EXPECT_EQ(iq_type(parse_element("<iq type='set'/>")), IqType::set);
  EXPECT_EQ(iq_type(parse_element("<iq type='result'/>")), IqType::result);
  EXPECT_EQ(iq_type(parse_element("<iq type='error'/>")), IqType::error);
  EXPECT_EQ(iq_type(parse_element("<iq type='GET'/>")), std::nullopt);
  EXPECT_EQ(iq_type(parse_element("<iq/>")), std::nullopt);
  EXPECT_EQ(iq_type(parse_element("<message type='get'/>")), std::nullopt);
}

TEST(Stanza, ErrorsAndIqResultsAreNeverAnswered) {
  EXPECT_TRUE(is_error_or_result(parse_element("<iq type='result'/>")));
  EXPECT_TRUE(is_error_or_result(parse_element("<iq type='error'/>")));
  EXPECT_TRUE(is_error_or_result(parse_element("<message type='error'/>")));
  EXPECT_TRUE(is_error_or_result(parse_element("<presence type='error'/>")));
  EXPECT_FALSE(is_error_or_result(parse_element("<iq type='get'/>")));
  EXPECT_FALSE(is_error_or_result(parse_element("<message/>")));
  // 'result' only means something on an iq.
  EXPECT_FALSE(is_error_or_result(parse_element("<message type='result'/>")));
  EXPECT_TRUE(is_error(parse_element("<presence type='error'/>")));
}

TEST(Stanza, IqResultSwapsAddressesAndKeepsTheId) {
  Element ping = parse_element(
      "<iq from='juliet@capulet.lit/balcony' to='capulet.lit' id='c2s1' type='get'>"
      "<ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_EQ(to_string(make_iq_result(ping)),
            "<iq to='juliet@capulet.lit/balcony' from='capulet.lit' id='c2s1' type='result'/>");
  Element with_payload = make_iq_result(ping, Element("query", "jabber:iq:version"));
  EXPECT_EQ(to_string(with_payload),
            "<iq to='juliet@capulet.lit/balcony' from='capulet.lit' id='c2s1' type='result'>"
            "<query xmlns='jabber:iq:version'/></iq>");
}
