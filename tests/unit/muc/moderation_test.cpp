// XEP-0425 moderated retraction: a moderator retracts a message by its stanza-id.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

std::string moderate(const std::string& id) {
  return "<moderate id='" + id +
         "' xmlns='urn:xmpp:message-moderate:1'>"
         "<retract xmlns='urn:xmpp:message-retract:1'/>"
         "<reason>This message contains inappropriate content for this forum</reason></moderate>";
}

class ModerationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    room.create_coven();
    room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
    Stanzas said = room.say(kHag, kCoven, "DM me for free magic potions!", "inappropriate-1");
    stanza_id =
        std::string(said.at(0).find_child("stanza-id", commonroom::xmpp::ns::sid)->attr("id"));
  }
  RoomHarness room;
  std::string stanza_id;
};

}  // namespace

TEST_F(ModerationTest, TellsEveryoneTheMessageWasRetractedAndByWhom) {
  // XEP-0425 Examples 4-5.
  Stanzas out = room.iq(kCrone, kCoven, "set", moderate(stanza_id), "retract-request-1");
  ASSERT_THAT(out, SizeIs(3)) << str(out);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_THAT(out[i], From(kCoven));
    EXPECT_EQ(out[i].attr("type"), "groupchat");
    const Element* retract = out[i].find_child("retract", commonroom::xmpp::ns::message_retract);
    ASSERT_NE(retract, nullptr);
    EXPECT_EQ(retract->attr("id"), stanza_id);
    const Element* moderated =
        retract->find_child("moderated", commonroom::xmpp::ns::message_moderate);
    ASSERT_NE(moderated, nullptr);
    EXPECT_EQ(moderated->attr("by"), "coven@chat.shakespeare.lit/firstwitch");
    EXPECT_NE(moderated->find_child("occupant-id", commonroom::xmpp::ns::occupant_id), nullptr);
    EXPECT_EQ(retract->child_text("reason", commonroom::xmpp::ns::message_retract),
              "This message contains inappropriate content for this forum");
  }
  EXPECT_THAT(out[2], IsResult());
  ASSERT_THAT(room.effects().events, SizeIs(1));
  EXPECT_EQ(room.effects().events[0].kind, RoomEventKind::retraction);
  EXPECT_EQ(room.effects().events[0].target, stanza_id);
  EXPECT_EQ(room.effects().events[0].actor_jid, kCrone);
}

TEST_F(ModerationTest, DropsTheRetractedMessageFromHistory) {
  room.iq(kCrone, kCoven, "set", moderate(stanza_id));
  Stanzas out =
      sent_to(room.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate"),
              "hecate@shakespeare.lit/broom");
  for (const auto& e : out) {
    EXPECT_EQ(e.find_child("body", commonroom::xmpp::ns::component_accept), nullptr) << str(e);
  }
}

TEST_F(ModerationTest, RefusesNonModeratorsWithForbidden) {
  // XEP-0425 Example 6.
  Stanzas out = room.iq(kHag, kCoven, "set", moderate(stanza_id));
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/forbidden"));
}

TEST_F(ModerationTest, RefusesARequestWithoutIdWithBadRequest) {
  EXPECT_THAT(room.iq(kCrone, kCoven, "set", moderate("")).at(0), IsError("modify/bad-request"));
}

TEST_F(ModerationTest, AcceptsTheXep0425Version02RequestThatDebianGajimAndPoezioSend) {
  // XEP-0425 0.2: the request inside a XEP-0422 fastening, XEP-0424 0.3's retract.
  Stanzas out = room.iq(kCrone, kCoven, "set",
                        "<apply-to id='" + stanza_id +
                            "' xmlns='urn:xmpp:fasten:0'><moderate "
                            "xmlns='urn:xmpp:message-moderate:0'><retract "
                            "xmlns='urn:xmpp:message-retract:0'/><reason>spam</reason>"
                            "</moderate></apply-to>",
                        "legacy-1");
  ASSERT_THAT(out, SizeIs(3)) << str(out);
  EXPECT_THAT(out[2], IsResult());
  // Everyone is told in both forms: the current one, and the 0.2 fastening older clients read.
  for (size_t i = 0; i < 2; ++i) {
    const Element* retract = out[i].find_child("retract", commonroom::xmpp::ns::message_retract);
    ASSERT_NE(retract, nullptr) << str(out);
    EXPECT_EQ(retract->attr("id"), stanza_id);
    const Element* apply_to = out[i].find_child("apply-to", commonroom::xmpp::ns::fasten);
    ASSERT_NE(apply_to, nullptr) << str(out);
    EXPECT_EQ(apply_to->attr("id"), stanza_id);
    const Element* moderated =
        apply_to->find_child("moderated", commonroom::xmpp::ns::message_moderate_0);
    ASSERT_NE(moderated, nullptr);
    EXPECT_EQ(moderated->attr("by"), "coven@chat.shakespeare.lit/firstwitch");
    EXPECT_NE(moderated->find_child("retract", commonroom::xmpp::ns::message_retract_0), nullptr);
    EXPECT_EQ(moderated->child_text("reason", commonroom::xmpp::ns::message_moderate_0), "spam");
  }
  ASSERT_THAT(room.effects().events, SizeIs(1));
  EXPECT_EQ(room.effects().events[0].target, stanza_id);
}

TEST_F(ModerationTest, RefusesAFasteningThatIsNotAModeration) {
  Stanzas out = room.iq(kCrone, kCoven, "set",
                        "<apply-to id='" + stanza_id +
                            "' xmlns='urn:xmpp:fasten:0'><retract "
                            "xmlns='urn:xmpp:message-retract:0'/></apply-to>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/feature-not-implemented"));
  EXPECT_TRUE(room.effects().events.empty());
}
