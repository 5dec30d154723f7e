// Password-protected rooms (XEP-0045 §7.2.5).
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

TEST_F(PasswordTest, PutsThePasswordIntoMediatedInvitations) {
  // §7.8.2, Example 57.
  Stanzas out = room.send(
      "<message from='crone1@shakespeare.lit/desktop' id='nzd143v8' "
      "to='coven@chat.shakespeare.lit'><x xmlns='http://jabber.org/protocol/muc#user'>"
      "<invite to='hecate@shakespeare.lit'/></x></message>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(muc_user_x(out[0])->child_text("password", commonroom::xmpp::ns::muc_user),
            "cauldronburn");
}

TEST_F(PasswordTest, LetsTheOwnerInWithoutThePassword) {
  Stanzas out = room.join("crone1@shakespeare.lit/laptop", "coven@chat.shakespeare.lit/crone");
  EXPECT_NE(error_of(out.at(0)), "auth/not-authorized");
  (void)kCrone;
}
