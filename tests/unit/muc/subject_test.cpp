// The room subject (XEP-0045 §8.1 and §7.2.15).
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

const std::string kNs(commonroom::xmpp::ns::component_accept);

std::string subject(const std::string& from, const std::string& text) {
  return "<message from='" + from +
         "' id='lh2bs617' to='coven@chat.shakespeare.lit' "
         "type='groupchat'><subject>" +
         text + "</subject></message>";
}

}  // namespace

TEST(Subject, AModeratorChangesTheSubjectForEveryone) {
  // Examples 163-164.
  RoomHarness room;
  room.create_coven();
  room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  Stanzas out = room.send(subject(kCrone, "Fire Burn and Cauldron Bubble!"));
  ASSERT_THAT(out, SizeIs(2));
  for (const auto& m : out) {
    EXPECT_THAT(m, From("coven@chat.shakespeare.lit/firstwitch"));
    EXPECT_EQ(m.child_text("subject", kNs), "Fire Burn and Cauldron Bubble!");
    EXPECT_EQ(m.find_child("body", kNs), nullptr);
  }
  ASSERT_THAT(room.effects().events, SizeIs(1));
  EXPECT_EQ(room.effects().events[0].kind, RoomEventKind::subject_change);
  EXPECT_EQ(room.effects().events[0].body, "Fire Burn and Cauldron Bubble!");
}

TEST(Subject, NewcomersGetTheSubjectLastWithTheTimeItWasSet) {
  // §7.2.15, Example 40.
  RoomHarness room;
  room.create_coven();
  room.send(subject(kCrone, "Fire Burn and Cauldron Bubble!"));
  room.advance(std::chrono::hours(1));
  Stanzas out = sent_to(room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch"), kHag);
  const Element& last = out.back();
  EXPECT_THAT(last, From("coven@chat.shakespeare.lit/firstwitch"));
  EXPECT_EQ(last.child_text("subject", kNs), "Fire Burn and Cauldron Bubble!");
  const Element* delay = last.find_child("delay", commonroom::xmpp::ns::delay);
  ASSERT_NE(delay, nullptr);
  EXPECT_EQ(delay->attr("stamp"), "2002-10-13T23:58:37Z");
  EXPECT_EQ(delay->attr("from"), kCoven);
}

TEST(Subject, ARoomWithoutSubjectSendsAnEmptyOneFromTheRoom) {
  // Example 41.
  RoomHarness room;
  room.create_coven();
  Stanzas out = sent_to(room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch"), kHag);
  const Element& last = out.back();
  EXPECT_THAT(last, From(kCoven));
  EXPECT_EQ(last.child_text("subject", kNs), "");
  EXPECT_NE(last.find_child("subject", kNs), nullptr);
  EXPECT_EQ(last.find_child("delay", commonroom::xmpp::ns::delay), nullptr);
}

TEST(Subject, RefusesAParticipantWithForbiddenUnlessOccupantsMayChangeIt) {
  // Example 165; muc#roomconfig_changesubject.
  RoomHarness room;
  room.create_coven();
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas out = room.send(subject(kHag, "Mine now"));
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/forbidden"));
  EXPECT_EQ(out[0].child_text("subject", kNs), "Mine now");  // the offending stanza is echoed
  room.configure(kCrone, kCoven, {{"muc#roomconfig_changesubject", {"1"}}});
  EXPECT_THAT(room.send(subject(kHag, "Mine now")), SizeIs(2));
}

TEST(Subject, AnEmptySubjectClearsIt) {
  // Example 166.
  RoomHarness room;
  room.create_coven();
  room.send(subject(kCrone, "Spells"));
  room.send(subject(kCrone, ""));
  Stanzas out = sent_to(room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch"), kHag);
  EXPECT_EQ(out.back().child_text("subject", kNs), "");
  // It was actively cleared: the delay says when (§7.2.15).
  EXPECT_NE(out.back().find_child("delay", commonroom::xmpp::ns::delay), nullptr);
}

TEST(Subject, AMessageWithSubjectAndBodyIsAnOrdinaryMessage) {
  RoomHarness room;
  room.create_coven();
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas out = room.send(
      "<message from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit' "
      "type='groupchat'><subject>x</subject><body>hi</body></message>");
  ASSERT_THAT(out, SizeIs(2));
  EXPECT_EQ(room.effects().events.at(0).kind, RoomEventKind::groupchat);
}
