// The rooms service on its own domain: disco, ping, version, muc#unique, room listing, and
// the addressing checks every stanza passes first.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

std::string reply(RoomHarness& room, const std::string& xml) {
  Stanzas out = room.send(xml);
  EXPECT_THAT(out, SizeIs(1)) << str(out);
  return out.empty() ? std::string() : str(out.front());
}

}  // namespace

TEST(RoomService, DescribesItselfAsUniversityRoomsOverDisco) {
  // XEP-0045 Example 2 on this service.
  RoomHarness room;
  EXPECT_EQ(reply(room,
                  "<iq from='hag66@shakespeare.lit/pda' id='lx09df27' "
                  "to='chat.shakespeare.lit' type='get'><query "
                  "xmlns='http://jabber.org/protocol/disco#info'/></iq>"),
            "<iq to='hag66@shakespeare.lit/pda' from='chat.shakespeare.lit' id='lx09df27' "
            "type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity "
            "category='conference' type='text' name='University rooms'/>"
            "<feature var='http://jabber.org/protocol/disco#info'/>"
            "<feature var='http://jabber.org/protocol/disco#items'/>"
            "<feature var='http://jabber.org/protocol/muc'/>"
            "<feature var='http://jabber.org/protocol/muc#unique'/>"
            "<feature var='http://jabber.org/protocol/muc#stable_id'/>"
            "<feature var='urn:xmpp:ping'/><feature var='jabber:iq:version'/></query></iq>");
}

TEST(RoomService, AnswersPingAndVersion) {
  RoomHarness room;
  EXPECT_EQ(reply(room,
                  "<iq from='a@cam.example/r' to='chat.shakespeare.lit' id='p1' type='get'>"
                  "<ping xmlns='urn:xmpp:ping'/></iq>"),
            "<iq to='a@cam.example/r' from='chat.shakespeare.lit' id='p1' type='result'/>");
  EXPECT_EQ(reply(room,
                  "<iq from='a@cam.example/r' to='chat.shakespeare.lit' id='v1' type='get'>"
                  "<query xmlns='jabber:iq:version'/></iq>"),
            "<iq to='a@cam.example/r' from='chat.shakespeare.lit' id='v1' type='result'>"
            "<query xmlns='jabber:iq:version'><name>commonroom</name><version>1.0</version>"
            "</query></iq>");
}

TEST(RoomService, AnswersUnknownIqsWithServiceUnavailable) {
  RoomHarness room;
  EXPECT_EQ(reply(room,
                  "<iq from='a@cam.example/r' to='chat.shakespeare.lit' id='u1' type='get'>"
                  "<query xmlns='jabber:iq:last'/></iq>"),
            "<iq to='a@cam.example/r' from='chat.shakespeare.lit' id='u1' type='error'>"
            "<error type='cancel'><service-unavailable "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  // The same inside a room.
  room.create_coven();
  Stanzas out = room.iq("a@cam.example/r", kCoven, "get", "<query xmlns='jabber:iq:last'/>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/service-unavailable"));
}

TEST(RoomService, NeverAnswersResultsOrErrors) {
  RoomHarness room;
  room.create_coven();
  for (std::string to : {"chat.shakespeare.lit", "coven@chat.shakespeare.lit",
                         "coven@chat.shakespeare.lit/firstwitch", "kitchen@chat.shakespeare.lit"}) {
    EXPECT_TRUE(
        room.send("<iq from='a@cam.example/r' to='" + to + "' id='1' type='result'/>").empty());
    EXPECT_TRUE(room.send("<iq from='a@cam.example/r' to='" + to +
                          "' id='1' type='error'><error type='cancel'><item-not-found "
                          "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")
                    .empty());
    EXPECT_TRUE(
        room.send("<message from='a@cam.example/r' to='" + to + "' type='error'/>").empty());
    EXPECT_TRUE(
        room.send("<presence from='a@cam.example/r' to='" + to + "' type='error'/>").empty());
  }
}

TEST(RoomService, DropsStanzasItCannotAnswerAndSaysWhy) {
  RoomHarness room;
  EXPECT_TRUE(room.send("<presence to='coven@chat.shakespeare.lit/n'/>").empty());
  ASSERT_THAT(room.effects().dropped, SizeIs(1));
  EXPECT_EQ(room.effects().dropped.front(), "presence without a 'from' address");
  // A 'from' that is not a JID cannot be answered at all.
  EXPECT_TRUE(room.send("<message from='@shakespeare.lit' to='coven@chat.shakespeare.lit' "
                        "type='groupchat'><body>x</body></message>")
                  .empty());
  ASSERT_THAT(room.effects().dropped, SizeIs(1));
  EXPECT_NE(room.effects().dropped.front().find("invalid 'from'"), std::string::npos);
  // Misrouted: addressed to another domain.
  EXPECT_TRUE(room.send("<message from='a@cam.example/r' to='someone@cam.example'/>").empty());
  EXPECT_THAT(room.effects().dropped, SizeIs(1));
}

TEST(RoomService, RefusesStanzasClaimingToComeFromItsOwnDomain) {
  RoomHarness room;
  room.create_coven();
  // A spoofed occupant JID of one of our rooms may not join, speak or configure.
  Stanzas out = room.join("coven@chat.shakespeare.lit/firstwitch", "coven@chat.shakespeare.lit/x");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/forbidden"));
  EXPECT_THAT(room.effects().dropped, SizeIs(1));
  out = room.say("chat.shakespeare.lit", kCoven, "hello");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/forbidden"));
  // Its own error reply, routed back by the host, is not answered again: no loop.
  EXPECT_TRUE(room.send(str(out[0])).empty());
}

TEST(RoomService, GivesAUniqueRoomName) {
  // muc#unique: a name no room has, usable as a room node.
  RoomHarness room;
  Stanzas out = room.iq("crone1@shakespeare.lit/desktop", "chat.shakespeare.lit", "get",
                        "<unique xmlns='http://jabber.org/protocol/muc#unique'/>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsResult());
  const Element* unique = out[0].find_child("unique", commonroom::xmpp::ns::muc_unique);
  ASSERT_NE(unique, nullptr);
  std::string name = unique->text();
  EXPECT_FALSE(name.empty());
  EXPECT_NO_THROW(commonroom::xmpp::Jid::from_parts(name, "chat.shakespeare.lit"));
  Stanzas again = room.iq("crone1@shakespeare.lit/desktop", "chat.shakespeare.lit", "get",
                          "<unique xmlns='http://jabber.org/protocol/muc#unique'/>");
  EXPECT_NE(again[0].find_child("unique", commonroom::xmpp::ns::muc_unique)->text(), name);
}

TEST(RoomService, ListsPublicRoomsButNotHiddenOrLockedOnes) {
  // §6.3, Example 4.
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_roomname", {"A Dark Cave"}}});
  room.create("crone1@shakespeare.lit/desktop", "heath@chat.shakespeare.lit/firstwitch");
  room.configure("crone1@shakespeare.lit/desktop", "heath@chat.shakespeare.lit",
                 {{"muc#roomconfig_publicroom", {"0"}}});
  room.join("crone1@shakespeare.lit/desktop", "forres@chat.shakespeare.lit/firstwitch");  // locked
  EXPECT_EQ(reply(room,
                  "<iq from='hag66@shakespeare.lit/pda' id='zb8q41f4' "
                  "to='chat.shakespeare.lit' type='get'><query "
                  "xmlns='http://jabber.org/protocol/disco#items'/></iq>"),
            "<iq to='hag66@shakespeare.lit/pda' from='chat.shakespeare.lit' id='zb8q41f4' "
            "type='result'><query xmlns='http://jabber.org/protocol/disco#items'>"
            "<item jid='coven@chat.shakespeare.lit' name='A Dark Cave'/></query></iq>");
}

TEST(RoomService, PagesTheRoomListWithRsm) {
  // §6.3 with XEP-0059: two pages of two rooms each.
  RoomHarness room;
  for (const char* name : {"alpha", "bravo", "charlie", "delta"}) {
    room.create("crone1@shakespeare.lit/desktop",
                std::string(name) + "@chat.shakespeare.lit/crone");
  }
  std::string q =
      "<query xmlns='http://jabber.org/protocol/disco#items'><set "
      "xmlns='http://jabber.org/protocol/rsm'><max>2</max></set></query>";
  Stanzas first = room.iq("hag66@shakespeare.lit/pda", "chat.shakespeare.lit", "get", q);
  EXPECT_EQ(
      str(first.at(0)),
      "<iq to='hag66@shakespeare.lit/pda' from='chat.shakespeare.lit' id='q1' type='result'>"
      "<query xmlns='http://jabber.org/protocol/disco#items'>"
      "<item jid='alpha@chat.shakespeare.lit'/><item jid='bravo@chat.shakespeare.lit'/>"
      "<set xmlns='http://jabber.org/protocol/rsm'><first index='0'>alpha@chat.shakespeare.lit"
      "</first><last>bravo@chat.shakespeare.lit</last><count>4</count></set></query></iq>");
  Stanzas second = room.iq("hag66@shakespeare.lit/pda", "chat.shakespeare.lit", "get",
                           "<query xmlns='http://jabber.org/protocol/disco#items'><set "
                           "xmlns='http://jabber.org/protocol/rsm'><max>2</max>"
                           "<after>bravo@chat.shakespeare.lit</after></set></query>");
  const Element* items = second.at(0).find_child("query", commonroom::xmpp::ns::disco_items);
  auto listed = items->children("item", commonroom::xmpp::ns::disco_items);
  ASSERT_THAT(listed, SizeIs(2));
  EXPECT_EQ(listed[0]->attr("jid"), "charlie@chat.shakespeare.lit");
  EXPECT_EQ(listed[1]->attr("jid"), "delta@chat.shakespeare.lit");
}

TEST(RoomService, TellsEveryOccupantWhenTheServiceShutsDown) {
  // §11.2: 332 to each occupant.
  RoomHarness room;
  room.create_coven();
  room.join("hag66@shakespeare.lit/pda", "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas out = RoomHarness::expand(room.service().shutdown(room.now));
  ASSERT_THAT(out, SizeIs(2));
  for (const auto& p : out) {
    EXPECT_THAT(p, IsUnavailable());
    EXPECT_THAT(p, HasStatuses(std::vector<int>{110, 332}));
  }
}

TEST(RoomService, ListsARoomsOccupantsWithRealJidsForTheAdminWeb) {
  RoomHarness room;
  EXPECT_FALSE(room.service().occupants("coven@chat.shakespeare.lit").has_value());
  room.gather_coven();
  auto occupants = room.service().occupants("coven@chat.shakespeare.lit");
  ASSERT_TRUE(occupants.has_value());
  ASSERT_THAT(*occupants, SizeIs(3));
  EXPECT_EQ((*occupants)[0].nick, "firstwitch");
  EXPECT_EQ((*occupants)[0].jid, "crone1@shakespeare.lit");
  EXPECT_EQ((*occupants)[0].role, "moderator");
  EXPECT_EQ((*occupants)[0].affiliation, "owner");
  EXPECT_EQ((*occupants)[1].nick, "secondwitch");
  EXPECT_EQ((*occupants)[1].jid, "wiccarocks@shakespeare.lit");
  EXPECT_EQ((*occupants)[1].role, "participant");
  EXPECT_EQ((*occupants)[1].affiliation, "none");
}

TEST(RoomServiceConfigTest, RefusesAnInvalidDomain) {
  RoomServiceConfig c;
  c.domain = "not a domain";
  EXPECT_THROW(RoomService{c}, commonroom::xmpp::JidError);
}
