#include <gtest/gtest.h>

#include "muc/payloads/user_x.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/payloads/payload_error.hpp"
#include "xmpp/serializer.hpp"

using namespace commonroom;
using namespace commonroom::muc;

namespace {

constexpr const char* kOpen = "<x xmlns='http://jabber.org/protocol/muc#user'>";

UserX parse(const std::string& xml) {
  return parse_user_x(xmpp::parse_element(xml));
}

// Parsing then serializing gives back exactly the markup (written without indentation).
void expect_round_trip(const std::string& xml) {
  UserX parsed = parse(xml);
  EXPECT_EQ(xmpp::to_string(to_element(parsed)), xml);
  EXPECT_EQ(parse_user_x(to_element(parsed)), parsed);
}

std::string problem(const std::string& xml) {
  try {
    parse(xml);
  } catch (const xmpp::PayloadError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << xml;
  return {};
}

}  // namespace

TEST(UserX, ReadsAMediatedInvitation) {
  // XEP-0045 Example 56: the occupant asks the room to invite someone.
  UserX x = parse(std::string(kOpen) +
                  "<invite to='hecate@shakespeare.lit'><reason>Hey Hecate, this is the place for "
                  "all good witches!</reason></invite></x>");
  ASSERT_EQ(x.invites.size(), 1u);
  EXPECT_EQ(x.invites[0].to, "hecate@shakespeare.lit");
  EXPECT_FALSE(x.invites[0].from);
  EXPECT_EQ(x.invites[0].reason, "Hey Hecate, this is the place for all good witches!");
  EXPECT_FALSE(x.invites[0].continuation);
  EXPECT_TRUE(x.items.empty());
  EXPECT_TRUE(x.status_codes.empty());
}

TEST(UserX, InvitationTheRoomSendsWithItsPasswordRoundTrips) {
  // Example 57: the room passes the invitation on, with the room's password.
  expect_round_trip(std::string(kOpen) +
                    "<invite from='crone1@shakespeare.lit/desktop'><reason>Hey Hecate, this is "
                    "the place for all good witches!</reason></invite>"
                    "<password>cauldronburn</password></x>");
  UserX x = parse(std::string(kOpen) + "<invite from='a@b'/><password>cauldronburn</password></x>");
  EXPECT_EQ(x.password, "cauldronburn");
}

TEST(UserX, DeclinesRoundTrip) {
  // Examples 58 and 59: the invitee declines; the room tells the inviter.
  expect_round_trip(std::string(kOpen) +
                    "<decline to='crone1@shakespeare.lit'><reason>Sorry, I'm too busy right "
                    "now.</reason></decline></x>");
  UserX x = parse(std::string(kOpen) +
                  "<decline from='hecate@shakespeare.lit'><reason>Sorry, I'm too busy right "
                  "now.</reason></decline></x>");
  ASSERT_EQ(x.declines.size(), 1u);
  EXPECT_EQ(x.declines[0].from, "hecate@shakespeare.lit");
  EXPECT_FALSE(x.declines[0].to);
  EXPECT_EQ(x.declines[0].reason, "Sorry, I'm too busy right now.");
}

TEST(UserX, SeveralInvitationsKeepTheirThreads) {
  // Example 63: an owner continues a one-to-one chat and invites both parties (§7.9).
  const std::string xml =
      std::string(kOpen) +
      "<invite to='wiccarocks@shakespeare.lit/laptop'><reason>This coven needs both wiccarocks "
      "and hag66.</reason><continue thread='e0ffe42b28561960c6b12b944a092794b9683a38'/></invite>"
      "<invite to='hag66@shakespeare.lit'><reason>This coven needs both wiccarocks and "
      "hag66.</reason><continue thread='e0ffe42b28561960c6b12b944a092794b9683a38'/></invite></x>";
  expect_round_trip(xml);
  UserX x = parse(xml);
  ASSERT_EQ(x.invites.size(), 2u);
  EXPECT_EQ(x.invites[1].to, "hag66@shakespeare.lit");
  ASSERT_TRUE(x.invites[1].continuation);
  EXPECT_EQ(x.invites[1].continuation->thread, "e0ffe42b28561960c6b12b944a092794b9683a38");
  // A <continue/> without a thread is still a continuation.
  UserX bare = parse(std::string(kOpen) + "<invite to='a@b'><continue/></invite></x>");
  ASSERT_TRUE(bare.invites[0].continuation);
  EXPECT_FALSE(bare.invites[0].continuation->thread);
}

TEST(UserX, AKickedOccupantsPresenceRoundTrips) {
  // Example 90: item with actor and reason, then the status codes in order.
  const std::string xml = std::string(kOpen) +
                          "<item affiliation='none' role='none'><actor nick='Fluellen'/>"
                          "<reason>Avaunt, you cullion!</reason></item>"
                          "<status code='110'/><status code='307'/></x>";
  expect_round_trip(xml);
  UserX x = parse(xml);
  ASSERT_EQ(x.items.size(), 1u);
  EXPECT_EQ(x.items[0].affiliation, Affiliation::none);
  EXPECT_EQ(x.items[0].role, Role::none);
  ASSERT_TRUE(x.items[0].actor);
  EXPECT_EQ(x.items[0].actor->nick, "Fluellen");
  EXPECT_FALSE(x.items[0].actor->jid);
  EXPECT_EQ(x.status_codes, (std::vector<int>{110, 307}));
}

TEST(UserX, AnOccupantsPresenceWithJidAndNickRoundTrips) {
  // Self-presence with the full JID (§7.2.3) and a nick change (Example 50, status 303).
  expect_round_trip(std::string(kOpen) +
                    "<item affiliation='member' jid='hag66@shakespeare.lit/pda' "
                    "role='participant'/><status code='100'/><status code='110'/>"
                    "<status code='210'/></x>");
  expect_round_trip(std::string(kOpen) +
                    "<item affiliation='member' jid='hag66@shakespeare.lit/pda' nick='oldhag' "
                    "role='participant'/><status code='303'/></x>");
}

TEST(UserX, ADestroyedRoomsPresenceRoundTrips) {
  // Example 202: the alternate venue and the reason; the venue's password when given.
  const std::string xml = std::string(kOpen) +
                          "<item affiliation='none' role='none'/>"
                          "<destroy jid='coven@chat.shakespeare.lit'>"
                          "<reason>Macbeth doth come.</reason></destroy></x>";
  expect_round_trip(xml);
  UserX x = parse(xml);
  ASSERT_TRUE(x.destroy);
  EXPECT_EQ(x.destroy->jid, "coven@chat.shakespeare.lit");
  EXPECT_EQ(x.destroy->reason, "Macbeth doth come.");
  EXPECT_FALSE(x.destroy->password);
  expect_round_trip(std::string(kOpen) +
                    "<destroy jid='coven@chat.shakespeare.lit'><reason>Macbeth doth come."
                    "</reason><password>cauldronburn</password></destroy></x>");
}

TEST(UserX, AnAffiliationNoticeToSomeoneAbsentRoundTrips) {
  // Status 101 (§9.3): someone not in the room learns their new affiliation.
  expect_round_trip(std::string(kOpen) +
                    "<item affiliation='outcast' jid='earlofcambridge@shakespeare.lit'>"
                    "<reason>Treason</reason></item><status code='101'/></x>");
}

TEST(UserX, SerializesInTheOrderTheRoomHasAlwaysSentIt) {
  // Built in an order unlike the wire's: the wire order is fixed by the serializer.
  UserX x;
  x.status_codes = {110, 301};
  UserItem item;
  item.role = Role::none;
  item.affiliation = Affiliation::outcast;
  item.reason = "spam";
  item.actor = UserActor{std::nullopt, "mod"};
  x.items.push_back(item);
  x.destroy = UserDestroy{};
  EXPECT_EQ(xmpp::to_string(to_element(x)),
            std::string(kOpen) +
                "<item affiliation='outcast' role='none'><actor nick='mod'/><reason>spam</reason>"
                "</item><destroy/><status code='110'/><status code='301'/></x>");
  EXPECT_EQ(xmpp::to_string(to_element(UserX{})),
            "<x xmlns='http://jabber.org/protocol/muc#user'/>");
}

TEST(UserX, AnEmptyReasonIsWrittenAsNone) {
  UserX x;
  x.invites.push_back(UserInvite{"a@b", std::nullopt, "", std::nullopt});
  EXPECT_EQ(xmpp::to_string(to_element(x)), std::string(kOpen) + "<invite from='a@b'/></x>");
}

TEST(UserX, RefusesValuesXep0045DoesNotDefine) {
  EXPECT_EQ(problem(std::string(kOpen) + "<item affiliation='king'/></x>"), "unknown affiliation");
  EXPECT_EQ(problem(std::string(kOpen) + "<item role='jester'/></x>"), "unknown role");
  EXPECT_EQ(problem(std::string(kOpen) + "<status code='abc'/></x>"), "bad status code");
  EXPECT_EQ(problem(std::string(kOpen) + "<status code='99'/></x>"), "bad status code");
  EXPECT_EQ(problem(std::string(kOpen) + "<status code='1000'/></x>"), "bad status code");
  EXPECT_EQ(problem(std::string(kOpen) + "<status/></x>"), "bad status code");
  EXPECT_NE(problem("<x xmlns='http://jabber.org/protocol/muc'/>"), "");
}

TEST(UserX, IgnoresChildrenOfOtherNamespaces) {
  UserX x = parse(std::string(kOpen) +
                  "<invite xmlns='urn:example' to='a@b'/><status xmlns='urn:example' code='x'/>"
                  "<item xmlns='urn:example' role='jester'/></x>");
  EXPECT_EQ(x, UserX{});
}
