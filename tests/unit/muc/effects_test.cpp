// Effects in send order: single stanzas and fan-outs interleaved by position.
#include <gtest/gtest.h>

#include "muc/effects.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"

using namespace commonroom::muc;
using commonroom::xmpp::FanoutStanza;
using commonroom::xmpp::Jid;
using commonroom::xmpp::parse_element;

TEST(Effects, WritesFanoutsBetweenTheSingleStanzasTheyFollow) {
  Effects fx;
  fx.outbound.push_back(parse_element("<presence to='a@x/1'/>"));
  fx.outbound.push_back(parse_element("<presence to='b@x/1'/>"));
  Fanout f;
  f.stanza = std::make_shared<const FanoutStanza>(
      parse_element("<message type='groupchat'><body>hi &amp; bye</body></message>"));
  f.recipients = {Jid::parse("c@x/1"), Jid::parse("d@x/'2")};
  f.position = 1;
  fx.fanouts.push_back(f);
  std::vector<std::string> written;
  write_in_order(fx, [&](std::string_view s) { written.emplace_back(s); });
  EXPECT_EQ(written,
            (std::vector<std::string>{
                "<presence to='a@x/1'/>",
                "<message to='c@x/1' type='groupchat'><body>hi &amp; bye</body></message>",
                "<message to='d@x/&apos;2' type='groupchat'><body>hi &amp; bye</body></message>",
                "<presence to='b@x/1'/>"}));
  EXPECT_EQ(fx.stanza_count(), 4u);
}

TEST(Effects, WritesSerializedRunsWhereTheyWereAddedAmongFanoutsAndSingleStanzas) {
  Effects fx;
  fx.outbound.push_back(parse_element("<presence to='a@x/1'/>"));
  fx.add_serialized(parse_element("<presence from='r@x/one' to='n@x/1'/>"), 1);
  fx.add_serialized(parse_element("<presence from='r@x/two' to='n@x/1'/>"));
  Fanout f;
  f.stanza = std::make_shared<const FanoutStanza>(parse_element("<presence from='r@x/new'/>"));
  f.recipients = {Jid::parse("c@x/1")};
  f.position = fx.outbound.size();
  fx.fanouts.push_back(f);
  fx.add_serialized(parse_element("<presence from='r@x/new' to='n@x/1'/>"));  // a new run
  fx.outbound.push_back(parse_element("<message to='n@x/1'/>"));
  ASSERT_EQ(fx.runs.size(), 2u);
  std::vector<std::string> written;
  write_in_order(fx, [&](std::string_view s) { written.emplace_back(s); });
  EXPECT_EQ(written,
            (std::vector<std::string>{
                "<presence to='a@x/1'/>", "<presence from='r@x/one' to='n@x/1'/>",
                "<presence from='r@x/two' to='n@x/1'/>", "<presence to='c@x/1' from='r@x/new'/>",
                "<presence from='r@x/new' to='n@x/1'/>", "<message to='n@x/1'/>"}));
  EXPECT_EQ(fx.stanza_count(), 6u);
}

TEST(Effects, AppendsEveryStanzaToTheCallersBufferAndLetsItTakeThem) {
  Effects fx;
  fx.add_serialized(parse_element("<presence from='r@x/one' to='n@x/1'/>"));
  fx.outbound.push_back(parse_element("<message to='n@x/1'/>"));
  std::string batch = "<?already?>";
  std::vector<std::size_t> sizes;
  append_in_order(fx, batch, [&](std::string& out) { sizes.push_back(out.size()); });
  const std::string first = "<?already?><presence from='r@x/one' to='n@x/1'/>";
  EXPECT_EQ(batch, first + "<message to='n@x/1'/>");
  EXPECT_EQ(sizes, (std::vector<std::size_t>{first.size(), batch.size()}));
}

TEST(Effects, HeldBytesGrowWithTheSerializedRosterAndTheFanoutRecipients) {
  Effects roster;
  const auto presence = parse_element("<presence from='r@x/someone' to='newcomer@x/laptop'/>");
  for (int i = 0; i < 100; ++i) roster.add_serialized(presence, 99 - i);
  EXPECT_GE(roster.held_bytes(), 100 * commonroom::xmpp::to_string(presence).size());

  Effects message;
  Fanout f;
  f.stanza =
      std::make_shared<const FanoutStanza>(parse_element("<message><body>hi</body></message>"));
  for (int i = 0; i < 100; ++i)
    f.recipients.push_back(Jid::parse("someone-" + std::to_string(i) + "@x/laptop"));
  message.fanouts.push_back(f);
  EXPECT_GE(message.held_bytes(), 100 * sizeof(Jid));
}

// The admin web runs several engine steps for one request (create, configure, leave) and
// appends their effects: a later step's room save or deletion must survive, or the room
// would be lost at the next restart.
TEST(Effects, AppendingALaterStepKeepsItsSavesDeletionsQueriesAndSendOrder) {
  Effects first;
  first.outbound.push_back(parse_element("<iq to='a@x/1' type='result' id='1'/>"));
  first.saves.emplace_back().jid = "one@rooms.x";
  Effects later;
  later.outbound.push_back(parse_element("<message to='a@x/1'/>"));
  Fanout f;
  f.stanza = std::make_shared<const FanoutStanza>(parse_element("<presence from='r@x/n'/>"));
  f.recipients = {Jid::parse("b@x/1")};
  f.position = 0;
  later.fanouts.push_back(f);
  later.saves.emplace_back().jid = "two@rooms.x";
  later.deletions.push_back("gone@rooms.x");
  later.mam_queries.emplace_back().room = "two@rooms.x";
  later.dropped.push_back("misrouted");
  later.events.emplace_back().room = "two@rooms.x";

  first.append(std::move(later));

  std::vector<std::string> written;
  write_in_order(first, [&](std::string_view s) { written.emplace_back(s); });
  EXPECT_EQ(written, (std::vector<std::string>{"<iq to='a@x/1' type='result' id='1'/>",
                                               "<presence to='b@x/1' from='r@x/n'/>",
                                               "<message to='a@x/1'/>"}));
  ASSERT_EQ(first.saves.size(), 2u);
  EXPECT_EQ(first.saves[0].jid, "one@rooms.x");
  EXPECT_EQ(first.saves[1].jid, "two@rooms.x");
  EXPECT_EQ(first.deletions, std::vector<std::string>{"gone@rooms.x"});
  ASSERT_EQ(first.mam_queries.size(), 1u);
  EXPECT_EQ(first.mam_queries[0].room, "two@rooms.x");
  EXPECT_EQ(first.dropped, std::vector<std::string>{"misrouted"});
  ASSERT_EQ(first.events.size(), 1u);
}

TEST(Effects, DetachedRecipientsAreWrittenAsTheJidsWereInTheSameOrder) {
  Effects fx;
  fx.outbound.push_back(parse_element("<presence to='a@x/1'/>"));
  Fanout f;
  f.stanza = std::make_shared<const FanoutStanza>(
      parse_element("<message type='groupchat'><body>hi</body></message>"));
  // A resource may hold '@' and '/'; a JID may have no node.
  f.recipients = {Jid::parse("c@x/1"), Jid::parse("d@x/'2"), Jid::parse("e@y/a@b/c"),
                  Jid::parse("z/only-domain")};
  f.position = 1;
  fx.fanouts.push_back(f);
  fx.outbound.push_back(parse_element("<presence to='b@x/1'/>"));
  std::vector<std::string> before;
  write_in_order(fx, [&](std::string_view s) { before.emplace_back(s); });

  fx.detach_recipients();
  ASSERT_TRUE(fx.fanouts[0].recipients.empty());  // the sessions' JIDs are let go
  EXPECT_EQ(fx.stanza_count(), 6u);
  std::vector<std::string> after;
  write_in_order(fx, [&](std::string_view s) { after.emplace_back(s); });
  EXPECT_EQ(after, before);
  EXPECT_EQ(after[3], "<message to='e@y/a@b/c' type='groupchat'><body>hi</body></message>");
  const Fanout& detached = fx.fanouts[0];
  ASSERT_EQ(detached.recipient_count(), 4u);
  EXPECT_EQ(detached.recipient(1), "d@x/'2");
  EXPECT_EQ(detached.recipient_domain(2), "y");
  EXPECT_EQ(detached.recipient_domain(3), "z");
  // Their text now counts towards what the outbox holds.
  EXPECT_GE(fx.held_bytes(), std::string("c@x/1d@x/'2e@y/a@b/cz/only-domain").size());
}

TEST(Effects, DropsEveryStanzaToOnePersonWhereverItWaitsAndKeepsTheRestInOrder) {
  // The admin web acting in a room has no session to receive its join sequence: the
  // roster, self-presence, history and subject it would get are taken out, and nothing else.
  Effects fx;
  fx.add_serialized(parse_element("<presence from='r@x/one' to='actor@admin/web'/>"), 1);
  fx.add_serialized(parse_element("<presence from='r@x/two' to='n@x/1'/>"));
  fx.outbound.push_back(parse_element("<iq type='result' to='actor@admin/web'/>"));
  Fanout announce;
  announce.stanza = std::make_shared<const FanoutStanza>(parse_element("<presence from='r@x/a'/>"));
  announce.recipients = {Jid::parse("actor@admin/web"), Jid::parse("c@x/1")};
  announce.position = fx.outbound.size();
  fx.fanouts.push_back(announce);
  Fanout detached = announce;
  detached.position = fx.outbound.size();
  fx.fanouts.push_back(detached);
  fx.detach_recipients();
  fx.add_serialized(parse_element("<presence from='r@x/a' to='actor@admin/other'/>"), 1);
  fx.add_serialized(parse_element("<message from='r@x' to='actor@admin/web'><subject/></message>"));
  fx.outbound.push_back(parse_element("<message to='n@x/1'/>"));

  fx.drop_to(Jid::parse("actor@admin"));

  std::vector<std::string> written;
  write_in_order(fx, [&](std::string_view s) { written.emplace_back(s); });
  EXPECT_EQ(written,
            (std::vector<std::string>{
                "<presence from='r@x/two' to='n@x/1'/>", "<presence to='c@x/1' from='r@x/a'/>",
                "<presence to='c@x/1' from='r@x/a'/>", "<message to='n@x/1'/>"}));
  EXPECT_EQ(fx.stanza_count(), 4u);
  EXPECT_EQ(fx.runs.size(), 1u);  // the run that held only the actor's stanzas is gone
}
