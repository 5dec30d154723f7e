// Voice in moderated rooms (XEP-0045 §8.3-8.5, §7.4): visitors, granting and revoking
// voice, the voice list.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

class VoiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    room.create_coven({{"muc#roomconfig_moderatedroom", {"1"}}});
    room.admin(kCrone, kCoven, "<item affiliation='member' jid='wiccarocks@shakespeare.lit'/>");
    room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
    room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  }
  RoomHarness room;
};

}  // namespace

TEST_F(VoiceTest, UnaffiliatedUsersEnterAModeratedRoomAsVisitorsAndMembersAsParticipants) {
  // §5.1.2 default roles.
  Stanzas out = room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate");
  Stanzas seen = sent_to(out, "hecate@shakespeare.lit/broom");
  EXPECT_EQ(item_attr(seen[1], "role"), "participant");  // secondwitch, a member
  EXPECT_EQ(item_attr(seen[2], "role"), "visitor");      // thirdwitch
  EXPECT_EQ(item_attr(seen[3], "role"), "visitor");      // hecate herself
}

TEST_F(VoiceTest, RefusesAVisitorsMessageWithForbidden) {
  // §7.4.
  Stanzas out = room.say(kHag, kCoven, "Double, double toil and trouble");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/forbidden"));
  EXPECT_TRUE(room.effects().events.empty());
}

TEST_F(VoiceTest, AModeratorGrantsVoiceAndEveryoneSeesTheNewRole) {
  // Examples 123-126.
  Stanzas out =
      room.admin(kCrone, kCoven,
                 "<item nick='thirdwitch' role='participant'><reason>A worthy witch indeed!"
                 "</reason></item>");
  ASSERT_THAT(out, SizeIs(4)) << str(out);
  EXPECT_THAT(out[0], To(kHag));
  EXPECT_THAT(out[0], HasStatuses(std::vector<int>{110}));
  EXPECT_THAT(out[1], IsResult());
  EXPECT_THAT(out[2], HasItem("none", "participant"));
  EXPECT_EQ(muc_item(out[2])->child_text("reason", commonroom::xmpp::ns::muc_user),
            "A worthy witch indeed!");
  EXPECT_THAT(room.say(kHag, kCoven, "Double, double toil and trouble"), SizeIs(3));
  EXPECT_EQ(room.effects().events.at(0).kind, RoomEventKind::groupchat);
}

TEST_F(VoiceTest, AModeratorRevokesVoice) {
  // Examples 127-130.
  Stanzas out = room.admin(kCrone, kCoven, "<item nick='secondwitch' role='visitor'/>");
  EXPECT_THAT(sent_to(out, kHag).at(0), HasItem("member", "visitor"));
  EXPECT_THAT(room.say(kWicca, kCoven, "hush").at(0), IsError("auth/forbidden"));
}

TEST_F(VoiceTest, NobodyRevokesVoiceFromAnAdmin) {
  // Example 131.
  room.admin(kCrone, kCoven, "<item affiliation='admin' jid='hecate@shakespeare.lit'/>");
  room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate");
  EXPECT_THAT(room.admin(kCrone, kCoven, "<item nick='hecate' role='visitor'/>").at(0),
              IsError("cancel/not-allowed"));
}

TEST_F(VoiceTest, GivesModeratorsTheVoiceList) {
  // Examples 132-133.
  Stanzas out = room.admin(kCrone, kCoven, "<item role='participant'/>", "get");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(str(out[0]),
            "<iq to='crone1@shakespeare.lit/desktop' from='coven@chat.shakespeare.lit' id='q1' "
            "type='result'><query xmlns='http://jabber.org/protocol/muc#admin'><item "
            "affiliation='member' jid='wiccarocks@shakespeare.lit/laptop' nick='secondwitch' "
            "role='participant'/></query></iq>");
  EXPECT_THAT(room.admin(kHag, kCoven, "<item role='participant'/>", "get").at(0),
              IsError("auth/forbidden"));
}

TEST_F(VoiceTest, ChangesSeveralVoicesInOneRequest) {
  // Examples 134-135: a delta of the voice list.
  room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate");
  Stanzas out = room.admin(kCrone, kCoven,
                           "<item nick='thirdwitch' role='participant'/>"
                           "<item nick='hecate' role='participant'/>");
  EXPECT_THAT(sent_to(out, kCrone), SizeIs(3));  // result + two presences
  Stanzas list = room.admin(kCrone, kCoven, "<item role='participant'/>", "get");
  auto items = list.at(0)
                   .find_child("query", commonroom::xmpp::ns::muc_admin)
                   ->children("item", commonroom::xmpp::ns::muc_admin);
  EXPECT_THAT(items, SizeIs(3));
}

TEST_F(VoiceTest, AVisitorRequestsVoiceAndAModeratorApproves) {
  // §7.13 and §8.6, Examples 71, 136-137.
  Stanzas asked = room.send(
      "<message from='hag66@shakespeare.lit/pda' id='yd53c486' to='coven@chat.shakespeare.lit'>"
      "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
      "<value>http://jabber.org/protocol/muc#request</value></field>"
      "<field var='muc#role' type='list-single' label='Requested role'><value>participant</value>"
      "</field></x></message>");
  ASSERT_THAT(asked, SizeIs(1)) << str(asked);  // crone1 is the only moderator
  EXPECT_THAT(asked[0], To(kCrone));
  EXPECT_THAT(asked[0], From(kCoven));
  auto form = commonroom::xmpp::parse_data_form(
      *asked[0].find_child("x", commonroom::xmpp::ns::data_forms));
  EXPECT_EQ(form.form_type(), "http://jabber.org/protocol/muc#request");
  EXPECT_EQ(form.value("muc#jid").value_or(""), kHag);
  EXPECT_EQ(form.value("muc#roomnick").value_or(""), "thirdwitch");
  EXPECT_EQ(form.bool_value("muc#request_allow"), false);
  EXPECT_EQ(room.effects().events.at(0).kind, RoomEventKind::voice_request);

  Stanzas approved = room.send(
      "<message from='crone1@shakespeare.lit/desktop' id='approve' to='coven@chat.shakespeare.lit'>"
      "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
      "<value>http://jabber.org/protocol/muc#request</value></field>"
      "<field var='muc#role'><value>participant</value></field>"
      "<field var='muc#jid'><value>hag66@shakespeare.lit/pda</value></field>"
      "<field var='muc#roomnick'><value>thirdwitch</value></field>"
      "<field var='muc#request_allow'><value>true</value></field></x></message>");
  EXPECT_THAT(sent_to(approved, kHag).at(0), HasItem("none", "participant"));
  EXPECT_THAT(room.say(kHag, kCoven, "thank you"), SizeIs(3));
}

TEST_F(VoiceTest, OnlyModeratorsApproveVoiceRequests) {
  Stanzas out = room.send(
      "<message from='wiccarocks@shakespeare.lit/laptop' to='coven@chat.shakespeare.lit'>"
      "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
      "<value>http://jabber.org/protocol/muc#request</value></field>"
      "<field var='muc#roomnick'><value>thirdwitch</value></field>"
      "<field var='muc#request_allow'><value>1</value></field></x></message>");
  EXPECT_THAT(out.at(0), IsError("auth/forbidden"));
}
