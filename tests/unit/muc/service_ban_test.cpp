// Service-wide bans: a banned JID or domain is an outcast in every room, at once.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

constexpr const char* kHagPhone = "hag66@shakespeare.lit/phone";
constexpr const char* kStranger = "stranger@evil.example/bot";
constexpr const char* kDarkCave = "darkcave@chat.shakespeare.lit";

ServiceBan ban(std::string subject, std::string reason = "spam") {
  return ServiceBan{std::move(subject), std::move(reason), "abuse-team"};
}

class ServiceBanTest : public ::testing::Test {
 protected:
  void SetUp() override { room.gather_coven(); }
  RoomHarness room;
};

}  // namespace

TEST_F(ServiceBanTest, RemovesAPresentOccupantWith301AtOnce) {
  Stanzas out = room.set_service_bans({ban("hag66@shakespeare.lit", "harassment")});
  ASSERT_THAT(out, SizeIs(3)) << str(out);
  EXPECT_THAT(out[0], To(kHag));
  EXPECT_THAT(out[0], IsUnavailable());
  EXPECT_THAT(out[0], HasStatuses(std::vector<int>{110, 301}));
  EXPECT_THAT(out[0], HasItem("outcast", "none"));
  EXPECT_EQ(muc_item(out[0])->child_text("reason", commonroom::xmpp::ns::muc_user), "harassment");
  // Everyone else sees the banned occupant go, with 301 and without 110.
  EXPECT_THAT(sent_to(out, kCrone), SizeIs(1));
  EXPECT_THAT(sent_to(out, kWicca), SizeIs(1));
  EXPECT_THAT(out[1], HasStatuses(std::vector<int>{301}));
  EXPECT_THAT(out[2], HasStatuses(std::vector<int>{301}));
  // A message from the banned user no longer reaches the room.
  EXPECT_THAT(room.say(kHag, kCoven, "still here?").at(0), IsError("cancel/not-acceptable"));
}

TEST_F(ServiceBanTest, KeepsTheBannedOutOfEveryRoomAndFromCreatingOne) {
  room.set_service_bans({ban("hag66@shakespeare.lit", "harassment")});
  Stanzas again = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  ASSERT_THAT(again, SizeIs(1));
  EXPECT_THAT(again[0], IsError("auth/forbidden"));
  EXPECT_NE(str(again[0]).find("banned from this service: harassment"), std::string::npos)
      << str(again[0]);
  Stanzas create = room.join(kHag, std::string(kDarkCave) + "/hag");
  ASSERT_THAT(create, SizeIs(1));
  EXPECT_THAT(create[0], IsError("auth/forbidden"));
  EXPECT_EQ(room.service().rooms().size(), 1u) << "no room was created";
}

TEST_F(ServiceBanTest, RemovesEverySessionOfTheUser) {
  room.join(kHagPhone, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas out = room.set_service_bans({ban("hag66@shakespeare.lit")});
  EXPECT_THAT(sent_to(out, kHag), SizeIs(1));
  EXPECT_THAT(sent_to(out, kHagPhone), SizeIs(1));
  EXPECT_THAT(sent_to(out, kHagPhone).at(0), HasStatus(301));
}

TEST_F(ServiceBanTest, ADomainBanCoversEveryUserOfThatDomainOnly) {
  room.join(kStranger, "coven@chat.shakespeare.lit/visitor");
  room.join("friend@sub.evil.example/x", "coven@chat.shakespeare.lit/friend");
  Stanzas out = room.set_service_bans({ban("evil.example")});
  EXPECT_THAT(sent_to(out, kStranger), SizeIs(1));
  EXPECT_THAT(sent_to(out, kStranger).at(0), HasStatuses(std::vector<int>{110, 301}));
  EXPECT_THAT(sent_to(out, "friend@sub.evil.example/x"), SizeIs(1));
  EXPECT_THAT(sent_to(out, "friend@sub.evil.example/x").at(0), IsUnavailable())
      << "the subdomain's user only sees the stranger leave";
  EXPECT_THAT(sent_to(out, "friend@sub.evil.example/x").at(0), HasStatuses(std::vector<int>{301}));
  EXPECT_THAT(room.join("other@evil.example/y", "coven@chat.shakespeare.lit/other").at(0),
              IsError("auth/forbidden"));
}

TEST_F(ServiceBanTest, WinsOverTheRoomsOwnAffiliation) {
  // The room's owner is banned too: ban first, then nothing the room says lets them in.
  Stanzas out = room.set_service_bans({ban("crone1@shakespeare.lit")});
  EXPECT_THAT(sent_to(out, kCrone).at(0), HasItem("outcast", "none"));
  EXPECT_THAT(room.join(kCrone, "coven@chat.shakespeare.lit/firstwitch").at(0),
              IsError("auth/forbidden"));
}

TEST_F(ServiceBanTest, LogsTheBanAndTheExitForAbuseStaff) {
  room.set_service_bans({ban("hag66@shakespeare.lit", "harassment")});
  const auto& events = room.effects().events;
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[0].kind, RoomEventKind::ban);
  EXPECT_EQ(events[0].room, kCoven);
  EXPECT_EQ(events[0].actor_jid, "") << "the service, not an occupant";
  EXPECT_EQ(events[0].target, "hag66@shakespeare.lit");
  EXPECT_EQ(events[0].body, "harassment");
  EXPECT_NE(events[0].detail.find("\"scope\":\"service\""), std::string::npos) << events[0].detail;
  EXPECT_NE(events[0].detail.find("abuse-team"), std::string::npos) << events[0].detail;
  EXPECT_EQ(events[1].kind, RoomEventKind::exit);
  EXPECT_EQ(events[1].actor_jid, kHag);
  EXPECT_NE(events[1].detail.find("banned"), std::string::npos);
  for (const auto& e : events) EXPECT_EQ(e.raw, "") << "no stanza caused it";
}

TEST_F(ServiceBanTest, LiftingTheBanLetsTheUserBackWithoutTouchingAnyone) {
  room.set_service_bans({ban("hag66@shakespeare.lit")});
  Stanzas lifted = room.set_service_bans({});
  EXPECT_THAT(lifted, SizeIs(0));
  EXPECT_THAT(room.effects().events, SizeIs(0));
  Stanzas back = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  ASSERT_FALSE(back.empty());
  EXPECT_THAT(back.back(), ::testing::Not(IsError("auth/forbidden")));
  EXPECT_THAT(sent_to(back, kHag).back().name(), "message") << "subject ends the join sequence";
}

TEST_F(ServiceBanTest, ReassigningTheSameBansRemovesNobodyTwice) {
  room.set_service_bans({ban("hag66@shakespeare.lit")});
  Stanzas again = room.set_service_bans({ban("hag66@shakespeare.lit"), ban("nobody@x.example")});
  EXPECT_THAT(again, SizeIs(0));
  EXPECT_THAT(room.effects().events, SizeIs(0));
}

TEST_F(ServiceBanTest, ATemporaryRoomLeftEmptyIsDestroyed) {
  RoomHarness lone;
  lone.create("hag66@shakespeare.lit/pda", std::string(kDarkCave) + "/hag");
  ASSERT_EQ(lone.service().rooms().size(), 1u);
  lone.set_service_bans({ban("shakespeare.lit")});
  EXPECT_EQ(lone.service().rooms().size(), 0u);
  const auto& events = lone.effects().events;
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, RoomEventKind::room_destroyed);
}
