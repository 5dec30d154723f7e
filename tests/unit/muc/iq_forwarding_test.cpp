// IQs between occupants through the room (XEP-0045 §17.4 rule 3): passed on from the
// occupant JID, answered back with the asker's own id, real JIDs never revealed.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

class IqForwardingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    room.create_coven({{"muc#roomconfig_whois", {"moderators"}}});
    room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  }
  RoomHarness room;
};

}  // namespace

TEST_F(IqForwardingTest, PassesAVersionQueryToTheOccupantAndTheAnswerBack) {
  Stanzas out = room.iq(kHag, "coven@chat.shakespeare.lit/firstwitch", "get",
                        "<query xmlns='jabber:iq:version'/>", "v1");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], To(kCrone));
  EXPECT_THAT(out[0], From("coven@chat.shakespeare.lit/thirdwitch"));
  std::string id(out[0].attr("id"));
  EXPECT_NE(id, "v1");  // the room's own id, so answers cannot be forged by guessing
  Stanzas answer = room.send(
      "<iq from='crone1@shakespeare.lit/desktop' "
      "to='coven@chat.shakespeare.lit/thirdwitch' type='result' id='" +
      id + "'><query xmlns='jabber:iq:version'><name>Cauldron</name></query></iq>");
  ASSERT_THAT(answer, SizeIs(1));
  EXPECT_THAT(answer[0], To(kHag));
  EXPECT_THAT(answer[0], From("coven@chat.shakespeare.lit/firstwitch"));
  EXPECT_EQ(answer[0].attr("id"), "v1");
  EXPECT_EQ(str(answer[0]).find("crone1"), std::string::npos);  // the real JID stays hidden
  // Answered once only.
  EXPECT_TRUE(room.send("<iq from='crone1@shakespeare.lit/desktop' "
                        "to='coven@chat.shakespeare.lit/thirdwitch' type='result' id='" +
                        id + "'/>")
                  .empty());
}

TEST_F(IqForwardingTest, SendsVcardRequestsToTheBareJid) {
  Stanzas out = room.iq(kHag, "coven@chat.shakespeare.lit/firstwitch", "get",
                        "<vCard xmlns='vcard-temp'/>", "av1");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], To("crone1@shakespeare.lit"));
  Stanzas answer = room.send(
      "<iq from='crone1@shakespeare.lit' to='coven@chat.shakespeare.lit/thirdwitch' "
      "type='result' id='" +
      std::string(out[0].attr("id")) + "'><vCard xmlns='vcard-temp'/></iq>");
  ASSERT_THAT(answer, SizeIs(1));
  EXPECT_EQ(answer[0].attr("id"), "av1");
}

TEST_F(IqForwardingTest, IgnoresAnswersFromAnyoneElse) {
  Stanzas out = room.iq(kHag, "coven@chat.shakespeare.lit/firstwitch", "get",
                        "<query xmlns='jabber:iq:version'/>", "v1");
  std::string id(out.at(0).attr("id"));
  EXPECT_TRUE(
      room.send("<iq from='puck@shakespeare.lit/wood' to='coven@chat.shakespeare.lit/thirdwitch' "
                "type='result' id='" +
                id + "'/>")
          .empty());
}

TEST_F(IqForwardingTest, PassesAnErrorAnswerBackWithoutRemovingTheOccupant) {
  Stanzas out = room.iq(kHag, "coven@chat.shakespeare.lit/firstwitch", "get",
                        "<query xmlns='jabber:iq:last'/>", "l1");
  Stanzas answer = room.send(
      "<iq from='crone1@shakespeare.lit/desktop' "
      "to='coven@chat.shakespeare.lit/thirdwitch' type='error' id='" +
      std::string(out.at(0).attr("id")) +
      "'><error type='cancel'><service-unavailable "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  ASSERT_THAT(answer, SizeIs(1));
  EXPECT_THAT(answer[0], IsError("cancel/service-unavailable"));
  EXPECT_EQ(answer[0].attr("id"), "l1");
  EXPECT_THAT(room.say(kCrone, kCoven, "still here"), SizeIs(2));
}

TEST_F(IqForwardingTest, RefusesAnIqToAnUnknownNickWithItemNotFound) {
  EXPECT_THAT(room.iq(kHag, "coven@chat.shakespeare.lit/nobody", "get",
                      "<query xmlns='jabber:iq:version'/>")
                  .at(0),
              IsError("cancel/item-not-found"));
}

TEST_F(IqForwardingTest, ForwardsAPingToAnotherOccupant) {
  // XEP-0410: a ping to someone else's nick reaches that occupant's client.
  Stanzas out = room.iq(kHag, "coven@chat.shakespeare.lit/firstwitch", "get",
                        "<ping xmlns='urn:xmpp:ping'/>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], To(kCrone));
}
