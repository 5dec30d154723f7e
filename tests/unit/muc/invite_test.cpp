// Mediated invitations and declines (XEP-0045 §7.8.2).
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

const char* kInvite =
    "<message from='crone1@shakespeare.lit/desktop' id='nzd143v8' to='coven@chat.shakespeare.lit'>"
    "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='hecate@shakespeare.lit'>"
    "<reason>Hey Hecate, this is the place for all good witches!</reason></invite></x></message>";
const char* kDecline =
    "<message from='hecate@shakespeare.lit/broom' id='jk2vs61v' to='coven@chat.shakespeare.lit'>"
    "<x xmlns='http://jabber.org/protocol/muc#user'><decline to='crone1@shakespeare.lit'>"
    "<reason>Sorry, I'm too busy right now.</reason></decline></x></message>";

}  // namespace

TEST(Invite, TheRoomSendsTheInvitationOnTheOccupantsBehalf) {
  // Examples 56-57.
  RoomHarness room;
  room.create_coven();
  Stanzas out = room.send(kInvite);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(str(out[0]),
            "<message from='coven@chat.shakespeare.lit' to='hecate@shakespeare.lit' id='nzd143v8'>"
            "<x xmlns='http://jabber.org/protocol/muc#user'><invite "
            "from='crone1@shakespeare.lit/desktop'>"
            "<reason>Hey Hecate, this is the place for all good "
            "witches!</reason></invite></x></message>");
  ASSERT_THAT(room.effects().events, SizeIs(1));
  EXPECT_EQ(room.effects().events[0].kind, RoomEventKind::invitation);
  EXPECT_EQ(room.effects().events[0].target, "hecate@shakespeare.lit");
}

TEST(Invite, PassesADeclineBackToTheInviter) {
  // Examples 59-60.
  RoomHarness room;
  room.create_coven();
  room.send(kInvite);
  Stanzas out = room.send(kDecline);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(str(out[0]),
            "<message from='coven@chat.shakespeare.lit' id='jk2vs61v' "
            "to='crone1@shakespeare.lit/desktop'>"
            "<x xmlns='http://jabber.org/protocol/muc#user'><decline from='hecate@shakespeare.lit'>"
            "<reason>Sorry, I'm too busy right now.</reason></decline></x></message>");
  EXPECT_EQ(room.effects().events.at(0).kind, RoomEventKind::invitation_decline);
  // Only once: a second decline matches no invitation.
  EXPECT_TRUE(room.send(kDecline).empty());
}

TEST(Invite, IgnoresADeclineOfAnInvitationTheRoomNeverSent) {
  // Otherwise anyone could make the room message arbitrary addresses.
  RoomHarness room;
  room.create_coven();
  EXPECT_TRUE(room.send(kDecline).empty());
  EXPECT_THAT(room.effects().dropped, SizeIs(1));
}

TEST(Invite, RefusesAnInvitationFromANonOccupant) {
  RoomHarness room;
  room.create_coven();
  Stanzas out = room.send(
      "<message from='puck@shakespeare.lit/wood' to='coven@chat.shakespeare.lit'>"
      "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='oberon@fairies.lit'/>"
      "</x></message>");
  EXPECT_THAT(out.at(0), IsError("cancel/not-acceptable"));
}

TEST(Invite, RefusesInvitingSomeoneBannedWithNotAllowed) {
  RoomHarness room;
  room.create_coven();
  room.admin(kCrone, kCoven, "<item affiliation='outcast' jid='hecate@shakespeare.lit'/>");
  EXPECT_THAT(room.send(kInvite).at(0), IsError("cancel/not-allowed"));
  (void)kHecate;
}

TEST(Invite, RefusesAnInvitationWithoutAddressWithJidMalformed) {
  RoomHarness room;
  room.create_coven();
  Stanzas out = room.send(
      "<message from='crone1@shakespeare.lit/desktop' to='coven@chat.shakespeare.lit'>"
      "<x xmlns='http://jabber.org/protocol/muc#user'><invite/></x></message>");
  EXPECT_THAT(out.at(0), IsError("modify/jid-malformed"));
}

TEST(Invite, RefusesAnInvitationCarryingAnUndefinedStatusCodeWithBadRequest) {
  // The muc#user payload is read whole: a value XEP-0045 does not define is named, and no
  // invitation goes out.
  RoomHarness room;
  room.create_coven();
  Stanzas out = room.send(
      "<message from='crone1@shakespeare.lit/desktop' to='coven@chat.shakespeare.lit'>"
      "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='hecate@shakespeare.lit'/>"
      "<status code='abc'/></x></message>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("modify/bad-request"));
  EXPECT_NE(str(out[0]).find("bad status code"), std::string::npos);
}

TEST(Invite, ShowsTheOccupantJidAsInviterInASemiAnonymousRoom) {
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_whois", {"moderators"}}});
  Stanzas out = room.send(kInvite);
  EXPECT_EQ(
      muc_user_x(out.at(0))->find_child("invite", commonroom::xmpp::ns::muc_user)->attr("from"),
      "coven@chat.shakespeare.lit/firstwitch");
}

TEST(Invite, PassesTheContinueFlagWithItsThreadOn) {
  // §7.9, examples "Continuing the Discussion III" and "Invitations Delivered".
  RoomHarness room;
  room.create_coven();
  room.join("wiccarocks@shakespeare.lit/laptop", "coven@chat.shakespeare.lit/secondwitch");
  room.leave("wiccarocks@shakespeare.lit/laptop", "coven@chat.shakespeare.lit/secondwitch");
  Stanzas out = room.send(
      "<message from='crone1@shakespeare.lit/desktop' id='gl3s85n7' "
      "to='coven@chat.shakespeare.lit'><x xmlns='http://jabber.org/protocol/muc#user'>"
      "<invite to='wiccarocks@shakespeare.lit/laptop'>"
      "<reason>This coven needs both wiccarocks and hag66.</reason>"
      "<continue thread='e0ffe42b28561960c6b12b944a092794b9683a38'/></invite>"
      "<invite to='hag66@shakespeare.lit'>"
      "<reason>This coven needs both wiccarocks and hag66.</reason>"
      "<continue thread='e0ffe42b28561960c6b12b944a092794b9683a38'/></invite>"
      "</x></message>");
  ASSERT_THAT(out, SizeIs(2));
  EXPECT_EQ(str(out[0]),
            "<message from='coven@chat.shakespeare.lit' to='wiccarocks@shakespeare.lit/laptop' "
            "id='gl3s85n7'><x xmlns='http://jabber.org/protocol/muc#user'><invite "
            "from='crone1@shakespeare.lit/desktop'><reason>This coven needs both wiccarocks and "
            "hag66.</reason><continue thread='e0ffe42b28561960c6b12b944a092794b9683a38'/>"
            "</invite></x></message>");
  EXPECT_THAT(out[1], To("hag66@shakespeare.lit"));
  EXPECT_NE(str(out[1]).find("<continue thread='e0ffe42b28561960c6b12b944a092794b9683a38'/>"),
            std::string::npos);
}

TEST(Invite, RefusesInvitingSomeoneBannedFromTheWholeService) {
  RoomHarness room;
  room.create_coven();
  room.set_service_bans({ServiceBan{"hecate@shakespeare.lit", "spam", "abuse-team"}});
  Stanzas out = room.send(kInvite);
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/not-allowed"));
}
