// Password-protected rooms (XEP-0045 §7.2.5).
#include "muc/room_secret.hpp"
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

class PasswordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    room.create_coven({{"muc#roomconfig_passwordprotectedroom", {"1"}},
                       {"muc#roomconfig_roomsecret", {"cauldronburn"}}});
  }
  RoomHarness room;
};

}  // namespace

TEST_F(PasswordTest, RefusesAJoinWithoutPasswordWithNotAuthorized) {
  // Example 25.
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/not-authorized"));
  EXPECT_NE(out[0].find_child("x", commonroom::xmpp::ns::muc), nullptr);
}

TEST_F(PasswordTest, RefusesAWrongPassword) {
  EXPECT_THAT(
      room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch", "<password>toadstool</password>")
          .at(0),
      IsError("auth/not-authorized"));
}

TEST_F(PasswordTest, DoesNotEchoTheTriedPasswordInTheError) {
  Stanzas out =
      room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch", "<password>toadstool</password>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(str(out[0]).find("toadstool"), std::string::npos);
  EXPECT_NE(out[0].find_child("x", commonroom::xmpp::ns::muc), nullptr);
}

TEST_F(PasswordTest, AdmitsTheRightPassword) {
  // Example 26.
  Stanzas out =
      room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch", "<password>cauldronburn</password>");
  EXPECT_THAT(sent_to(out, kHag).at(1), HasStatus(110));
}

TEST_F(PasswordTest, AdvertisesThePasswordInDisco) {
  Stanzas out =
      room.iq(kHag, kCoven, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  auto info = commonroom::xmpp::parse_disco_info(
      *out.at(0).find_child("query", commonroom::xmpp::ns::disco_info));
  EXPECT_TRUE(info.has_feature("muc_passwordprotected"));
  EXPECT_FALSE(info.has_feature("muc_unsecured"));
}

TEST_F(PasswordTest, MediatedInvitationsDoNotCarryThePassword) {
  // §7.8.2 says the room SHOULD add it; it keeps only a hash (decision 0036).
  Stanzas out = room.send(
      "<message from='crone1@shakespeare.lit/desktop' id='nzd143v8' "
      "to='coven@chat.shakespeare.lit'><x xmlns='http://jabber.org/protocol/muc#user'>"
      "<invite to='hecate@shakespeare.lit'/></x></message>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_NE(muc_user_x(out[0])->find_child("invite", commonroom::xmpp::ns::muc_user), nullptr);
  EXPECT_EQ(muc_user_x(out[0])->find_child("password", commonroom::xmpp::ns::muc_user), nullptr);
  EXPECT_EQ(str(out[0]).find("cauldronburn"), std::string::npos);
}

TEST_F(PasswordTest, TheRoomKeepsASaltedHashNotThePassword) {
  auto snapshot = room.service().snapshot("coven@chat.shakespeare.lit");
  ASSERT_TRUE(snapshot);
  EXPECT_TRUE(snapshot->config.password_protected);
  EXPECT_EQ(snapshot->config.password.find("cauldronburn"), std::string::npos);
  EXPECT_TRUE(is_hashed_room_secret(snapshot->config.password));
  EXPECT_TRUE(room_secret_matches("cauldronburn", snapshot->config.password));
}

TEST_F(PasswordTest, TheOwnerFormDoesNotShowThePassword) {
  Stanzas out = room.iq("crone1@shakespeare.lit/desktop", kCoven, "get",
                        "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(str(out[0]).find("cauldronburn"), std::string::npos);
  EXPECT_EQ(str(out[0]).find("pbkdf2"), std::string::npos);
  commonroom::xmpp::DataForm f =
      commonroom::xmpp::parse_data_form(*out[0]
                                             .find_child("query", commonroom::xmpp::ns::muc_owner)
                                             ->find_child("x", commonroom::xmpp::ns::data_forms));
  ASSERT_NE(f.field("muc#roomconfig_roomsecret"), nullptr);
  EXPECT_TRUE(f.field("muc#roomconfig_roomsecret")->values.empty());
  EXPECT_EQ(f.bool_value("muc#roomconfig_passwordprotectedroom"), true);
}

TEST_F(PasswordTest, ResubmittingTheFormWithAnEmptySecretKeepsThePassword) {
  // What a client does with the form it was shown: the secret comes back empty.
  room.configure("crone1@shakespeare.lit/desktop", kCoven,
                 {{"muc#roomconfig_passwordprotectedroom", {"1"}},
                  {"muc#roomconfig_roomsecret", {""}},
                  {"muc#roomconfig_roomname", {"Coven"}}});
  EXPECT_THAT(
      room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch", "<password>x</password>").at(0),
      IsError("auth/not-authorized"));
  Stanzas out =
      room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch", "<password>cauldronburn</password>");
  EXPECT_THAT(sent_to(out, kHag).at(1), HasStatus(110));
}

TEST_F(PasswordTest, ANewSecretReplacesTheOldOne) {
  room.configure("crone1@shakespeare.lit/desktop", kCoven,
                 {{"muc#roomconfig_roomsecret", {"toadstool"}}});
  EXPECT_THAT(
      room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch", "<password>cauldronburn</password>")
          .at(0),
      IsError("auth/not-authorized"));
  Stanzas out =
      room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch", "<password>toadstool</password>");
  EXPECT_THAT(sent_to(out, kHag).at(1), HasStatus(110));
}

TEST_F(PasswordTest, TurningProtectionOffDropsThePassword) {
  room.configure("crone1@shakespeare.lit/desktop", kCoven,
                 {{"muc#roomconfig_passwordprotectedroom", {"0"}}});
  EXPECT_EQ(room.service().snapshot("coven@chat.shakespeare.lit")->config.password, "");
  // Turning it on again needs a new password (§10.1.3).
  Stanzas out = room.configure("crone1@shakespeare.lit/desktop", kCoven,
                               {{"muc#roomconfig_passwordprotectedroom", {"1"}}});
  EXPECT_THAT(out.at(0), IsError("modify/not-acceptable"));
}

TEST(RoomSecret, HashesAreSaltedAndCheckedExactly) {
  const std::string a = hash_room_secret("cauldronburn");
  const std::string b = hash_room_secret("cauldronburn");
  EXPECT_NE(a, b);  // a fresh salt each time
  EXPECT_TRUE(room_secret_matches("cauldronburn", a));
  EXPECT_TRUE(room_secret_matches("cauldronburn", b));
  EXPECT_FALSE(room_secret_matches("cauldronbur", a));
  EXPECT_FALSE(room_secret_matches("cauldronburnn", a));
  EXPECT_FALSE(room_secret_matches("", a));
  EXPECT_TRUE(room_secret_matches("", hash_room_secret("")));
}

TEST(RoomSecret, AStoredValueThatIsNotAHashNeverMatches) {
  // A password left in clear (before the migration ran) is not taken as its own hash.
  EXPECT_FALSE(is_hashed_room_secret("cauldronburn"));
  EXPECT_FALSE(room_secret_matches("cauldronburn", "cauldronburn"));
  EXPECT_FALSE(room_secret_matches("", ""));
  for (const char* bad :
       {"pbkdf2-sha256$", "pbkdf2-sha256$0$00$00", "pbkdf2-sha256$-1$00$00",
        "pbkdf2-sha256$99999999$00$", "pbkdf2-sha256$10$zz$00", "pbkdf2-sha256$10$00$00"}) {
    EXPECT_FALSE(is_hashed_room_secret(bad)) << bad;
    EXPECT_FALSE(room_secret_matches("", bad)) << bad;
  }
}

TEST_F(PasswordTest, LetsTheOwnerInWithoutThePassword) {
  Stanzas out = room.join("crone1@shakespeare.lit/laptop", "coven@chat.shakespeare.lit/crone");
  EXPECT_NE(error_of(out.at(0)), "auth/not-authorized");
  (void)kCrone;
}
