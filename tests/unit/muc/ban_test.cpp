// Banning (XEP-0045 §9.1-9.2): 301, the ban list, domain bans, and the rules on who may ban.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

class BanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    room.create_coven();
    room.admin(kCrone, kCoven, "<item affiliation='admin' jid='wiccarocks@shakespeare.lit'/>");
    room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
    room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  }
  RoomHarness room;
};

}  // namespace

TEST_F(BanTest, RemovesTheBannedOccupantWith301AndKeepsThemOut) {
  // Examples 138-142.
  Stanzas out = room.admin(kWicca, kCoven,
                           "<item affiliation='outcast' jid='hag66@shakespeare.lit'>"
                           "<reason>Treason</reason></item>");
  ASSERT_THAT(out, SizeIs(4)) << str(out);
  EXPECT_THAT(out[0], To(kHag));
  EXPECT_THAT(out[0], IsUnavailable());
  EXPECT_THAT(out[0], HasStatuses(std::vector<int>{110, 301}));
  EXPECT_THAT(out[0], HasItem("outcast", "none"));
  EXPECT_EQ(muc_item(out[0])->child_text("reason", commonroom::xmpp::ns::muc_user), "Treason");
  EXPECT_THAT(out[1], IsResult());
  EXPECT_THAT(out[2], HasStatuses(std::vector<int>{301}));
  EXPECT_THAT(out[3], HasStatuses(std::vector<int>{301}));
  EXPECT_THAT(room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch").at(0),
              IsError("auth/forbidden"));
}

TEST_F(BanTest, LogsTheBan) {
  room.admin(
      kWicca, kCoven,
      "<item affiliation='outcast' jid='hag66@shakespeare.lit'><reason>Treason</reason></item>");
  const auto& events = room.effects().events;
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[0].kind, RoomEventKind::ban);
  EXPECT_EQ(events[0].actor_jid, kWicca);
  EXPECT_EQ(events[0].target, "hag66@shakespeare.lit");
  EXPECT_EQ(events[0].body, "Treason");
  EXPECT_EQ(events[1].kind, RoomEventKind::exit);
  EXPECT_EQ(events[1].actor_jid, kHag);
  EXPECT_NE(events[1].detail.find("banned"), std::string::npos);
}

TEST_F(BanTest, GivesAdminsTheBanListAndTakesChangesAsADelta) {
  // Examples 143-146.
  room.admin(kCrone, kCoven,
             "<item affiliation='outcast' jid='earlofcambridge@shakespeare.lit'><reason>Treason"
             "</reason></item>");
  room.admin(
      kCrone, kCoven,
      "<item affiliation='outcast' jid='lordscroop@shakespeare.lit'><reason>Treason</reason></item>"
      "<item affiliation='outcast' "
      "jid='sirthomasgrey@shakespeare.lit'><reason>Treason</reason></item>");
  Stanzas list = room.admin(kCrone, kCoven, "<item affiliation='outcast'/>", "get");
  ASSERT_THAT(list, SizeIs(1));
  auto items = list[0]
                   .find_child("query", commonroom::xmpp::ns::muc_admin)
                   ->children("item", commonroom::xmpp::ns::muc_admin);
  ASSERT_THAT(items, SizeIs(3));
  EXPECT_EQ(str(*items[0]),
            "<item xmlns='http://jabber.org/protocol/muc#admin' affiliation='outcast' "
            "jid='earlofcambridge@shakespeare.lit'><reason>Treason</reason></item>");
  // Lifting a ban.
  room.admin(kCrone, kCoven, "<item affiliation='none' jid='lordscroop@shakespeare.lit'/>");
  list = room.admin(kCrone, kCoven, "<item affiliation='outcast'/>", "get");
  EXPECT_THAT(list[0]
                  .find_child("query", commonroom::xmpp::ns::muc_admin)
                  ->children("item", commonroom::xmpp::ns::muc_admin),
              SizeIs(2));
  EXPECT_THAT(room.admin(kHag, kCoven, "<item affiliation='outcast'/>", "get").at(0),
              IsError("auth/forbidden"));
}

TEST_F(BanTest, BansAWholeDomain) {
  // §9.2: <domain> matches any user@domain.
  room.admin(kCrone, kCoven, "<item affiliation='outcast' jid='shakespeare.lit'/>");
  EXPECT_THAT(room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate").at(0),
              IsError("auth/forbidden"));
  EXPECT_THAT(sent_to(room.join("puck@fairies.lit/wood", "coven@chat.shakespeare.lit/puck"),
                      "puck@fairies.lit/wood"),
              ::testing::Not(::testing::IsEmpty()));
}

TEST_F(BanTest, RefusesBanningOneselfWithConflict) {
  EXPECT_THAT(
      room.admin(kWicca, kCoven, "<item affiliation='outcast' jid='wiccarocks@shakespeare.lit'/>")
          .at(0),
      IsError("cancel/conflict"));
}

TEST_F(BanTest, RefusesAnAdminBanningTheOwnerWithNotAllowed) {
  // Example 142.
  EXPECT_THAT(
      room.admin(kWicca, kCoven, "<item affiliation='outcast' jid='crone1@shakespeare.lit'/>")
          .at(0),
      IsError("cancel/not-allowed"));
}

TEST_F(BanTest, RefusesAParticipantWithForbidden) {
  EXPECT_THAT(
      room.admin(kHag, kCoven, "<item affiliation='outcast' jid='wiccarocks@shakespeare.lit'/>")
          .at(0),
      IsError("auth/forbidden"));
}

TEST_F(BanTest, AppliesNothingWhenOneItemOfARequestIsRefused) {
  // §9.2: either every change or none.
  Stanzas out = room.admin(kWicca, kCoven,
                           "<item affiliation='outcast' jid='hag66@shakespeare.lit'/>"
                           "<item affiliation='outcast' jid='crone1@shakespeare.lit'/>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/not-allowed"));
  EXPECT_THAT(room.say(kHag, kCoven, "still here"), SizeIs(3));
}

TEST_F(BanTest, UsesTheBareJidWhenGivenAFullOne) {
  room.admin(kCrone, kCoven, "<item affiliation='outcast' jid='hag66@shakespeare.lit/pda'/>");
  EXPECT_THAT(room.join("hag66@shakespeare.lit/other", "coven@chat.shakespeare.lit/h").at(0),
              IsError("auth/forbidden"));
}
