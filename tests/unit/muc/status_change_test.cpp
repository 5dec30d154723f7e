// Changing availability (XEP-0045 §7.7), and who sees whose presence: presencebroadcast
// and semi-anonymous rooms.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

const std::string kNs(commonroom::xmpp::ns::component_accept);

}  // namespace

TEST(StatusChange, PassesTheNewShowAndStatusToEveryone) {
  // Examples 89-90.
  RoomHarness room;
  room.create_coven();
  room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  Stanzas out = room.send(
      "<presence from='wiccarocks@shakespeare.lit/laptop' id='kr7v143h' "
      "to='coven@chat.shakespeare.lit/secondwitch'><show>xa</show>"
      "<status>gone where the goblins go</status></presence>");
  ASSERT_THAT(out, SizeIs(2)) << str(out);
  EXPECT_THAT(out[0], To(kCrone));
  EXPECT_EQ(out[0].child_text("show", kNs), "xa");
  EXPECT_EQ(out[0].child_text("status", kNs), "gone where the goblins go");
  EXPECT_EQ(item_attr(out[0], "jid"), kWicca);
  EXPECT_THAT(out[1], To(kWicca));
  EXPECT_THAT(out[1], HasStatuses(std::vector<int>{110}));
  // Newcomers see the latest presence.
  Stanzas joined = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas seen = sent_to(joined, kHag);
  EXPECT_EQ(seen.at(1).child_text("show", kNs), "xa");
}

TEST(StatusChange, HidesRealJidsFromNonModeratorsInSemiAnonymousRooms) {
  // §7.2.4: only moderators get the 'jid'.
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_whois", {"moderators"}}});
  room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  EXPECT_EQ(item_attr(sent_to(out, kCrone).at(0), "jid"), kHag);  // moderator
  EXPECT_EQ(item_attr(sent_to(out, kWicca).at(0), "jid"), "");    // participant
  Stanzas self = sent_to(out, kHag);
  EXPECT_EQ(item_attr(self.at(0), "jid"), "");                       // crone, to hag
  EXPECT_THAT(self.at(2), HasStatuses(std::vector<int>{110, 170}));  // no 100
  // One serialization per audience.
  EXPECT_THAT(room.effects().fanouts, SizeIs(2));
}

TEST(StatusChange, BroadcastsOnlyTheRolesTheRoomBroadcasts) {
  // muc#roomconfig_presencebroadcast without visitor: visitors are silent in the roster.
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_moderatedroom", {"1"}},
                     {"muc#roomconfig_presencebroadcast", {"moderator", "participant"}}});
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");  // a visitor
  EXPECT_TRUE(sent_to(out, kCrone).empty()) << str(out);
  Stanzas self = sent_to(out, kHag);
  EXPECT_THAT(self.at(1), HasStatus(110));
  EXPECT_EQ(item_attr(self.at(1), "role"), "visitor");
  // Granted voice, the visitor appears.
  Stanzas voiced = room.admin(kCrone, kCoven, "<item nick='thirdwitch' role='participant'/>");
  Stanzas to_crone = sent_to(voiced, kCrone);
  ASSERT_THAT(to_crone, SizeIs(2));
  EXPECT_THAT(to_crone[1], From("coven@chat.shakespeare.lit/thirdwitch"));
  EXPECT_EQ(item_attr(to_crone[1], "role"), "participant");
}
