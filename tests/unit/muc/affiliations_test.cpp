// Affiliation and moderator management (XEP-0045 §9.3-9.8, §10.3-10.8): membership,
// moderator status, admins and owners, and the rules protecting owners.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

class AffiliationsTest : public ::testing::Test {
 protected:
  void SetUp() override { room.gather_coven(); }
  std::vector<std::string> list(const char* who, const std::string& item) {
    Stanzas out = room.admin(who, kCoven, item, "get");
    std::vector<std::string> jids;
    if (out.empty() || out[0].attr("type") != "result")
      return {"error: " + (out.empty() ? "" : error_of(out[0]))};
    for (const Element* i : out[0]
                                .find_child("query", commonroom::xmpp::ns::muc_admin)
                                ->children("item", commonroom::xmpp::ns::muc_admin)) {
      jids.emplace_back(i->attr("jid"));
    }
    return jids;
  }
  RoomHarness room;
};

}  // namespace

TEST_F(AffiliationsTest, GrantingMembershipUpdatesTheOccupantsPresence) {
  // Example 148/149: an open room's member list.
  Stanzas out =
      room.admin(kCrone, kCoven, "<item affiliation='member' jid='hag66@shakespeare.lit'/>");
  ASSERT_THAT(out, SizeIs(4)) << str(out);
  EXPECT_THAT(out[0], To(kHag));
  EXPECT_THAT(out[0], HasItem("member", "participant"));
  EXPECT_THAT(out[0], HasStatuses(std::vector<int>{110}));
  EXPECT_THAT(out[1], IsResult());
  EXPECT_THAT(sent_to(out, kWicca).at(0), HasItem("member", "participant"));
  EXPECT_EQ(room.effects().events.at(0).kind, RoomEventKind::affiliation_change);
  EXPECT_EQ(room.effects().events.at(0).target, "hag66@shakespeare.lit");
}

TEST_F(AffiliationsTest, AnAdminGrantsAndRevokesModeratorStatus) {
  // Examples 154-159.
  room.admin(kCrone, kCoven, "<item affiliation='admin' jid='wiccarocks@shakespeare.lit'/>");
  Stanzas granted = room.admin(kWicca, kCoven, "<item nick='thirdwitch' role='moderator'/>");
  EXPECT_THAT(sent_to(granted, kCrone).at(0), HasItem("none", "moderator"));
  EXPECT_EQ(
      list(kWicca, "<item role='moderator'/>"),
      (std::vector<std::string>{"crone1@shakespeare.lit/desktop",
                                "wiccarocks@shakespeare.lit/laptop", "hag66@shakespeare.lit/pda"}));
  Stanzas revoked = room.admin(kWicca, kCoven, "<item nick='thirdwitch' role='participant'/>");
  EXPECT_THAT(sent_to(revoked, kCrone).at(0), HasItem("none", "participant"));
}

TEST_F(AffiliationsTest, AModeratorWhoIsNotAnAdminCannotGrantModeratorStatus) {
  room.admin(kCrone, kCoven, "<item nick='secondwitch' role='moderator'/>");
  EXPECT_THAT(room.admin(kWicca, kCoven, "<item nick='thirdwitch' role='moderator'/>").at(0),
              IsError("auth/forbidden"));
  EXPECT_THAT(room.admin(kWicca, kCoven, "<item role='moderator'/>", "get").at(0),
              IsError("auth/forbidden"));
}

TEST_F(AffiliationsTest, AnAdminCannotRevokeModeratorStatusFromAnOwner) {
  // Example 160.
  room.admin(kCrone, kCoven, "<item affiliation='admin' jid='wiccarocks@shakespeare.lit'/>");
  EXPECT_THAT(room.admin(kWicca, kCoven, "<item nick='firstwitch' role='participant'/>").at(0),
              IsError("cancel/not-allowed"));
}

TEST_F(AffiliationsTest, OwnersManageAdminsAndAdminsGetModeratorRole) {
  // Examples 180-186.
  Stanzas out =
      room.admin(kCrone, kCoven, "<item affiliation='admin' jid='wiccarocks@shakespeare.lit'/>");
  EXPECT_THAT(sent_to(out, kHag).at(0), HasItem("admin", "moderator"));
  EXPECT_EQ(list(kCrone, "<item affiliation='admin'/>"),
            (std::vector<std::string>{"wiccarocks@shakespeare.lit"}));
  Stanzas revoked =
      room.admin(kCrone, kCoven, "<item affiliation='none' jid='wiccarocks@shakespeare.lit'/>");
  EXPECT_THAT(sent_to(revoked, kHag).at(0), HasItem("none", "participant"));
}

TEST_F(AffiliationsTest, OnlyOwnersEditTheAdminAndOwnerLists) {
  // Examples 179, 187.
  room.admin(kCrone, kCoven, "<item affiliation='admin' jid='wiccarocks@shakespeare.lit'/>");
  EXPECT_THAT(
      room.admin(kWicca, kCoven, "<item affiliation='admin' jid='hag66@shakespeare.lit'/>").at(0),
      IsError("auth/forbidden"));
  EXPECT_THAT(
      room.admin(kWicca, kCoven, "<item affiliation='owner' jid='hag66@shakespeare.lit'/>").at(0),
      IsError("auth/forbidden"));
  EXPECT_THAT(
      room.admin(kHag, kCoven, "<item affiliation='member' jid='hecate@shakespeare.lit'/>").at(0),
      IsError("auth/forbidden"));
}

TEST_F(AffiliationsTest, AnOwnerGrantsOwnershipAndMayThenStepDown) {
  // Examples 170-178, and §10.4: the last owner may not step down.
  EXPECT_THAT(
      room.admin(kCrone, kCoven, "<item affiliation='admin' jid='crone1@shakespeare.lit'/>").at(0),
      IsError("cancel/conflict"));
  Stanzas out =
      room.admin(kCrone, kCoven, "<item affiliation='owner' jid='wiccarocks@shakespeare.lit'/>");
  EXPECT_THAT(sent_to(out, kHag).at(0), HasItem("owner", "moderator"));
  EXPECT_EQ(list(kCrone, "<item affiliation='owner'/>"),
            (std::vector<std::string>{"crone1@shakespeare.lit", "wiccarocks@shakespeare.lit"}));
  Stanzas stepped =
      room.admin(kCrone, kCoven, "<item affiliation='admin' jid='crone1@shakespeare.lit'/>");
  EXPECT_THAT(stepped.at(0), To(kCrone));
  EXPECT_THAT(sent_to(stepped, kHag).at(0), HasItem("admin", "moderator"));
}

TEST_F(AffiliationsTest, MembersOfANonAnonymousRoomMaySeeTheOwnerList) {
  // §10.5: non-anonymous rooms may show the owner list beyond owners.
  room.admin(kCrone, kCoven, "<item affiliation='member' jid='hag66@shakespeare.lit'/>");
  EXPECT_EQ(list(kHag, "<item affiliation='owner'/>"),
            (std::vector<std::string>{"crone1@shakespeare.lit"}));
  EXPECT_EQ(list(kWicca, "<item affiliation='owner'/>"),
            (std::vector<std::string>{"error: auth/forbidden"}));
}

TEST_F(AffiliationsTest, RefusesAMalformedJidWithJidMalformed) {
  EXPECT_THAT(room.admin(kCrone, kCoven, "<item affiliation='member' jid='@@'/>").at(0),
              IsError("modify/jid-malformed"));
}

TEST_F(AffiliationsTest, ReservesTheNickGivenWithMembership) {
  room.admin(kCrone, kCoven,
             "<item affiliation='member' jid='hecate@shakespeare.lit' nick='hecate'/>");
  EXPECT_THAT(room.join("puck@shakespeare.lit/wood", "coven@chat.shakespeare.lit/hecate").at(0),
              IsError("cancel/conflict"));
  EXPECT_THAT(
      sent_to(room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate"),
              "hecate@shakespeare.lit/broom"),
      SizeIs(5));
}

TEST(ServiceAdmins, ActAsOwnersOfEveryRoom) {
  // Policy::is_service_admin: abuse staff can act on any room.
  struct Staff : PermissivePolicy {
    bool is_service_admin(const commonroom::xmpp::Jid& who) const override {
      return who.bare_str() == "abuse@shakespeare.lit";
    }
  };
  RoomHarness room(default_config(), std::make_shared<Staff>());
  room.create_coven();
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas out = room.admin(
      "abuse@shakespeare.lit/desk", kCoven,
      "<item affiliation='outcast' jid='hag66@shakespeare.lit'><reason>abuse</reason></item>");
  EXPECT_THAT(sent_to(out, kHag).at(0), HasStatus(301));
  Stanzas destroyed =
      room.iq("abuse@shakespeare.lit/desk", kCoven, "set",
              "<query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query>");
  EXPECT_THAT(destroyed.back(), IsResult());
  EXPECT_TRUE(room.service().rooms().empty());
}

TEST_F(AffiliationsTest, SomeoneNotInTheRoomIsToldOfTheirNewAffiliationWith101) {
  // §17.5 / status 101: an out-of-room message to the bare JID.
  Stanzas out = room.admin(kCrone, kCoven,
                           "<item affiliation='admin' jid='hecate@shakespeare.lit'>"
                           "<reason>trusted</reason></item>");
  ASSERT_THAT(out, SizeIs(2)) << str(out);
  EXPECT_THAT(out[0], IsResult());
  EXPECT_EQ(str(out[1]),
            "<message from='coven@chat.shakespeare.lit' to='hecate@shakespeare.lit' id='" +
                std::string(out[1].attr("id")) +
                "'><body>Your affiliation with coven@chat.shakespeare.lit is now admin. Reason: "
                "trusted</body><x xmlns='http://jabber.org/protocol/muc#user'><item "
                "affiliation='admin' jid='hecate@shakespeare.lit'><reason>trusted</reason></item>"
                "<status code='101'/></x></message>");
  // Present occupants get their presence instead, and nobody is told twice.
  Stanzas present =
      room.admin(kCrone, kCoven, "<item affiliation='member' jid='hag66@shakespeare.lit'/>");
  for (const auto& s : present) EXPECT_THAT(s, ::testing::Not(HasStatus(101))) << str(s);
  // No change, no message.
  Stanzas same =
      room.admin(kCrone, kCoven, "<item affiliation='admin' jid='hecate@shakespeare.lit'/>");
  ASSERT_THAT(same, SizeIs(1)) << str(same);
}
