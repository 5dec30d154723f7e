// Campus rule: reserved nicks, and no nick confusable with another occupant's ("Tony" vs
// "Τony" with a Greek capital tau), both refused with conflict.
#include "campus_harness.hpp"

using namespace commonroom::policies;
using namespace commonroom::policies::test;

namespace {

// U+03A4 GREEK CAPITAL LETTER TAU, then "ony".
const std::string kGreekTony = "\xCE\xA4ony";

void expect_conflict(const Stanzas& out, const std::string& text) {
  ASSERT_EQ(out.size(), 1u) << str(out);
  EXPECT_THAT(out[0], IsError("cancel/conflict"));
  EXPECT_EQ(error_text(out[0]), text);
}

}  // namespace

TEST(CampusNicks, ANickConfusableWithAnotherOccupantsIsAConflict) {
  RoomHarness room = campus_rooms();
  room.create_coven();
  room.join(kHag, "coven@chat.shakespeare.lit/Tony");
  expect_conflict(
      room.join(kWiz, "coven@chat.shakespeare.lit/" + kGreekTony),
      "\"" + kGreekTony + "\" looks too much like \"Tony\", which someone in the room uses");
  // Digit one for lowercase L, and case alone, are look-alikes too.
  room.join(kRemote, "coven@chat.shakespeare.lit/bill");
  expect_conflict(room.join(kWiz, "coven@chat.shakespeare.lit/bi1l"),
                  "\"bi1l\" looks too much like \"bill\", which someone in the room uses");
  expect_conflict(room.join(kWiz, "coven@chat.shakespeare.lit/TONY"),
                  "\"TONY\" looks too much like \"Tony\", which someone in the room uses");
  // A different name is fine.
  EXPECT_TRUE(entered(room.join(kWiz, "coven@chat.shakespeare.lit/Toby"), kWiz));
}

TEST(CampusNicks, LookAlikeCheckAppliesToNickChangesButNotToTheUsersOwnNick) {
  RoomHarness room = campus_rooms();
  room.create_coven();
  room.join(kHag, "coven@chat.shakespeare.lit/Tony");
  room.join(kWiz, "coven@chat.shakespeare.lit/wiz");
  Stanzas out = room.send("<presence from='" + std::string(kWiz) +
                          "' to='coven@chat.shakespeare.lit/" + kGreekTony + "'/>");
  expect_conflict(
      out, "\"" + kGreekTony + "\" looks too much like \"Tony\", which someone in the room uses");
  // Tony may restyle their own nick; a second client of Tony's may join it.
  Stanzas renamed = room.send("<presence from='" + std::string(kHag) +
                              "' to='coven@chat.shakespeare.lit/TONY'/>");
  EXPECT_THAT(sent_to(renamed, kHag), ::testing::Contains(HasStatus(303))) << str(renamed);
  Stanzas second = room.join("hag66@shakespeare.lit/phone", "coven@chat.shakespeare.lit/TONY");
  EXPECT_FALSE(second.empty());
  EXPECT_EQ(error_of(second.back()), "") << str(second);
}

TEST(CampusNicks, ReservedNicksAndTheirLookAlikesAreRefused) {
  PolicySettings s = campus_settings();
  s.reserved_nicks = {"admin", "Helpdesk"};
  s.service_admins = {"wiz@shakespeare.lit"};
  RoomHarness room = campus_rooms(s);
  room.create_coven();
  expect_conflict(room.join(kHag, "coven@chat.shakespeare.lit/Admin"),
                  "the nickname \"admin\" is reserved");
  // Greek capital alpha for A.
  expect_conflict(room.join(kHag,
                            "coven@chat.shakespeare.lit/\xCE\x91"
                            "dmin"),
                  "the nickname \"admin\" is reserved");
  expect_conflict(room.join(kHag, "coven@chat.shakespeare.lit/helpdesk"),
                  "the nickname \"Helpdesk\" is reserved");
  // Creating a room under a reserved nick is refused the same way.
  Stanzas created = room.join(kHag, "other@chat.shakespeare.lit/admin");
  expect_conflict(created, "the nickname \"admin\" is reserved");
  // Service administrators may use them.
  EXPECT_TRUE(entered(room.join(kWiz, "coven@chat.shakespeare.lit/admin"), kWiz));
}

TEST(CampusNicks, LookAlikesAreFoundAmongThousandsOfOccupantsAndOnRepeatedChecks) {
  // Each nick's skeletons are computed once and kept; the answers must not change.
  CampusPolicy policy(campus_settings(), nullptr);
  std::vector<std::string> names;
  for (int i = 0; i < 5000; ++i) names.push_back("user" + std::to_string(i));
  names.push_back("Tony");
  std::vector<std::string_view> others(names.begin(), names.end());
  const auto user = commonroom::xmpp::Jid::parse("wiz@shakespeare.lit/x");
  const auto room = commonroom::xmpp::Jid::parse("coven@chat.shakespeare.lit");
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(policy.check_nick_in_room(user, room, kGreekTony, others).kind,
              commonroom::muc::NickDecision::Kind::conflict);
    EXPECT_EQ(policy.check_nick_in_room(user, room, "USER4999", others).kind,
              commonroom::muc::NickDecision::Kind::conflict);
    EXPECT_NE(policy.check_nick_in_room(user, room, "newcomer", others).kind,
              commonroom::muc::NickDecision::Kind::conflict);
  }
}
