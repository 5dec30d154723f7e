// Entering a room (XEP-0045 §7.2): the join sequence, presence broadcast, entry errors.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::ElementsAre;
using ::testing::SizeIs;

namespace {

class JoinTest : public ::testing::Test {
 protected:
  void SetUp() override { room.gather_coven(2); }
  RoomHarness room;
};

}  // namespace

TEST_F(JoinTest, SendsOthersPresenceThenSelfPresenceThenSubjectInThatOrder) {
  // §7.1 order of events, Examples 21-23.
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas to_hag = sent_to(out, kHag);
  ASSERT_THAT(to_hag, SizeIs(4)) << str(out);
  EXPECT_THAT(to_hag[0], From("coven@chat.shakespeare.lit/firstwitch"));
  EXPECT_THAT(to_hag[0], HasItem("owner", "moderator"));
  EXPECT_THAT(to_hag[1], From("coven@chat.shakespeare.lit/secondwitch"));
  EXPECT_THAT(to_hag[1], HasItem("none", "participant"));
  // Self-presence last of the roster: 100 (non-anonymous), 110 (self), 170 (logged).
  EXPECT_THAT(to_hag[2], From("coven@chat.shakespeare.lit/thirdwitch"));
  EXPECT_THAT(to_hag[2], HasStatuses(std::vector<int>{100, 110, 170}));
  EXPECT_EQ(to_hag[2].attr("id"), "join");  // the join's id is reflected
  // Then the (empty) subject.
  EXPECT_EQ(to_hag[3].name(), "message");
  EXPECT_EQ(to_hag[3].attr("type"), "groupchat");
  ASSERT_NE(to_hag[3].find_child("subject", commonroom::xmpp::ns::component_accept), nullptr);
  EXPECT_EQ(to_hag[3].find_child("body", commonroom::xmpp::ns::component_accept), nullptr);
}

TEST_F(JoinTest, TellsEveryOccupantAboutTheNewcomerWithItsRealJid) {
  // §7.2.3/§7.2.4: non-anonymous rooms show the full JID to everyone.
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  for (const char* who : {kCrone, kWicca}) {
    Stanzas got = sent_to(out, who);
    ASSERT_THAT(got, SizeIs(1)) << who << "\n" << str(out);
    EXPECT_THAT(got[0], From("coven@chat.shakespeare.lit/thirdwitch"));
    EXPECT_THAT(got[0], IsAvailable());
    EXPECT_EQ(item_attr(got[0], "jid"), kHag);
    EXPECT_EQ(item_attr(got[0], "role"), "participant");
    EXPECT_TRUE(status_codes(got[0]).empty());  // 110 and 100 are for the newcomer only
  }
}

TEST_F(JoinTest, BroadcastsTheNewcomersPresenceOnceSerializedForEveryone) {
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  const Effects& fx = room.effects();
  ASSERT_THAT(fx.fanouts, SizeIs(1));
  EXPECT_THAT(recipients_of(fx.fanouts[0]), ElementsAre(kCrone, kWicca));
}

TEST_F(JoinTest, ReflectsShowAndStatusAndAddsAnOccupantId) {
  Stanzas out = room.send(
      "<presence from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit/thirdwitch'>"
      "<show>away</show><status>brewing</status>"
      "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
  Stanzas got = sent_to(out, kCrone);
  ASSERT_THAT(got, SizeIs(1));
  EXPECT_EQ(got[0].child_text("show", commonroom::xmpp::ns::component_accept), "away");
  EXPECT_EQ(got[0].child_text("status", commonroom::xmpp::ns::component_accept), "brewing");
  const Element* oid = got[0].find_child("occupant-id", commonroom::xmpp::ns::occupant_id);
  ASSERT_NE(oid, nullptr);
  EXPECT_EQ(oid->attr("id").size(), 64u);
  // The client's own MUC payload is not reflected (§17.3 rule 6).
  EXPECT_EQ(got[0].find_child("x", commonroom::xmpp::ns::muc), nullptr);
}

TEST_F(JoinTest, OccupantIdIsStablePerUserAndDiffersBetweenUsers) {
  auto occupant_id = [](const Element& e) {
    return std::string(e.find_child("occupant-id", commonroom::xmpp::ns::occupant_id)->attr("id"));
  };
  Stanzas first = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  std::string id1 = occupant_id(sent_to(first, kCrone).at(0));
  room.leave(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas again = room.join("hag66@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hag");
  EXPECT_EQ(occupant_id(sent_to(again, kCrone).at(0)), id1);
  Stanzas wicca = room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  EXPECT_NE(occupant_id(sent_to(wicca, kWicca).front()), id1);
}

TEST_F(JoinTest, RefusesANickInUseByAnotherUserWithConflict) {
  // §7.2.8, Example 29.
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/secondwitch");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/conflict"));
  EXPECT_THAT(out[0], From("coven@chat.shakespeare.lit/secondwitch"));
  EXPECT_EQ(out[0].find_child("error", commonroom::xmpp::ns::component_accept)->attr("by"), kCoven);
  // The <x/> is echoed so the client ties the error to its join.
  EXPECT_NE(out[0].find_child("x", commonroom::xmpp::ns::muc), nullptr);
}

TEST_F(JoinTest, LetsTheSameUserJoinOneNickFromSeveralResources) {
  // §7.2.8 multi-session nicks: the second session gets the join sequence, the room sees
  // no new occupant, and messages reach both sessions.
  Stanzas out =
      room.join("wiccarocks@shakespeare.lit/phone", "coven@chat.shakespeare.lit/secondwitch");
  EXPECT_TRUE(sent_to(out, kCrone).empty()) << str(out);
  Stanzas phone = sent_to(out, "wiccarocks@shakespeare.lit/phone");
  ASSERT_THAT(phone, SizeIs(3));
  EXPECT_THAT(phone[1], HasStatus(110));
  Stanzas said = room.say(kCrone, kCoven, "Thrice the brinded cat hath mew'd.");
  EXPECT_THAT(sent_to(said, kWicca), SizeIs(1));
  EXPECT_THAT(sent_to(said, "wiccarocks@shakespeare.lit/phone"), SizeIs(1));
  // Leaving from one session keeps the occupant in the room.
  Stanzas left =
      room.leave("wiccarocks@shakespeare.lit/phone", "coven@chat.shakespeare.lit/secondwitch");
  ASSERT_THAT(left, SizeIs(1));
  EXPECT_THAT(left[0], To("wiccarocks@shakespeare.lit/phone"));
  EXPECT_THAT(left[0], HasStatus(110));
  EXPECT_THAT(sent_to(room.say(kCrone, kCoven, "still here?"), kWicca), SizeIs(1));
}

TEST_F(JoinTest, RefusesABannedUserWithForbidden) {
  room.admin(kCrone, kCoven, "<item affiliation='outcast' jid='hag66@shakespeare.lit'/>");
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/forbidden"));  // §7.2.7, Example 28
}

TEST_F(JoinTest, RefusesAJoinWithoutNicknameWithJidMalformed) {
  // §7.2.1, Example 17.
  Stanzas out = room.send(
      "<presence from='hag66@shakespeare.lit/pda' id='273hs51g' "
      "to='coven@chat.shakespeare.lit'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("modify/jid-malformed"));
}

TEST_F(JoinTest, RefusesABlankNickname) {
  // resourceprep keeps ASCII spaces; the room refuses nicknames made only of them (§17.1).
  Stanzas blank = room.send(
      "<presence from='hag66@shakespeare.lit/pda' "
      "to='coven@chat.shakespeare.lit/   '><x xmlns='http://jabber.org/protocol/muc'/></presence>");
  ASSERT_THAT(blank, SizeIs(1));
  EXPECT_THAT(blank[0], IsError("modify/jid-malformed"));
}

TEST_F(JoinTest, KicksAPresenceWithoutMucPayloadFromANonOccupant) {
  // §7.2.18 (groupchat 1.0 join or a desynchronized client): 110 + 307 + 333.
  Stanzas out = room.send(
      "<presence from='hag66@shakespeare.lit/pda' id='ng91xs69' "
      "to='coven@chat.shakespeare.lit/thirdwitch'/>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsUnavailable());
  EXPECT_THAT(out[0], HasStatuses(std::vector<int>{110, 307, 333}));
  EXPECT_THAT(out[0], HasItem("none", "none"));
}

TEST_F(JoinTest, ResendsTheJoinSequenceToAClientThatJoinsAgain) {
  // §7.2.1: an x-tagged join from a joined client means it lost sync.
  Stanzas out = room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  Stanzas to_wicca = sent_to(out, kWicca);
  ASSERT_THAT(to_wicca, SizeIs(3)) << str(out);
  EXPECT_THAT(to_wicca[0], From("coven@chat.shakespeare.lit/firstwitch"));
  EXPECT_THAT(to_wicca[1], HasStatus(110));
  EXPECT_EQ(to_wicca[2].name(), "message");
  EXPECT_TRUE(sent_to(out, kCrone).empty());  // nothing changed for the others
}

TEST_F(JoinTest, LogsAJoinEventWithRealJidAndNick) {
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  const auto& events = room.effects().events;
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].kind, RoomEventKind::join);
  EXPECT_EQ(events[0].room, kCoven);
  EXPECT_EQ(events[0].actor_jid, kHag);
  EXPECT_EQ(events[0].actor_nick, "thirdwitch");
  EXPECT_EQ(events[0].occurred_at, room.now);
  EXPECT_FALSE(events[0].id.empty());
  EXPECT_NE(events[0].raw.find("thirdwitch"), std::string::npos);
}

TEST(JoinMaxUsers, RefusesEntryToAFullRoomButAdmitsAdmins) {
  // §7.2.9, Example 30.
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_maxusers", {"10"}},
                     {"muc#roomconfig_roomadmins", {"hecate@shakespeare.lit"}}});
  for (int i = 2; i <= 10; ++i) {
    std::string n = std::to_string(i);
    room.join("witch" + n + "@shakespeare.lit/r", "coven@chat.shakespeare.lit/witch" + n);
  }
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("wait/service-unavailable"));
  Stanzas admin = room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate");
  Stanzas to_hecate = sent_to(admin, "hecate@shakespeare.lit/broom");
  ASSERT_THAT(to_hecate, SizeIs(12));  // ten occupants, self-presence, subject
  EXPECT_THAT(to_hecate[10], HasStatus(110));
}

TEST(JoinPolicy, RewritesANickTheNickPolicyReplacesWithStatus210) {
  struct Lowercase : PermissivePolicy {
    NickDecision check_nick(const commonroom::xmpp::Jid&, const commonroom::xmpp::Jid&,
                            std::string_view nick) const override {
      std::string lower(nick);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return {lower == nick ? NickDecision::Kind::accept : NickDecision::Kind::rewrite, lower, ""};
    }
  };
  RoomHarness room(default_config(), std::make_shared<Lowercase>());
  room.create_coven();
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/ThirdWitch");
  Stanzas self = sent_to(out, kHag);
  ASSERT_GE(self.size(), 2u);
  EXPECT_THAT(self[1], From("coven@chat.shakespeare.lit/thirdwitch"));
  EXPECT_THAT(self[1], HasStatuses(std::vector<int>{100, 110, 170, 210}));
}

TEST(JoinPolicy, RefusesANickThePolicyRejectsWithNotAcceptable) {
  struct NoAdminNicks : PermissivePolicy {
    NickDecision check_nick(const commonroom::xmpp::Jid&, const commonroom::xmpp::Jid&,
                            std::string_view nick) const override {
      if (nick == "admin") return {NickDecision::Kind::reject, "", "reserved for staff"};
      return {};
    }
  };
  RoomHarness room(default_config(), std::make_shared<NoAdminNicks>());
  room.create_coven();
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/admin");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/not-acceptable"));
}
