// Discussion history on entering (XEP-0045 §7.2.13-14): XEP-0203 delays, and the
// maxchars / maxstanzas / seconds / since limits.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

const std::string kNs(commonroom::xmpp::ns::component_accept);

class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    room.create_coven();
    room.join("wiccarocks@shakespeare.lit/laptop", "coven@chat.shakespeare.lit/secondwitch");
    // Example 34's three messages, six seconds apart, starting 2002-10-13T23:58:37Z.
    room.say(kCrone, kCoven, "Thrice the brinded cat hath mew'd.", "h1");
    room.advance(std::chrono::seconds(6));
    room.say("wiccarocks@shakespeare.lit/laptop", kCoven, "Thrice and once the hedge-pig whined.",
             "h2");
    room.advance(std::chrono::seconds(6));
    room.say(kCrone, kCoven, "Harpier cries 'Tis time, 'tis time.", "h3");
    room.advance(std::chrono::seconds(60));
  }
  // The history messages hecate gets when joining with `history` in her <x/>.
  Stanzas history(const std::string& history_el) {
    Stanzas out =
        sent_to(room.join(kHecate, "coven@chat.shakespeare.lit/hecate", history_el), kHecate);
    Stanzas msgs;
    for (const auto& e : out) {
      if (e.name() == "message" && e.find_child("body", kNs)) msgs.push_back(e);
    }
    return msgs;
  }
  RoomHarness room;
};

std::string stamp(const Element& m) {
  const Element* d = m.find_child("delay", commonroom::xmpp::ns::delay);
  return d ? std::string(d->attr("stamp")) : "<none>";
}

}  // namespace

TEST_F(HistoryTest, SendsHistoryStampedWithDelaysAfterPresenceAndBeforeTheSubject) {
  // Example 34: from the occupant JID, delay from the room, original stamps.
  Stanzas out = sent_to(room.join(kHecate, "coven@chat.shakespeare.lit/hecate"), kHecate);
  ASSERT_THAT(out, SizeIs(7)) << str(out);  // 2 presences + self + 3 history + subject
  EXPECT_THAT(out[2], HasStatus(110));
  EXPECT_THAT(out[3], From("coven@chat.shakespeare.lit/firstwitch"));
  EXPECT_EQ(out[3].attr("id"), "h1");
  EXPECT_EQ(out[3].child_text("body", kNs), "Thrice the brinded cat hath mew'd.");
  const Element* delay = out[3].find_child("delay", commonroom::xmpp::ns::delay);
  ASSERT_NE(delay, nullptr);
  EXPECT_EQ(delay->attr("from"), kCoven);
  EXPECT_EQ(delay->attr("stamp"), "2002-10-13T23:58:37Z");
  EXPECT_EQ(stamp(out[4]), "2002-10-13T23:58:43Z");
  EXPECT_EQ(stamp(out[5]), "2002-10-13T23:58:49Z");
  EXPECT_NE(out[5].find_child("stanza-id", commonroom::xmpp::ns::sid), nullptr);
  EXPECT_NE(out[6].find_child("subject", kNs), nullptr);
}

TEST_F(HistoryTest, SerializesSelfPresenceHistoryAndSubjectAsOneRunAfterTheAnnouncement) {
  // What a host with our module takes as one text each (decision 0086): the roster, then,
  // after the newcomer's presence to the others, everything else the newcomer gets.
  room.join(kHecate, "coven@chat.shakespeare.lit/hecate");
  const Effects& fx = room.effects();
  ASSERT_EQ(fx.runs.size(), 2u);
  EXPECT_EQ(fx.runs[0].ends.size(), 2u);  // the two witches already there
  EXPECT_EQ(fx.runs[1].ends.size(), 5u);  // self-presence, three messages, subject
  EXPECT_EQ(fx.runs[1].fanout_position, fx.fanouts.size());
  EXPECT_TRUE(fx.outbound.empty());
}

TEST_F(HistoryTest, LimitsHistoryToMaxstanzas) {
  Stanzas msgs = history("<history maxstanzas='2'/>");
  ASSERT_THAT(msgs, SizeIs(2));
  EXPECT_EQ(msgs[0].attr("id"), "h2");
  EXPECT_EQ(msgs[1].attr("id"), "h3");
}

TEST_F(HistoryTest, SendsNoHistoryForMaxcharsZero) {
  // Example 39.
  EXPECT_THAT(history("<history maxchars='0'/>"), SizeIs(0));
}

TEST_F(HistoryTest, SendsOnlyWholeStanzasThatFitInMaxchars) {
  Stanzas all = history("");
  std::string last = str(all.back()), second = str(all[1]);
  // Room for the last message and part of the one before: only the last whole one.
  Stanzas msgs =
      history("<history maxchars='" + std::to_string(last.size() + second.size() - 1) + "'/>");
  ASSERT_THAT(msgs, SizeIs(1));
  EXPECT_EQ(msgs[0].attr("id"), "h3");
  EXPECT_THAT(history("<history maxchars='" + std::to_string(last.size() + second.size()) + "'/>"),
              SizeIs(2));
}

TEST_F(HistoryTest, LimitsHistoryToTheLastSeconds) {
  // Now is 60 s after the last message: 65 s back covers only it.
  Stanzas msgs = history("<history seconds='65'/>");
  ASSERT_THAT(msgs, SizeIs(1));
  EXPECT_EQ(msgs[0].attr("id"), "h3");
}

TEST_F(HistoryTest, LimitsHistoryToMessagesSince) {
  // Example 38 (since the Unix epoch: everything), and a later point.
  EXPECT_THAT(history("<history since='1970-01-01T00:00:00Z'/>"), SizeIs(3));
  Stanzas msgs = history("<history since='2002-10-13T23:58:40Z'/>");
  ASSERT_THAT(msgs, SizeIs(2));
  EXPECT_EQ(msgs[0].attr("id"), "h2");
}

TEST_F(HistoryTest, AppliesEveryLimitGiven) {
  // §7.2.14: the smallest history meeting all the criteria.
  EXPECT_THAT(history("<history since='1970-01-01T00:00:00Z' maxstanzas='1'/>"), SizeIs(1));
}

TEST(HistoryConfig, KeepsNoMoreThanMaxhistoryfetchMessages) {
  RoomHarness room;
  room.create_coven({{"muc#maxhistoryfetch", {"2"}}});
  for (int i = 0; i < 5; ++i)
    room.say(kCrone, kCoven, "line " + std::to_string(i), "l" + std::to_string(i));
  Stanzas out = sent_to(room.join(kHecate, "coven@chat.shakespeare.lit/hecate"), kHecate);
  std::vector<std::string> ids;
  for (const auto& e : out) {
    if (e.find_child("body", kNs)) ids.emplace_back(e.attr("id"));
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"l3", "l4"}));
}

TEST(HistoryConfig, RefusesAMaxhistoryfetchAboveThePolicyLimit) {
  RoomHarness room;
  room.create_coven();
  Stanzas out = room.configure(kCrone, kCoven, {{"muc#maxhistoryfetch", {"100000"}}});
  EXPECT_THAT(out.at(0), IsError("modify/not-acceptable"));
}
