// Campus limits: message size, per-occupant message and presence rates (token buckets),
// rooms per service. Refusals are policy-violation errors with a text saying why.
#include "campus_harness.hpp"

using namespace commonroom::policies;
using namespace commonroom::policies::test;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

namespace {

PolicySettings limited() {
  PolicySettings s = campus_settings();
  s.max_message_bytes = 20;
  s.messages_per_minute = 60;  // one a second
  s.message_burst = 3;
  s.presences_per_minute = 6;  // one every ten seconds
  s.presence_burst = 2;
  return s;
}

void expect_violation(const Stanzas& out, const std::string& text) {
  ASSERT_EQ(out.size(), 1u) << str(out);
  EXPECT_THAT(out[0], IsError("modify/policy-violation"));
  EXPECT_EQ(error_text(out[0]), text);
}

Stanzas away(RoomHarness& room, const char* who, const char* nick) {
  return room.send("<presence from='" + std::string(who) + "' to='coven@chat.shakespeare.lit/" +
                   nick + "'><show>away</show></presence>");
}

}  // namespace

TEST(CampusLimits, ATooLargeMessageIsRefusedAndNotDelivered) {
  RoomHarness room = campus_rooms(limited());
  room.create_coven();
  room.join(kHag, "coven@chat.shakespeare.lit/hag");
  Stanzas out = room.say(kHag, kCoven, "this body is longer than twenty bytes");
  expect_violation(out, "messages are limited to 20 bytes; this one has 37");
  EXPECT_THAT(sent_to(out, kCrone), IsEmpty());
  EXPECT_THAT(sent_to(room.say(kHag, kCoven, "short"), kCrone), ::testing::SizeIs(1));
}

TEST(CampusLimits, MessagesBeyondTheBurstAreRefusedUntilTheBucketRefills) {
  RoomHarness room = campus_rooms(limited());
  room.create_coven();
  room.join(kHag, "coven@chat.shakespeare.lit/hag");
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(sent_to(room.say(kHag, kCoven, "hi"), kCrone), ::testing::SizeIs(1)) << i;
  }
  Stanzas refused = room.say(kHag, kCoven, "hi");
  expect_violation(refused,
                   "you are sending messages too fast (at most 60 a minute); wait a moment");
  // Private messages count against the same bucket.
  Stanzas pm = room.send(
      "<message from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit/firstwitch' "
      "type='chat'><body>psst</body></message>");
  EXPECT_THAT(pm.at(0), IsError("modify/policy-violation"));
  // Others are not slowed down by the hag.
  EXPECT_THAT(sent_to(room.say(kCrone, kCoven, "hello"), kHag), ::testing::SizeIs(1));
  room.advance(std::chrono::seconds(1));
  EXPECT_THAT(sent_to(room.say(kHag, kCoven, "hi"), kCrone), ::testing::SizeIs(1));
  EXPECT_THAT(room.say(kHag, kCoven, "hi").at(0), IsError("modify/policy-violation"));
}

TEST(CampusLimits, PresenceUpdatesAndNickChangesAreRateLimited) {
  RoomHarness room = campus_rooms(limited());
  room.create_coven();
  room.join(kHag, "coven@chat.shakespeare.lit/hag");
  EXPECT_THAT(sent_to(away(room, kHag, "hag"), kCrone), ::testing::SizeIs(1));
  EXPECT_THAT(sent_to(away(room, kHag, "hag"), kCrone), ::testing::SizeIs(1));
  expect_violation(away(room, kHag, "hag"),
                   "you are changing your presence too fast (at most 6 a minute); wait a moment");
  Stanzas renamed = room.send(
      "<presence from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit/hecate'/>");
  EXPECT_THAT(renamed.at(0), IsError("modify/policy-violation"));
  room.advance(std::chrono::seconds(10));
  EXPECT_THAT(sent_to(away(room, kHag, "hag"), kCrone), ::testing::SizeIs(1));
}

TEST(CampusLimits, TheServiceHoldsAtMostMaxRooms) {
  PolicySettings s = campus_settings();
  s.max_rooms = 2;
  RoomHarness rooms = campus_rooms(s);
  rooms.create(kHag, "one@chat.shakespeare.lit/hag");
  rooms.create(kCrone, "two@chat.shakespeare.lit/crone");
  Stanzas out = rooms.join(kWiz, "three@chat.shakespeare.lit/wiz");
  ASSERT_EQ(out.size(), 1u) << str(out);
  EXPECT_THAT(out[0], IsError("cancel/not-allowed"));
  EXPECT_EQ(error_text(out[0]), "the service holds as many rooms as it may (2); try again later");
}

TEST(CampusLimits, ARoomIsLinkedToAtMostMaxLinksInstitutionsAndGroups) {
  PolicySettings s = campus_settings();
  s.service_admins = {"crone1@shakespeare.lit"};  // may link rooms
  s.max_links = 1;
  RoomHarness room = campus_rooms(s);
  room.create("crone1@shakespeare.lit/desktop", "coven@chat.shakespeare.lit/firstwitch");
  Stanzas two =
      room.configure(kCrone, kCoven, {{"x-commonroom#linked", {"inst:TRIN", "inst:KINGS"}}});
  ASSERT_EQ(two.size(), 1u) << str(two);
  EXPECT_THAT(two[0], IsError("modify/not-acceptable"));
  EXPECT_THAT(error_text(two[0]), HasSubstr("at most 1"));
  EXPECT_THAT(room.configure(kCrone, kCoven, {{"x-commonroom#linked", {"inst:TRIN"}}}).at(0),
              IsResult());
}
