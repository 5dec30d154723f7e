// Destroying a room (XEP-0045 §10.9): reason and alternate venue to every occupant.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

const std::string kDestroy =
    "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy "
    "jid='coven@chat.shakespeare.lit'><reason>Macbeth doth come.</reason></destroy></query>";

class DestroyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    room.create("crone1@shakespeare.lit/desktop", "heath@chat.shakespeare.lit/firstwitch");
    room.configure(kCrone, "heath@chat.shakespeare.lit",
                   {{"muc#roomconfig_persistentroom", {"1"}}});
    room.join(kWicca, "heath@chat.shakespeare.lit/secondwitch");
    room.join(kHag, "heath@chat.shakespeare.lit/thirdwitch");
  }
  RoomHarness room;
};

}  // namespace

TEST_F(DestroyTest, RemovesEveryOccupantWithTheReasonAndAlternateVenueThenAnswers) {
  // Examples 200-202: one unavailable presence per occupant, then the owner's result.
  Stanzas out = room.iq(kCrone, "heath@chat.shakespeare.lit", "set", kDestroy, "begone");
  ASSERT_THAT(out, SizeIs(4)) << str(out);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_THAT(out[i], IsUnavailable());
    EXPECT_THAT(out[i], HasItem("none", "none"));
    EXPECT_THAT(out[i], HasStatuses(std::vector<int>{110}));
    const Element* destroy =
        muc_user_x(out[i])->find_child("destroy", commonroom::xmpp::ns::muc_user);
    ASSERT_NE(destroy, nullptr);
    EXPECT_EQ(destroy->attr("jid"), "coven@chat.shakespeare.lit");
    EXPECT_EQ(destroy->child_text("reason", commonroom::xmpp::ns::muc_user), "Macbeth doth come.");
  }
  EXPECT_THAT(out[3], IsResult());
  EXPECT_THAT(out[3], To(kCrone));
  EXPECT_TRUE(room.service().rooms().empty());
}

TEST_F(DestroyTest, ForgetsThePersistentRoomAndLogsIt) {
  room.iq(kCrone, "heath@chat.shakespeare.lit", "set", kDestroy, "begone");
  const Effects& fx = room.effects();
  EXPECT_EQ(fx.deletions, (std::vector<std::string>{"heath@chat.shakespeare.lit"}));
  ASSERT_THAT(fx.events, SizeIs(1));
  EXPECT_EQ(fx.events[0].kind, RoomEventKind::room_destroyed);
  EXPECT_EQ(fx.events[0].actor_jid, kCrone);
  EXPECT_EQ(fx.events[0].body, "Macbeth doth come.");
  EXPECT_NE(fx.events[0].detail.find("coven@chat.shakespeare.lit"), std::string::npos);
}

TEST_F(DestroyTest, RefusesANonOwnerWithForbidden) {
  // Example 203.
  Stanzas out = room.iq(kWicca, "heath@chat.shakespeare.lit", "set", kDestroy, "destroytest");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/forbidden"));
  EXPECT_THAT(room.service().rooms(), SizeIs(1));
}

TEST_F(DestroyTest, RefusesAMalformedAlternateVenue) {
  Stanzas out =
      room.iq(kCrone, "heath@chat.shakespeare.lit", "set",
              "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy jid='@bad'/></query>");
  EXPECT_THAT(out.at(0), IsError("modify/jid-malformed"));
}

TEST_F(DestroyTest, DestroysWithoutReasonOrVenue) {
  Stanzas out = room.iq(kCrone, "heath@chat.shakespeare.lit", "set",
                        "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query>");
  ASSERT_THAT(out, SizeIs(4));
  EXPECT_NE(muc_user_x(out[0])->find_child("destroy", commonroom::xmpp::ns::muc_user), nullptr);
}
