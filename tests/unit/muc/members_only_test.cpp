// Members-only rooms (XEP-0045 §7.2.6, §9.3-9.5, §10.2): who gets in, membership changes,
// 321 and 322 removals, the member list.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

class MembersOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    room.create_coven({{"muc#roomconfig_membersonly", {"1"}}});
    room.admin(kCrone, kCoven, "<item affiliation='member' jid='wiccarocks@shakespeare.lit'/>");
    room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  }
  RoomHarness room;
};

}  // namespace

TEST_F(MembersOnlyTest, RejectsUnaffiliatedJoinWithRegistrationRequired) {
  // Example 27.
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/registration-required"));
}

TEST_F(MembersOnlyTest, LetsInSomeoneAddedToTheMemberList) {
  // Examples 147-149.
  Stanzas granted = room.admin(
      kCrone, kCoven, "<item affiliation='member' jid='hag66@shakespeare.lit' nick='thirdwitch'/>");
  EXPECT_THAT(granted.at(0), IsResult());
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  EXPECT_THAT(sent_to(out, kHag).at(2), HasItem("member", "participant"));
}

TEST_F(MembersOnlyTest, InvitesANewMemberWhoIsNotInTheRoom) {
  // §9.5, Example 167: the room invites people added to its member list.
  Stanzas out =
      room.admin(kCrone, kCoven, "<item affiliation='member' jid='hecate@shakespeare.lit'/>");
  ASSERT_THAT(out, SizeIs(2)) << str(out);
  EXPECT_THAT(out[0], IsResult());
  EXPECT_THAT(out[1], To("hecate@shakespeare.lit"));
  EXPECT_THAT(out[1], From(kCoven));
  const Element* invite = muc_user_x(out[1])->find_child("invite", commonroom::xmpp::ns::muc_user);
  ASSERT_NE(invite, nullptr);
  EXPECT_EQ(invite->attr("from"), "crone1@shakespeare.lit");
}

TEST_F(MembersOnlyTest, RemovesARevokedMemberWith321) {
  // §9.4, Example 153: one unavailable presence, no separate affiliation change.
  Stanzas out =
      room.admin(kCrone, kCoven, "<item affiliation='none' jid='wiccarocks@shakespeare.lit'/>");
  ASSERT_THAT(out, SizeIs(3)) << str(out);
  EXPECT_THAT(out[0], To(kWicca));
  EXPECT_THAT(out[0], HasStatuses(std::vector<int>{110, 321}));
  EXPECT_THAT(out[0], HasItem("none", "none"));
  EXPECT_EQ(muc_item(out[0])->find_child("actor", commonroom::xmpp::ns::muc_user)->attr("nick"),
            "firstwitch");
  EXPECT_THAT(out[1], IsResult());
  EXPECT_THAT(out[2], HasStatuses(std::vector<int>{321}));
  EXPECT_THAT(room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch").at(0),
              IsError("auth/registration-required"));
}

TEST(MembersOnlySwitch, RemovesNonMembersWith322WhenARoomBecomesMembersOnly) {
  // §10.2.
  RoomHarness room;
  room.create_coven();
  room.admin(kCrone, kCoven, "<item affiliation='member' jid='wiccarocks@shakespeare.lit'/>");
  room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas out = room.configure(kCrone, kCoven, {{"muc#roomconfig_membersonly", {"1"}}});
  Stanzas to_hag = sent_to(out, kHag);
  ASSERT_FALSE(to_hag.empty()) << str(out);
  EXPECT_THAT(to_hag.back(), IsUnavailable());
  EXPECT_THAT(to_hag.back(), HasStatuses(std::vector<int>{110, 322}));
  Stanzas to_wicca = sent_to(out, kWicca);
  EXPECT_THAT(to_wicca.back(), HasStatuses(std::vector<int>{322}));
  EXPECT_THAT(room.say(kWicca, kCoven, "still here"), SizeIs(2));
}

TEST_F(MembersOnlyTest, GivesTheMemberListToMembersOfANonAnonymousRoom) {
  // Examples 150-151 and the note of §9.5.
  Stanzas out = room.admin(kWicca, kCoven, "<item affiliation='member'/>", "get");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(str(out[0]),
            "<iq to='wiccarocks@shakespeare.lit/laptop' from='coven@chat.shakespeare.lit' id='q1' "
            "type='result'><query xmlns='http://jabber.org/protocol/muc#admin'><item "
            "affiliation='member' jid='wiccarocks@shakespeare.lit' nick='secondwitch' "
            "role='participant'/></query></iq>");
  EXPECT_THAT(room.admin(kHag, kCoven, "<item affiliation='member'/>", "get").at(0),
              IsError("auth/forbidden"));
}

TEST_F(MembersOnlyTest, RefusesAMemberInvitingOthersUnlessAllowed) {
  // §9.5, Example 168.
  room.configure(kCrone, kCoven, {{"muc#roomconfig_allowinvites", {"0"}}});
  Stanzas out = room.send(
      "<message from='wiccarocks@shakespeare.lit/laptop' to='coven@chat.shakespeare.lit'>"
      "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='hecate@shakespeare.lit'/>"
      "</x></message>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/forbidden"));
}

TEST_F(MembersOnlyTest, AddsTheInviteeToTheMemberListWhenMembersMayInvite) {
  // §7.8.2: an invitation to a members-only room makes the invitee a member.
  room.send(
      "<message from='wiccarocks@shakespeare.lit/laptop' to='coven@chat.shakespeare.lit'>"
      "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='hecate@shakespeare.lit'/>"
      "</x></message>");
  Stanzas out = room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate");
  EXPECT_THAT(sent_to(out, "hecate@shakespeare.lit/broom").at(2), HasItem("member", "participant"));
}
