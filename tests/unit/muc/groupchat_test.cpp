// Messages to everyone (XEP-0045 §7.4): reflected once to all, with the client's id, a
// XEP-0359 stanza-id and a XEP-0421 occupant-id; refused to non-occupants.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::ElementsAre;
using ::testing::SizeIs;

namespace {

const std::string kNs(commonroom::xmpp::ns::component_accept);

class GroupchatTest : public ::testing::Test {
 protected:
  void SetUp() override { room.gather_coven(); }
  RoomHarness room;
};

}  // namespace

TEST_F(GroupchatTest, ReflectsTheMessageToEveryOccupantFromTheSendersOccupantJid) {
  // Examples 45-46.
  Stanzas out = room.say(kHag, kCoven, "Harpier cries: 'tis time, 'tis time.", "hysf1v37");
  ASSERT_THAT(out, SizeIs(3));
  std::vector<std::string> to;
  for (const auto& m : out) {
    to.emplace_back(m.attr("to"));
    EXPECT_THAT(m, From("coven@chat.shakespeare.lit/thirdwitch"));
    EXPECT_EQ(m.attr("id"), "hysf1v37");  // §7.4 stable id
    EXPECT_EQ(m.attr("type"), "groupchat");
    EXPECT_EQ(m.child_text("body", kNs), "Harpier cries: 'tis time, 'tis time.");
  }
  EXPECT_THAT(to, ElementsAre(kCrone, kWicca, kHag));
}

TEST_F(GroupchatTest, SerializesTheMessageOnceForAllRecipients) {
  room.say(kHag, kCoven, "Fillet of a fenny snake");
  const Effects& fx = room.effects();
  EXPECT_TRUE(fx.outbound.empty());
  ASSERT_THAT(fx.fanouts, SizeIs(1));
  EXPECT_THAT(recipients_of(fx.fanouts[0]), ElementsAre(kCrone, kWicca, kHag));
}

TEST_F(GroupchatTest, AddsTheRoomsStanzaIdAndTheSendersOccupantId) {
  Stanzas out = room.say(kHag, kCoven, "Eye of newt");
  const Element* sid = out[0].find_child("stanza-id", commonroom::xmpp::ns::sid);
  ASSERT_NE(sid, nullptr);
  EXPECT_EQ(sid->attr("by"), kCoven);
  EXPECT_FALSE(sid->attr("id").empty());
  const Element* oid = out[0].find_child("occupant-id", commonroom::xmpp::ns::occupant_id);
  ASSERT_NE(oid, nullptr);
  // The same occupant-id as in the sender's presence.
  Stanzas presence = room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate");
  const Element hag_presence = sent_to(presence, "hecate@shakespeare.lit/broom").at(2);
  EXPECT_THAT(hag_presence, From("coven@chat.shakespeare.lit/thirdwitch"));
  EXPECT_EQ(hag_presence.find_child("occupant-id", commonroom::xmpp::ns::occupant_id)->attr("id"),
            oid->attr("id"));
}

TEST_F(GroupchatTest, ReplacesForgedStanzaIdsAndOccupantIdsButKeepsOthers) {
  // XEP-0359 §3 rule 2 and XEP-0421 §4.
  Stanzas out = room.send(
      "<message from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit' type='groupchat' "
      "id='x1'><body>Toe of frog</body>"
      "<stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='coven@chat.shakespeare.lit'/>"
      "<stanza-id xmlns='urn:xmpp:sid:0' id='theirs' by='hag66@shakespeare.lit'/>"
      "<origin-id xmlns='urn:xmpp:sid:0' id='origin-1'/>"
      "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/></message>");
  auto sids = out[0].children("stanza-id", commonroom::xmpp::ns::sid);
  ASSERT_THAT(sids, SizeIs(2));
  EXPECT_EQ(sids[0]->attr("by"), "hag66@shakespeare.lit");
  EXPECT_EQ(sids[1]->attr("by"), kCoven);
  EXPECT_NE(sids[1]->attr("id"), "forged");
  EXPECT_NE(out[0].find_child("origin-id", commonroom::xmpp::ns::sid), nullptr);
  auto oids = out[0].children("occupant-id", commonroom::xmpp::ns::occupant_id);
  ASSERT_THAT(oids, SizeIs(1));
  EXPECT_NE(oids[0]->attr("id"), "forged");
}

TEST_F(GroupchatTest, GivesAMessageWithoutIdOneIdForAllReflections) {
  Stanzas out = room.send(
      "<message from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit' "
      "type='groupchat'><body>Wool of bat</body></message>");
  ASSERT_THAT(out, SizeIs(3));
  EXPECT_FALSE(out[0].attr("id").empty());
  EXPECT_EQ(out[0].attr("id"), out[2].attr("id"));
}

TEST_F(GroupchatTest, RefusesMessagesFromNonOccupantsWithNotAcceptable) {
  // §7.4.
  Stanzas out = room.say("hecate@shakespeare.lit/broom", kCoven, "let me in");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/not-acceptable"));
  EXPECT_THAT(out[0], To("hecate@shakespeare.lit/broom"));
}

TEST_F(GroupchatTest, RefusesNormalMessagesWithABodyToTheRoom) {
  // §17.2 rule 1.
  Stanzas out = room.send(
      "<message from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit'>"
      "<body>hello</body></message>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("modify/bad-request"));
}

TEST_F(GroupchatTest, RefusesMessagesToAnUnknownRoomWithItemNotFound) {
  Stanzas out = room.say(kHag, "heath@chat.shakespeare.lit", "anyone?");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/item-not-found"));
}

TEST_F(GroupchatTest, LogsTheMessageWithRealJidNickStanzaIdAndBody) {
  Stanzas out = room.say(kHag, kCoven, "Adder's fork");
  ASSERT_THAT(room.effects().events, SizeIs(1));
  const RoomEvent& ev = room.effects().events[0];
  EXPECT_EQ(ev.kind, RoomEventKind::groupchat);
  EXPECT_EQ(ev.room, kCoven);
  EXPECT_EQ(ev.actor_jid, kHag);
  EXPECT_EQ(ev.actor_nick, "thirdwitch");
  EXPECT_EQ(ev.body, "Adder's fork");
  EXPECT_EQ(ev.stanza_id, out[0].find_child("stanza-id", commonroom::xmpp::ns::sid)->attr("id"));
  EXPECT_EQ(ev.occurred_at, room.now);
  EXPECT_NE(ev.raw.find("Adder"), std::string::npos);
}

TEST_F(GroupchatTest, PassesChatStatesWithoutArchivingThem) {
  Stanzas out = room.send(
      "<message from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit' "
      "type='groupchat'><composing xmlns='http://jabber.org/protocol/chatstates'/>"
      "</message>");
  ASSERT_THAT(out, SizeIs(3));
  EXPECT_EQ(out[0].find_child("stanza-id", commonroom::xmpp::ns::sid), nullptr);
  EXPECT_TRUE(room.effects().events.empty());
}
