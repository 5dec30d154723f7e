// Registering with a room (XEP-0045 §7.10): the form, reserved nicks, conflicts.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

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

// --- §9.9: registration approved by the room's owners and admins ---

namespace {

constexpr const char* kCroneBare = "crone1@shakespeare.lit";
constexpr const char* kHagBare = "hag66@shakespeare.lit";

// The answer an owner or admin sends back: the approval form with muc#register_allow set.
std::string answer(const std::string& from, bool allow, const std::string& jid = kHagBare,
                   const std::string& nick = "") {
  std::string fields =
      "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
      "<field var='muc#jid'><value>" +
      jid + "</value></field>";
  if (!nick.empty())
    fields += "<field var='muc#register_roomnick'><value>" + nick + "</value></field>";
  fields += "<field var='muc#register_allow'><value>" + std::string(allow ? "1" : "0") +
            "</value></field>";
  return "<message from='" + from +
         "' to='coven@chat.shakespeare.lit' id='ans1'><x xmlns='jabber:x:data' type='submit'>" +
         fields + "</x></message>";
}

commonroom::xmpp::DataForm form_in(const Element& message) {
  const Element* x = message.find_child("x", commonroom::xmpp::ns::data_forms);
  return x ? commonroom::xmpp::parse_data_form(*x) : commonroom::xmpp::DataForm{};
}

// The coven with approval required and wiccarocks as an admin.
void approval_coven(RoomHarness& room, bool members_only = false) {
  std::vector<std::pair<std::string, std::vector<std::string>>> fields = {
      {"x-commonroom#registration", {"approval"}}};
  if (members_only) fields.push_back({"muc#roomconfig_membersonly", {"1"}});
  room.create_coven(fields);
  ASSERT_THAT(
      room.admin(kCrone, kCoven, "<item affiliation='admin' jid='wiccarocks@shakespeare.lit'/>")
          .at(0),
      IsResult());
}

}  // namespace

TEST(RegistrationApproval, TheRequestIsReceivedAndSentToEveryOwnerAndAdmin) {
  // §7.10 Example 69 (received, not yet granted) and §9.9's approval form.
  RoomHarness room;
  approval_coven(room);
  Stanzas out = room.iq(kHag, kCoven, "set", submit("thirdwitch"), "nv71va54");
  ASSERT_THAT(out, SizeIs(3));
  EXPECT_THAT(out[0], IsResult());
  EXPECT_EQ(out[0].attr("id"), "nv71va54");
  ASSERT_THAT(sent_to(out, kCroneBare), SizeIs(1));
  ASSERT_THAT(sent_to(out, "wiccarocks@shakespeare.lit"), SizeIs(1));
  Element m = sent_to(out, kCroneBare).at(0);
  EXPECT_EQ(m.name(), "message");
  EXPECT_EQ(m.attr("from"), kCoven);
  auto form = form_in(m);
  EXPECT_EQ(form.type, commonroom::xmpp::FormType::form);
  EXPECT_EQ(form.title, "Registration request");
  EXPECT_EQ(form.form_type(), "http://jabber.org/protocol/muc#register");
  EXPECT_EQ(form.value("muc#jid").value_or(""), kHagBare);
  EXPECT_EQ(form.value("muc#register_first").value_or(""), "Brunhilde");
  EXPECT_EQ(form.value("muc#register_roomnick").value_or(""), "thirdwitch");
  EXPECT_EQ(form.bool_value("muc#register_allow"), false);
  // Not a member yet: the nick is not reserved and the register form says it is waiting.
  Stanzas get = room.iq(kHag, kCoven, "get", "<query xmlns='jabber:iq:register'/>");
  EXPECT_THAT(str(get.at(0)), ::testing::HasSubstr("is waiting for an admin"));
  EXPECT_THAT(
      sent_to(room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/thirdwitch"),
              "hecate@shakespeare.lit/broom"),
      ::testing::Not(::testing::IsEmpty()));
  EXPECT_EQ(room.service().snapshot(std::string(kCoven))->registration_requests.size(), 1u);
}

TEST(RegistrationApproval, AnAdminsApprovalMakesTheUserAMemberWithTheNickReserved) {
  RoomHarness room;
  approval_coven(room);
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  Stanzas out = room.send(answer("wiccarocks@shakespeare.lit/cauldron", true));
  // §7.10: the user is in the room, so everyone sees the new affiliation.
  EXPECT_THAT(sent_to(out, kCrone).at(0), HasItem("member", "participant"));
  EXPECT_THAT(sent_to(out, kHag).at(0), HasItem("member", "participant"));
  // The abuse log says who approved it.
  ASSERT_EQ(room.effects().events.size(), 1u);
  EXPECT_EQ(room.effects().events[0].kind, RoomEventKind::affiliation_change);
  EXPECT_EQ(room.effects().events[0].actor_jid, "wiccarocks@shakespeare.lit/cauldron");
  EXPECT_EQ(room.effects().events[0].body, "registration approved");
  Stanzas again = room.iq(kHag, kCoven, "get", "<query xmlns='jabber:iq:register'/>");
  EXPECT_THAT(str(again.at(0)), ::testing::HasSubstr("<username>thirdwitch</username>"));
  // A second admin answering the same request is told it was decided.
  EXPECT_THAT(room.send(answer(kCrone, true)).at(0), IsError("cancel/item-not-found"));
  room.leave(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  EXPECT_THAT(
      room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/thirdwitch").at(0),
      IsError("cancel/conflict"));
}

TEST(RegistrationApproval, AnApprovedUserWhoIsNotInTheRoomIsToldWithStatus101) {
  RoomHarness room;
  approval_coven(room);
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  Stanzas out = room.send(answer(kCrone, true));
  ASSERT_THAT(sent_to(out, kHagBare), SizeIs(1));
  EXPECT_THAT(sent_to(out, kHagBare).at(0), HasStatus(101));
  EXPECT_THAT(sent_to(out, kHagBare).at(0), HasItem("member", ""));
}

TEST(RegistrationApproval, MembersOnlyRoomsTakeRequestsAndInviteTheApprovedUser) {
  RoomHarness room;
  approval_coven(room, /*members_only=*/true);
  Stanzas asked = room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  ASSERT_THAT(asked.at(0), IsResult());
  // Still not a member: entry is refused until an admin approves.
  EXPECT_THAT(room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch").at(0),
              IsError("auth/registration-required"));
  Stanzas out = room.send(answer(kCrone, true));
  ASSERT_THAT(sent_to(out, kHagBare), SizeIs(1));
  EXPECT_NE(muc_user_x(sent_to(out, kHagBare).at(0))
                ->find_child("invite", commonroom::xmpp::ns::muc_user),
            nullptr);
  EXPECT_THAT(sent_to(room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch"), kHag),
              ::testing::Contains(HasItem("member", "participant")));
}

TEST(RegistrationApproval, ADeclinedUserIsToldAndTheRequestIsGone) {
  RoomHarness room;
  approval_coven(room);
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  Stanzas out = room.send(answer(kCrone, false));
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].attr("to"), kHagBare);
  EXPECT_THAT(str(out[0]), ::testing::HasSubstr("was declined"));
  ASSERT_EQ(room.effects().events.size(), 1u);
  EXPECT_EQ(room.effects().events[0].kind, RoomEventKind::registration_declined);
  EXPECT_EQ(room.effects().events[0].target, kHagBare);
  EXPECT_TRUE(room.service().snapshot(std::string(kCoven))->registration_requests.empty());
  EXPECT_THAT(room.send(answer(kCrone, true)).at(0), IsError("cancel/item-not-found"));
}

TEST(RegistrationApproval, OnlyOwnersAndAdminsMayDecide) {
  RoomHarness room;
  approval_coven(room);
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate");
  EXPECT_THAT(room.send(answer("hecate@shakespeare.lit/broom", true)).at(0),
              IsError("auth/forbidden"));
  // The user cannot approve their own request either.
  EXPECT_THAT(room.send(answer(kHag, true)).at(0), IsError("auth/forbidden"));
  EXPECT_EQ(room.service().snapshot(std::string(kCoven))->registration_requests.size(), 1u);
}

TEST(RegistrationApproval, TheAdminMayChangeTheNickAndATakenNickKeepsTheRequest) {
  RoomHarness room;
  approval_coven(room);
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  room.iq("hecate@shakespeare.lit/broom", kCoven, "set", submit("hecate"));
  room.send(answer(kCrone, true, "hecate@shakespeare.lit"));
  // Approving the hag as "hecate" now clashes; the request waits for another answer.
  EXPECT_THAT(room.send(answer(kCrone, true, kHagBare, "hecate")).at(0),
              IsError("cancel/conflict"));
  EXPECT_EQ(room.service().snapshot(std::string(kCoven))->registration_requests.size(), 1u);
  room.send(answer(kCrone, true, kHagBare, "hag"));
  Stanzas again = room.iq(kHag, kCoven, "get", "<query xmlns='jabber:iq:register'/>");
  EXPECT_THAT(str(again.at(0)), ::testing::HasSubstr("<username>hag</username>"));
}

TEST(RegistrationApproval, AskingAgainWithinTheHourDoesNotAskTheAdminsAgain) {
  RoomHarness room;
  approval_coven(room);
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  Stanzas again = room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  ASSERT_THAT(again, SizeIs(1));
  EXPECT_THAT(again[0], IsResult());
  room.advance(std::chrono::hours(2));
  EXPECT_THAT(room.iq(kHag, kCoven, "set", submit("thirdwitch")), SizeIs(3));
  // A different nick is a new question at once.
  EXPECT_THAT(room.iq(kHag, kCoven, "set", submit("hag")), SizeIs(3));
}

TEST(RegistrationApproval, RequestsNobodyDecidedOnExpireAfterThirtyDays) {
  RoomHarness room;
  approval_coven(room);
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  room.advance(std::chrono::hours(24 * 31));
  EXPECT_THAT(room.send(answer(kCrone, true)).at(0), IsError("cancel/item-not-found"));
}

TEST(RegistrationApproval, WithdrawingTheRequestRemovesIt) {
  RoomHarness room;
  approval_coven(room);
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  EXPECT_THAT(
      room.iq(kHag, kCoven, "set", "<query xmlns='jabber:iq:register'><remove/></query>").at(0),
      IsResult());
  EXPECT_THAT(room.send(answer(kCrone, true)).at(0), IsError("cancel/item-not-found"));
}

TEST(RegistrationApproval, ABanBeforeTheApprovalDropsTheRequest) {
  RoomHarness room;
  approval_coven(room);
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  room.admin(kCrone, kCoven, "<item affiliation='outcast' jid='hag66@shakespeare.lit'/>");
  EXPECT_THAT(room.send(answer(kCrone, true)).at(0), IsError("cancel/not-allowed"));
  EXPECT_EQ(room.service().snapshot(std::string(kCoven))->affiliations.size(),
            3u);  // owner, admin, outcast
}

TEST(RegistrationApproval, PendingRequestsSurviveARestartOfAPersistentRoom) {
  RoomHarness room;
  approval_coven(room);
  room.configure(kCrone, kCoven, {{"muc#roomconfig_persistentroom", {"1"}}});
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  RoomSnapshot saved = *room.service().snapshot(std::string(kCoven));
  ASSERT_EQ(saved.registration_requests.size(), 1u);
  EXPECT_EQ(saved.registration_requests[0].nick, "thirdwitch");
  EXPECT_EQ(
      saved.registration_requests[0].details,
      (std::vector<std::pair<std::string, std::string>>{{"muc#register_first", "Brunhilde"}}));
  RoomHarness restarted;
  restarted.service().restore(saved);
  EXPECT_EQ(*restarted.service().snapshot(std::string(kCoven)), saved);
  Stanzas out = restarted.send(answer(kCrone, true));
  EXPECT_THAT(sent_to(out, kHagBare).at(0), HasStatus(101));
}

TEST(RegistrationClosed, AClosedRoomTakesNoRegistrationsAndSaysSo) {
  // §7.10: a room that does not support registration answers service-unavailable.
  RoomHarness room;
  room.create_coven({{"x-commonroom#registration", {"closed"}}});
  EXPECT_THAT(room.iq(kHag, kCoven, "get", "<query xmlns='jabber:iq:register'/>").at(0),
              IsError("cancel/service-unavailable"));
  EXPECT_THAT(room.iq(kHag, kCoven, "set", submit("thirdwitch")).at(0),
              IsError("cancel/service-unavailable"));
  Stanzas info =
      room.iq(kHag, kCoven, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  EXPECT_THAT(str(info.at(0)), ::testing::Not(::testing::HasSubstr("jabber:iq:register")));
}

TEST(RegistrationClosed, AnUnknownRegistrationModeIsRefused) {
  RoomHarness room;
  room.create_coven();
  EXPECT_THAT(room.configure(kCrone, kCoven, {{"x-commonroom#registration", {"sometimes"}}}).at(0),
              IsError("modify/not-acceptable"));
}

TEST(RegistrationApproval, AnAdminEnteringTheRoomIsRemindedOfWaitingRequests) {
  RoomHarness room;
  approval_coven(room);
  room.iq(kHag, kCoven, "set", submit("thirdwitch"));
  Stanzas entered =
      room.join("wiccarocks@shakespeare.lit/cauldron", "coven@chat.shakespeare.lit/wicca");
  Stanzas forms = sent_to(entered, "wiccarocks@shakespeare.lit/cauldron");
  ASSERT_FALSE(forms.empty());
  EXPECT_EQ(forms.back().name(), "message");
  EXPECT_EQ(form_in(forms.back()).value("muc#jid").value_or(""), kHagBare);
  // An ordinary occupant is not.
  Stanzas other = room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate");
  for (const Element& s : sent_to(other, "hecate@shakespeare.lit/broom")) {
    EXPECT_EQ(s.find_child("x", commonroom::xmpp::ns::data_forms), nullptr) << str(s);
  }
}
