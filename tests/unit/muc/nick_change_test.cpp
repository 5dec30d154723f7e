// Changing nickname (XEP-0045 §7.6): 303 then the new presence, conflicts, locked nicks.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

class NickChangeTest : public ::testing::Test {
 protected:
  void SetUp() override { room.gather_coven(); }
  RoomHarness room;
};

}  // namespace

TEST_F(NickChangeTest, SendsUnavailableWith303AndTheNewNickThenTheNewPresence) {
  // Examples 84-85.
  Stanzas out = room.send(
      "<presence from='hag66@shakespeare.lit/pda' id='ifd1c35' "
      "to='coven@chat.shakespeare.lit/oldhag'/>");
  ASSERT_THAT(out, SizeIs(6)) << str(out);
  // Old nick first, to everyone (the changer last, with 110).
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_THAT(out[i], IsUnavailable());
    EXPECT_THAT(out[i], From("coven@chat.shakespeare.lit/thirdwitch"));
    EXPECT_THAT(out[i], HasStatus(303));
    EXPECT_EQ(item_attr(out[i], "nick"), "oldhag");
    EXPECT_EQ(item_attr(out[i], "jid"), kHag);
  }
  EXPECT_THAT(out[2], To(kHag));
  EXPECT_THAT(out[2], HasStatuses(std::vector<int>{110, 303}));
  for (size_t i = 3; i < 6; ++i) {
    EXPECT_THAT(out[i], IsAvailable());
    EXPECT_THAT(out[i], From("coven@chat.shakespeare.lit/oldhag"));
    EXPECT_EQ(item_attr(out[i], "role"), "participant");
  }
  EXPECT_THAT(out[5], To(kHag));
  EXPECT_THAT(out[5], HasStatuses(std::vector<int>{110}));
  // Messages now come from the new nick.
  Stanzas said = room.say(kHag, kCoven, "hi");
  EXPECT_THAT(said.at(0), From("coven@chat.shakespeare.lit/oldhag"));
  ASSERT_THAT(room.effects().events, SizeIs(1));
}

TEST_F(NickChangeTest, RefusesANickInUseWithConflict) {
  // Example 87.
  Stanzas out = room.send(
      "<presence from='hag66@shakespeare.lit/pda' id='ifd1c35' "
      "to='coven@chat.shakespeare.lit/secondwitch'/>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/conflict"));
}

TEST_F(NickChangeTest, RefusesANickReservedByAMemberWithConflict) {
  room.admin(kCrone, kCoven,
             "<item affiliation='member' jid='hecate@shakespeare.lit' nick='hecate'/>");
  Stanzas out = room.send(
      "<presence from='hag66@shakespeare.lit/pda' "
      "to='coven@chat.shakespeare.lit/hecate'/>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/conflict"));
}

TEST_F(NickChangeTest, LogsTheOldAndNewNick) {
  room.send("<presence from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit/oldhag'/>");
  ASSERT_THAT(room.effects().events, SizeIs(1));
  const RoomEvent& ev = room.effects().events[0];
  EXPECT_EQ(ev.kind, RoomEventKind::nick_change);
  EXPECT_EQ(ev.actor_jid, kHag);
  EXPECT_EQ(ev.actor_nick, "thirdwitch");
  EXPECT_EQ(ev.target, "oldhag");
}

TEST_F(NickChangeTest, RefusesChangingTheNickOfAMultiSessionOccupantFromOneClient) {
  room.join("hag66@shakespeare.lit/phone", "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas out = room.send(
      "<presence from='hag66@shakespeare.lit/pda' "
      "to='coven@chat.shakespeare.lit/oldhag'/>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/not-acceptable"));
}

TEST(NickChangePolicy, MarksANickThePolicyRewroteWith210) {
  // Example 86: the service changes the nick (here to lower case).
  struct Lowercase : PermissivePolicy {
    NickDecision check_nick(const commonroom::xmpp::Jid&, const commonroom::xmpp::Jid&,
                            std::string_view nick) const override {
      std::string lower(nick);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return {lower == nick ? NickDecision::Kind::accept : NickDecision::Kind::rewrite, lower, ""};
    }
  };
  RoomHarness room(default_config(), std::make_shared<Lowercase>());
  room.create_coven();
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas out = room.send(
      "<presence from='hag66@shakespeare.lit/pda' id='nx6z2v5' "
      "to='coven@chat.shakespeare.lit/OldHag'/>");
  ASSERT_THAT(out, SizeIs(4)) << str(out);
  EXPECT_EQ(item_attr(out[0], "nick"), "oldhag");
  EXPECT_THAT(out[3], From("coven@chat.shakespeare.lit/oldhag"));
  EXPECT_THAT(out[3], HasStatuses(std::vector<int>{110, 210}));
}

TEST(NickChangeAlone, KeepsATemporaryRoomWhenItsOnlyOccupantChangesNick) {
  // The occupant never leaves: the room stays and takes the next message under the new
  // nick. (Prosody 0.12's own MUC ends such a room halfway through the change; decision 0082.)
  RoomHarness room;
  room.create_coven();
  Stanzas out = room.send("<presence from='" + std::string(kCrone) +
                          "' to='coven@chat.shakespeare.lit/oldcrone'/>");
  ASSERT_THAT(out, SizeIs(2)) << str(out);
  EXPECT_THAT(out[0], IsUnavailable());
  EXPECT_THAT(out[0], HasStatuses(std::vector<int>{110, 303}));
  EXPECT_THAT(out[1], From("coven@chat.shakespeare.lit/oldcrone"));
  EXPECT_THAT(room.service().rooms(), SizeIs(1));
  for (const auto& event : room.effects().events)
    EXPECT_NE(event.kind, RoomEventKind::room_destroyed);

  Stanzas said = room.say(kCrone, kCoven, "Still here");
  ASSERT_THAT(said, SizeIs(1)) << str(said);
  EXPECT_THAT(said[0], From("coven@chat.shakespeare.lit/oldcrone"));
  EXPECT_EQ(said[0].attr("type"), "groupchat");
}
