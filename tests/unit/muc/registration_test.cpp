// Registering with a room (XEP-0045 §7.10): the form, reserved nicks, conflicts.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

constexpr const char* kCrone = "crone1@shakespeare.lit/desktop";
constexpr const char* kHag = "hag66@shakespeare.lit/pda";

std::string submit(const std::string& nick) {
  return "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
         "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
         "<field var='muc#register_first'><value>Brunhilde</value></field>"
         "<field var='muc#register_roomnick'><value>" +
         nick + "</value></field></x></query>";
}

}  // namespace

TEST(Registration, OffersTheRegistrationForm) {
  // Examples 61, 64.
  RoomHarness room;
  room.create_coven();
  Stanzas out = room.iq(kHag, kCoven, "get", "<query xmlns='jabber:iq:register'/>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsResult());
  const Element* q = out[0].find_child("query", commonroom::xmpp::ns::register_);
  auto form =
      commonroom::xmpp::parse_data_form(*q->find_child("x", commonroom::xmpp::ns::data_forms));
  EXPECT_EQ(form.form_type(), "http://jabber.org/protocol/muc#register");
  ASSERT_NE(form.field("muc#register_roomnick"), nullptr);
  EXPECT_TRUE(form.field("muc#register_roomnick")->required);
}

TEST(Registration, RegistersTheUserAsAMemberWithTheNickReserved) {
  // Examples 65, 69 and §7.10's presence update.
  RoomHarness room;
  room.create_coven();
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas out = room.iq(kHag, kCoven, "set", submit("thirdwitch"), "nv71va54");
  ASSERT_FALSE(out.empty());
  EXPECT_THAT(out[0], IsResult());
  EXPECT_THAT(sent_to(out, kCrone).at(0), HasItem("member", "participant"));
  // Already registered: the answer says so (Example 63).
  Stanzas again = room.iq(kHag, kCoven, "get", "<query xmlns='jabber:iq:register'/>");
  EXPECT_EQ(str(again.at(0)),
            "<iq to='hag66@shakespeare.lit/pda' from='coven@chat.shakespeare.lit' id='q1' "
            "type='result'><query xmlns='jabber:iq:register'><registered/>"
            "<username>thirdwitch</username></query></iq>");
  // Nobody else may use the nick (§7.2.8).
  room.leave(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  EXPECT_THAT(
      room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/thirdwitch").at(0),
      IsError("cancel/conflict"));
}

TEST(Registration, RefusesANickReservedBySomeoneElseWithConflict) {
  // Example 66.
  RoomHarness room;
  room.create_coven();
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  EXPECT_THAT(room.iq("hecate@shakespeare.lit/broom", kCoven, "set", submit("thirdwitch")).at(0),
              IsError("cancel/conflict"));
}

TEST(Registration, RefusesASubmissionWithoutAValidFormWithBadRequest) {
  // Example 68.
  RoomHarness room;
  room.create_coven();
  EXPECT_THAT(room.iq(kHag, kCoven, "set", "<query xmlns='jabber:iq:register'/>").at(0),
              IsError("modify/bad-request"));
  EXPECT_THAT(room.iq(kHag, kCoven, "set", submit("")).at(0), IsError("modify/bad-request"));
}

TEST(Registration, RefusesRegistrationWithAMembersOnlyRoomWithNotAllowed) {
  // Example 62: members-only membership comes from admins.
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_membersonly", {"1"}}});
  EXPECT_THAT(room.iq(kHag, kCoven, "get", "<query xmlns='jabber:iq:register'/>").at(0),
              IsError("cancel/not-allowed"));
}

TEST(Registration, RefusesRegistrationWithANonexistentRoomWithItemNotFound) {
  // Example 61's error case.
  RoomHarness room;
  EXPECT_THAT(room.iq(kHag, kCoven, "get", "<query xmlns='jabber:iq:register'/>").at(0),
              IsError("cancel/item-not-found"));
}

TEST(Registration, CancellingRegistrationGivesUpMembershipAndTheNick) {
  RoomHarness room;
  room.create_coven();
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  Stanzas out = room.iq(kHag, kCoven, "set", "<query xmlns='jabber:iq:register'><remove/></query>");
  EXPECT_THAT(out.at(0), IsResult());
  EXPECT_THAT(
      sent_to(room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/thirdwitch"),
              "hecate@shakespeare.lit/broom"),
      SizeIs(3));
}
