// Kicking an occupant (XEP-0045 §8.2): 307 to the kicked one, the result, then the room.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

class KickTest : public ::testing::Test {
 protected:
  void SetUp() override { room.gather_coven(); }
  Stanzas kick(const char* by, const char* nick, const std::string& reason = "") {
    return room.admin(by, kCoven,
                      std::string("<item nick='") + nick + "' role='none'>" +
                          (reason.empty() ? "" : "<reason>" + reason + "</reason>") + "</item>");
  }
  RoomHarness room;
};

}  // namespace

TEST_F(KickTest, RemovesTheOccupantWith307ThenAnswersThenTellsTheRoom) {
  // Examples 118-121: kicked occupant first, then the moderator's result, then the rest.
  Stanzas out = kick(kCrone, "thirdwitch", "Avaunt, you cullion!");
  ASSERT_THAT(out, SizeIs(4)) << str(out);
  EXPECT_THAT(out[0], To(kHag));
  EXPECT_THAT(out[0], IsUnavailable());
  EXPECT_THAT(out[0], HasStatuses(std::vector<int>{110, 307}));
  EXPECT_THAT(out[0], HasItem("none", "none"));
  const Element* item = muc_item(out[0]);
  EXPECT_EQ(item->find_child("actor", commonroom::xmpp::ns::muc_user)->attr("nick"), "firstwitch");
  EXPECT_EQ(item->child_text("reason", commonroom::xmpp::ns::muc_user), "Avaunt, you cullion!");
  EXPECT_THAT(out[1], To(kCrone));
  EXPECT_THAT(out[1], IsResult());
  for (size_t i = 2; i < 4; ++i) {
    EXPECT_THAT(out[i], IsUnavailable());
    EXPECT_THAT(out[i], From("coven@chat.shakespeare.lit/thirdwitch"));
    EXPECT_THAT(out[i], HasStatuses(std::vector<int>{307}));
  }
  EXPECT_THAT(room.say(kHag, kCoven, "back?").at(0), IsError("cancel/not-acceptable"));
}

TEST_F(KickTest, LogsWhoKickedWhomAndWhyAndTheKickedOccupantsExit) {
  kick(kCrone, "thirdwitch", "Avaunt, you cullion!");
  const auto& events = room.effects().events;
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[0].kind, RoomEventKind::kick);
  EXPECT_EQ(events[0].actor_jid, kCrone);
  EXPECT_EQ(events[0].actor_nick, "firstwitch");
  EXPECT_EQ(events[0].target, kHag);
  EXPECT_EQ(events[0].body, "Avaunt, you cullion!");
  EXPECT_NE(events[0].detail.find("thirdwitch"), std::string::npos);
  // docs/abuse-log.md: every departure is an exit of the occupant, with its cause.
  EXPECT_EQ(events[1].kind, RoomEventKind::exit);
  EXPECT_EQ(events[1].actor_jid, kHag);
  EXPECT_EQ(events[1].actor_nick, "thirdwitch");
  EXPECT_EQ(events[1].detail, "{\"cause\":\"kicked\",\"by\":\"firstwitch\"}");
}

TEST_F(KickTest, RefusesAParticipantWithForbidden) {
  // §8: muc#admin requests from non-moderators are forbidden.
  Stanzas out = kick(kHag, "secondwitch");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/forbidden"));
}

TEST_F(KickTest, RefusesKickingSomeoneOfHigherAffiliationWithNotAllowed) {
  // Example 122: a member moderator may not kick an admin.
  room.admin(kCrone, kCoven, "<item affiliation='admin' jid='wiccarocks@shakespeare.lit'/>");
  room.admin(kCrone, kCoven, "<item affiliation='member' jid='hag66@shakespeare.lit'/>");
  room.admin(kCrone, kCoven, "<item nick='thirdwitch' role='moderator'/>");
  Stanzas out = kick(kHag, "secondwitch");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/not-allowed"));
  // And an admin may not kick the owner.
  EXPECT_THAT(kick(kWicca, "firstwitch").at(0), IsError("cancel/not-allowed"));
}

TEST_F(KickTest, RefusesKickingAnUnknownNick) {
  EXPECT_THAT(kick(kCrone, "nobody").at(0), IsError("cancel/item-not-found"));
}

TEST_F(KickTest, RefusesAnItemWithBothRoleAndAffiliationWithBadRequest) {
  // §17.4 rule 4.
  Stanzas out = room.admin(kCrone, kCoven,
                           "<item nick='thirdwitch' role='none' affiliation='outcast' "
                           "jid='hag66@shakespeare.lit'/>");
  EXPECT_THAT(out.at(0), IsError("modify/bad-request"));
}
