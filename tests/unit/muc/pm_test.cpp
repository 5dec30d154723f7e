// Private messages through the room (XEP-0045 §7.5) and muc#roomconfig_allowpm.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

const std::string kNs(commonroom::xmpp::ns::component_accept);

std::string pm(const std::string& from, const std::string& to, const std::string& type = "chat") {
  return "<message from='" + from + "' id='hgn27af1' to='" + to + "' type='" + type +
         "'><body>I'll give thee a wind.</body></message>";
}

class PmTest : public ::testing::Test {
 protected:
  void SetUp() override { enter(); }
  void enter(const std::vector<std::pair<std::string, std::vector<std::string>>>& cfg = {}) {
    room.create_coven(cfg);
    room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  }
  RoomHarness room;
};

}  // namespace

TEST_F(PmTest, DeliversToTheRecipientFromTheSendersOccupantJidMarkedAsMuc) {
  // Examples 47-48.
  Stanzas out = room.send(pm(kWicca, "coven@chat.shakespeare.lit/firstwitch"));
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], To(kCrone));
  EXPECT_THAT(out[0], From("coven@chat.shakespeare.lit/secondwitch"));
  EXPECT_EQ(out[0].attr("id"), "hgn27af1");
  EXPECT_EQ(out[0].attr("type"), "chat");
  EXPECT_EQ(out[0].child_text("body", kNs), "I'll give thee a wind.");
  EXPECT_NE(out[0].find_child("x", commonroom::xmpp::ns::muc_user), nullptr);
  ASSERT_THAT(room.effects().events, SizeIs(1));
  EXPECT_EQ(room.effects().events[0].kind, RoomEventKind::private_message);
  EXPECT_EQ(room.effects().events[0].target, kCrone);
}

TEST_F(PmTest, RefusesAPrivateMessageOfTypeGroupchatWithBadRequest) {
  // Examples 49-50.
  Stanzas out = room.send(pm(kWicca, "coven@chat.shakespeare.lit/firstwitch", "groupchat"));
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("modify/bad-request"));
  EXPECT_THAT(out[0], From("coven@chat.shakespeare.lit/firstwitch"));
}

TEST_F(PmTest, RefusesAPrivateMessageToAnUnknownNickWithItemNotFound) {
  Stanzas out = room.send(pm(kWicca, "coven@chat.shakespeare.lit/nobody"));
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/item-not-found"));
}

TEST_F(PmTest, RefusesAPrivateMessageFromANonOccupantWithNotAcceptable) {
  Stanzas out = room.send(pm(kHag, "coven@chat.shakespeare.lit/firstwitch"));
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/not-acceptable"));
}

TEST_F(PmTest, DeliversToEverySessionOfAMultiSessionNick) {
  room.join("crone1@shakespeare.lit/laptop", "coven@chat.shakespeare.lit/firstwitch");
  Stanzas out = room.send(pm(kWicca, "coven@chat.shakespeare.lit/firstwitch"));
  ASSERT_THAT(out, SizeIs(2));
  EXPECT_THAT(out[0], To(kCrone));
  EXPECT_THAT(out[1], To("crone1@shakespeare.lit/laptop"));
}

TEST(PmPolicy, RefusesEveryPrivateMessageWhenAllowpmIsNone) {
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_allowpm", {"none"}}});
  room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  EXPECT_THAT(room.send(pm(kWicca, "coven@chat.shakespeare.lit/firstwitch")).at(0),
              IsError("cancel/not-allowed"));
  EXPECT_THAT(room.send(pm(kCrone, "coven@chat.shakespeare.lit/secondwitch")).at(0),
              IsError("cancel/not-allowed"));
}

TEST(PmPolicy, LetsOnlyModeratorsSendWhenAllowpmIsModerators) {
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_allowpm", {"moderators"}}});
  room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  EXPECT_THAT(room.send(pm(kWicca, "coven@chat.shakespeare.lit/firstwitch")).at(0),
              IsError("auth/forbidden"));
  EXPECT_THAT(room.send(pm(kCrone, "coven@chat.shakespeare.lit/secondwitch")).at(0), To(kWicca));
}

TEST(PmPolicy, LetsOnlyOccupantsWithVoiceSendWhenAllowpmIsParticipants) {
  RoomHarness room;
  room.create_coven(
      {{"muc#roomconfig_allowpm", {"participants"}}, {"muc#roomconfig_moderatedroom", {"1"}}});
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");  // visitor
  EXPECT_THAT(room.send(pm(kHag, "coven@chat.shakespeare.lit/firstwitch")).at(0),
              IsError("auth/forbidden"));
  room.admin(kCrone, kCoven, "<item nick='thirdwitch' role='participant'/>");
  EXPECT_THAT(room.send(pm(kHag, "coven@chat.shakespeare.lit/firstwitch")).at(0), To(kCrone));
}
