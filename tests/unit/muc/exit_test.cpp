// Leaving a room (XEP-0045 §7.14) and temporary rooms disappearing with their last occupant.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

class ExitTest : public ::testing::Test {
 protected:
  void SetUp() override { room.gather_coven(); }
  RoomHarness room;
};

}  // namespace

TEST_F(ExitTest, SendsSelfPresenceWith110ThenTellsTheOthers) {
  // Examples 81-82: role none, 110 only to the leaver.
  Stanzas out = room.leave(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  ASSERT_THAT(out, SizeIs(3)) << str(out);
  EXPECT_THAT(out[0], To(kHag));
  EXPECT_THAT(out[0], IsUnavailable());
  EXPECT_THAT(out[0], HasStatuses(std::vector<int>{110}));
  EXPECT_THAT(out[0], HasItem("none", "none"));
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_THAT(out[i], IsUnavailable());
    EXPECT_THAT(out[i], From("coven@chat.shakespeare.lit/thirdwitch"));
    EXPECT_TRUE(status_codes(out[i]).empty());
    EXPECT_EQ(item_attr(out[i], "jid"), kHag);
  }
  EXPECT_THAT(sent_to(out, kCrone), SizeIs(1));
  EXPECT_THAT(sent_to(out, kWicca), SizeIs(1));
  ASSERT_THAT(room.effects().events, SizeIs(1));
  EXPECT_EQ(room.effects().events[0].kind, RoomEventKind::exit);
}

TEST_F(ExitTest, PassesOnACustomExitMessage) {
  // Example 83.
  Stanzas out = room.send(
      "<presence from='hag66@shakespeare.lit/pda' "
      "to='coven@chat.shakespeare.lit/thirdwitch' type='unavailable'>"
      "<status>gone where the goblins go</status></presence>");
  for (const auto& p : out) {
    EXPECT_EQ(p.child_text("status", commonroom::xmpp::ns::component_accept),
              "gone where the goblins go");
  }
}

TEST_F(ExitTest, IgnoresUnavailablePresenceFromNonOccupants) {
  // §17.3 rule 5.
  EXPECT_TRUE(
      room.leave("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate").empty());
  EXPECT_TRUE(room.leave(kHag, "coven@chat.shakespeare.lit/secondwitch").empty());
}

TEST_F(ExitTest, DestroysATemporaryRoomWhenTheLastOccupantLeaves) {
  room.leave(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  room.leave(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  EXPECT_THAT(room.service().rooms(), SizeIs(1));
  room.leave(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  EXPECT_TRUE(room.service().rooms().empty());
  ASSERT_THAT(room.effects().events, SizeIs(2));
  EXPECT_EQ(room.effects().events[1].kind, RoomEventKind::room_destroyed);
  // Joining again creates a fresh room.
  EXPECT_THAT(room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch").at(0), HasStatus(201));
}

TEST(ExitPersistent, KeepsAPersistentRoomWhenEveryoneHasLeft) {
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_persistentroom", {"1"}}});
  room.leave(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  ASSERT_THAT(room.service().rooms(), SizeIs(1));
  EXPECT_EQ(room.service().rooms()[0].occupants, 0u);
  // Entering again is an ordinary join, not a creation.
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  EXPECT_THAT(sent_to(out, kHag).at(0), HasStatuses(std::vector<int>{100, 110, 170}));
}

TEST_F(ExitTest, RemovesAnOccupantWhoseClientIsGoneWith333) {
  // §18.1.2 ghost users: a delivery error from the occupant's JID removes it.
  Stanzas out = room.send(
      "<message from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit' "
      "type='error'><error type='cancel'><recipient-unavailable "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
  Stanzas to_crone = sent_to(out, kCrone);
  ASSERT_THAT(to_crone, SizeIs(1)) << str(out);
  EXPECT_THAT(to_crone[0], IsUnavailable());
  EXPECT_THAT(to_crone[0], HasStatuses(std::vector<int>{333}));
  ASSERT_THAT(room.effects().events, SizeIs(1));
  EXPECT_EQ(room.effects().events[0].kind, RoomEventKind::exit);
  EXPECT_EQ(room.effects().events[0].actor_jid, kHag);
  EXPECT_NE(room.effects().events[0].detail.find("delivery error"), std::string::npos);
  EXPECT_THAT(room.say(kHag, kCoven, "still here?").at(0), IsError("cancel/not-acceptable"));
}

TEST_F(ExitTest, LeavingByTheBareRoomJidIsAnExit) {
  // aioxmpp leaves with <presence type='unavailable'/> to the room itself; Prosody and
  // ejabberd take that as leaving, and so do we (§17.3 rule 5 only ignores non-occupants).
  Stanzas out = room.send(
      "<presence from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit' "
      "type='unavailable'/>");
  ASSERT_THAT(out, SizeIs(3)) << str(out);
  EXPECT_THAT(sent_to(out, kHag).at(0), HasStatuses(std::vector<int>{110}));
  EXPECT_THAT(sent_to(out, kCrone).at(0), IsUnavailable());
  EXPECT_THAT(sent_to(out, kCrone).at(0), From("coven@chat.shakespeare.lit/thirdwitch"));
  // Gone: the room's traffic no longer reaches the leaver.
  EXPECT_TRUE(sent_to(room.say(kCrone, kCoven, "thunder"), kHag).empty());
}

TEST_F(ExitTest, BareRoomUnavailableFromANonOccupantIsIgnored) {
  EXPECT_TRUE(room.send("<presence from='hecate@shakespeare.lit/broom' "
                        "to='coven@chat.shakespeare.lit' type='unavailable'/>")
                  .empty());
}

TEST_F(ExitTest, AnErrorPresenceFromAnOccupantRemovesItWith333Not307) {
  // A client failing locally (aioxmpp) or a host whose delivery failed answers the room with
  // an error presence; no unavailable will follow, so the room removes the occupant.
  Stanzas out = room.send(
      "<presence from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit/thirdwitch' "
      "type='error'><error type='cancel'><not-acceptable "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
  Stanzas to_hag = sent_to(out, kHag);
  ASSERT_THAT(to_hag, SizeIs(1)) << str(out);
  EXPECT_THAT(to_hag[0], HasStatuses(std::vector<int>{110, 333}));
  Stanzas to_crone = sent_to(out, kCrone);
  ASSERT_THAT(to_crone, SizeIs(1));
  EXPECT_THAT(to_crone[0], IsUnavailable());
  EXPECT_THAT(to_crone[0], HasStatuses(std::vector<int>{333}));
  EXPECT_EQ(room.effects().events.at(0).kind, RoomEventKind::exit);
  // The same user joining again is a new occupant, not merged into a ghost.
  Stanzas back = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  EXPECT_THAT(sent_to(back, kCrone), SizeIs(1)) << "the others see the user enter again";
}

TEST_F(ExitTest, AnErrorPresenceWithoutAConditionStillRemovesTheOccupant) {
  Stanzas out = room.send(
      "<presence from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit' "
      "type='error'/>");
  EXPECT_THAT(sent_to(out, kCrone).at(0), HasStatuses(std::vector<int>{333}));
}

TEST_F(ExitTest, AnErrorReplyToARoutedPrivateMessageRemovesTheRecipient) {
  // The error comes back from the recipient's real JID to the sender's occupant JID.
  room.send(
      "<message from='crone1@shakespeare.lit/desktop' to='coven@chat.shakespeare.lit/thirdwitch' "
      "type='chat'><body>psst</body></message>");
  Stanzas out = room.send(
      "<message from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit/firstwitch' "
      "type='error'><error type='cancel'><service-unavailable "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
  EXPECT_THAT(sent_to(out, kCrone).at(0), HasStatuses(std::vector<int>{333}));
}

TEST_F(ExitTest, AMessageErrorThatSaysNothingOfDeliveryKeepsTheOccupant) {
  // not-acceptable on a message is the client refusing that one message, not a gone session.
  Stanzas out = room.send(
      "<message from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit' "
      "type='error'><error type='modify'><not-acceptable "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
  EXPECT_TRUE(out.empty()) << str(out);
  EXPECT_THAT(sent_to(room.say(kCrone, kCoven, "still there?"), kHag), SizeIs(1));
}

TEST_F(ExitTest, AnErrorFromOneOfSeveralSessionsRemovesOnlyThatSession) {
  room.join("wiccarocks@shakespeare.lit/phone", "coven@chat.shakespeare.lit/secondwitch");
  Stanzas out = room.send(
      "<presence from='wiccarocks@shakespeare.lit/phone' to='coven@chat.shakespeare.lit' "
      "type='error'><error type='cancel'><gone "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
  ASSERT_THAT(out, SizeIs(1)) << str(out);
  EXPECT_THAT(out[0], To("wiccarocks@shakespeare.lit/phone"));
  EXPECT_THAT(out[0], HasStatuses(std::vector<int>{110, 333}));
  Stanzas said = room.say(kCrone, kCoven, "Thrice the brinded cat hath mew'd.");
  EXPECT_THAT(sent_to(said, kWicca), SizeIs(1));
  EXPECT_TRUE(sent_to(said, "wiccarocks@shakespeare.lit/phone").empty());
}
