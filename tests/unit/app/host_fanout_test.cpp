// The host's fan-out module as commonroom uses it: the question at each connection, the
// answer turning it on or off, and fan-outs written as one request per chunk of recipients.
#include "app/host_fanout.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

#include "xmpp/outbox.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"

using commonroom::app::HostFanout;
using commonroom::muc::Effects;
using commonroom::muc::Fanout;
using commonroom::xmpp::FanoutStanza;
using commonroom::xmpp::Jid;
using commonroom::xmpp::parse_element;

namespace {

// The module's question: the first of those asked at a connection (the multicast
// service's follow, tests/unit/app/host_multicast_test.cpp).
std::string first(const std::string& questions) {
  return questions.substr(0, questions.find("</iq>") + 5);
}

std::string probe_id(const std::string& probe) {
  return std::string(parse_element(first(probe)).attr("id"));
}

std::string answer(const std::string& id, bool with_feature) {
  return "<iq type='result' id='" + id +
         "' from='conference.x' to='conference.x'>"
         "<query xmlns='http://jabber.org/protocol/disco#info'>"
         "<feature var='http://jabber.org/protocol/muc'/>" +
         (with_feature ? "<feature var='urn:commonroom:fanout:0'/>" : "") + "</query></iq>";
}

// The module's answer from `domain`: the fan-out feature and, after it, `more` (e.g.
// "<feature var='urn:commonroom:fanout:0#carry'/>").
std::string module_answer(const std::string& id, const std::string& domain,
                          const std::string& more) {
  return "<iq type='result' id='" + id + "' from='" + domain + "' to='" + domain +
         "'><query xmlns='http://jabber.org/protocol/disco#info'>"
         "<feature var='urn:commonroom:fanout:0'/>" +
         more + "</query></iq>";
}

std::string answer_with_carry(const std::string& id) {
  return module_answer(id, "directory.x", "<feature var='urn:commonroom:fanout:0#carry'/>");
}

std::string answer_with_batch(const std::string& id) {
  return module_answer(id, "conference.x",
                       "<feature var='urn:commonroom:fanout:0#carry'/>"
                       "<feature var='urn:commonroom:fanout:0#batch'/>");
}

// A newcomer's roster as the rooms engine serializes it: one presence per occupant.
commonroom::xmpp::SerializedRun roster_of(int occupants) {
  commonroom::xmpp::Outbox out;
  for (int i = 0; i < occupants; ++i) {
    out.add_serialized(
        parse_element("<presence from='room@conference.x/nick " + std::to_string(i) +
                      " &amp; co' to='new@x/phone'><x xmlns='http://jabber.org/protocol/muc#user'>"
                      "<item affiliation='none' role='participant'/></x></presence>"));
  }
  return out.runs.front();
}

// A directory answer of about `people` rows, as the search service builds one.
commonroom::xmpp::Element page_of(int people) {
  std::string xml =
      "<iq type='result' id='s1' from='directory.x' to='alice@x/phone &amp; tablet'>"
      "<query xmlns='jabber:iq:search'><x xmlns='jabber:x:data' type='result'>"
      "<title>Smith &amp; co</title>";
  for (int i = 0; i < people; ++i)
    xml += "<item><field var='jid'><value>sm" + std::to_string(i) +
           "@x</value></field><field var='name'><value>Sam Smith</value></field></item>";
  return parse_element(xml + "</x></query></iq>");
}

std::vector<std::string> write_all(const HostFanout& host, const Fanout& f) {
  std::vector<std::string> out;
  std::string buf;
  host.write(f, buf, [&](std::string& b) {
    out.push_back(b);
    b.clear();
  });
  return out;
}

}  // namespace

TEST(HostFanout, AsksOurOwnDomainAndTurnsOnOnlyWhenTheModuleAnswers) {
  HostFanout host("conference.x");
  EXPECT_FALSE(host.available());
  auto probe = parse_element(first(host.on_connected()));
  EXPECT_EQ(probe.attr("from"), "conference.x");
  EXPECT_EQ(probe.attr("to"), "conference.x");
  EXPECT_EQ(probe.attr("type"), "get");
  ASSERT_NE(probe.find_child("query", "http://jabber.org/protocol/disco#info"), nullptr);

  // Someone else's iq with another id is the engine's, not ours.
  EXPECT_FALSE(host.take_answer(parse_element(answer("other", true))));
  EXPECT_FALSE(host.available());
  EXPECT_TRUE(host.take_answer(parse_element(answer(std::string(probe.attr("id")), true))));
  EXPECT_TRUE(host.available());
  // Answered once: a repeat is not ours.
  EXPECT_FALSE(host.take_answer(parse_element(answer(std::string(probe.attr("id")), true))));
}

TEST(HostFanout, StaysPerRecipientWhenOurQuestionComesBackOrTheHostRefuses) {
  HostFanout host("conference.x");
  // Prosody without the module passes the question back to us unanswered.
  const auto question = host.on_connected();
  EXPECT_TRUE(host.take_answer(parse_element(first(question))));
  EXPECT_FALSE(host.available());
  // An answer from our own service (a host that routed it there some other way) has no
  // fan-out feature either.
  EXPECT_TRUE(host.take_answer(parse_element(answer(probe_id(host.on_connected()), false))));
  EXPECT_FALSE(host.available());
  const auto id = probe_id(host.on_connected());
  EXPECT_TRUE(host.take_answer(
      parse_element("<iq type='error' id='" + id +
                    "'><error type='cancel'><service-unavailable "
                    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")));
  EXPECT_FALSE(host.available());
}

TEST(HostFanout, AReconnectionForgetsTheModuleUntilTheNewHostAnswers) {
  HostFanout host("conference.x");
  EXPECT_TRUE(host.take_answer(parse_element(answer(probe_id(host.on_connected()), true))));
  ASSERT_TRUE(host.available());
  const auto old_id = probe_id(host.on_connected());
  EXPECT_FALSE(host.available());
  const auto new_id = probe_id(host.on_connected());
  EXPECT_NE(old_id, new_id);
  EXPECT_FALSE(host.take_answer(parse_element(answer(old_id, true))));
  EXPECT_FALSE(host.available());
}

TEST(HostFanout, WritesOneRequestToOurDomainWithTheRecipientsEscapedInALastChild) {
  HostFanout host("conference.x");
  Fanout f;
  f.stanza = std::make_shared<const FanoutStanza>(parse_element(
      "<message from='r@conference.x/bob' type='groupchat' id='m1'><body>a &amp; b</body>"
      "<stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='r@conference.x'/></message>"));
  f.recipients = {Jid::parse("a@x/1"), Jid::parse("b@x/phone & <tablet>")};
  EXPECT_EQ(write_all(host, f),
            (std::vector<std::string>{
                "<message to='conference.x' from='r@conference.x/bob' type='groupchat' id='m1'>"
                "<body>a &amp; b</body>"
                "<stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='r@conference.x'/>"
                "<fanout xmlns='urn:commonroom:fanout:0'>a@x/1\tb@x/phone &amp; &lt;tablet&gt;"
                "</fanout></message>"}));
}

TEST(HostFanout, OpensAnEmptyStanzaToCarryTheList) {
  HostFanout host("conference.x");
  Fanout f;
  f.stanza = std::make_shared<const FanoutStanza>(
      parse_element("<presence from='r@conference.x/bob' type='unavailable'/>"));
  f.recipients = {Jid::parse("a@x/1")};
  EXPECT_EQ(write_all(host, f),
            (std::vector<std::string>{
                "<presence to='conference.x' from='r@conference.x/bob' type='unavailable'>"
                "<fanout xmlns='urn:commonroom:fanout:0'>a@x/1</fanout></presence>"}));
}

TEST(HostFanout, SplitsALongListSoNoRequestOutgrowsTheHostsStanzaLimit) {
  HostFanout host("conference.x");
  Fanout f;
  f.stanza = std::make_shared<const FanoutStanza>(
      parse_element("<message from='r@conference.x/bob'><body>hi</body></message>"));
  for (int i = 0; i < 5000; ++i)
    f.recipients.push_back(Jid::parse("user" + std::to_string(i) + "@x/resource"));
  auto written = write_all(host, f);
  ASSERT_GT(written.size(), 1u);
  std::string all;
  for (const auto& w : written) {
    EXPECT_LT(w.size(), HostFanout::kListBytes + 1024);
    auto e = parse_element(w);
    EXPECT_EQ(e.attr("to"), "conference.x");
    EXPECT_NE(w.find("<body>hi</body>"), std::string::npos);
    if (!all.empty()) all += '\t';
    all += e.find_child("fanout", "urn:commonroom:fanout:0")->text();
  }
  std::string expected;
  for (int i = 0; i < 5000; ++i)
    expected += (i ? "\t" : "") + std::string("user") + std::to_string(i) + "@x/resource";
  EXPECT_EQ(all, expected);
}

TEST(HostFanout, AFanoutWaitingForTheAbuseLogIsWrittenAsBefore) {
  HostFanout host("conference.x");
  commonroom::xmpp::Outbox waiting;
  Fanout& f = waiting.fanouts.emplace_back();
  f.stanza = std::make_shared<const FanoutStanza>(
      parse_element("<message from='r@conference.x/bob'><body>hi</body></message>"));
  for (int i = 0; i < 3000; ++i)
    f.recipients.push_back(Jid::parse("user" + std::to_string(i) + "@x/resource"));
  const auto before = write_all(host, f);
  ASSERT_GT(before.size(), 1u);
  waiting.detach_recipients();  // its recipients as text
  ASSERT_TRUE(waiting.fanouts[0].recipients.empty());
  EXPECT_EQ(write_all(host, waiting.fanouts[0]), before);
}

TEST(HostFanout, KeepsTheSendOrderAmongTheOtherStanzas) {
  HostFanout host("conference.x");
  Effects fx;
  fx.outbound.push_back(parse_element("<presence to='a@x/1'/>"));
  fx.outbound.push_back(parse_element("<presence to='b@x/1'/>"));
  Fanout f;
  f.stanza =
      std::make_shared<const FanoutStanza>(parse_element("<message><body>m</body></message>"));
  f.recipients = {Jid::parse("c@x/1"), Jid::parse("d@x/1")};
  f.position = 1;
  fx.fanouts.push_back(f);
  std::vector<std::string> written;
  std::string buf;
  commonroom::muc::append_in_order(
      fx, buf,
      [&](std::string& b) {
        written.push_back(b);
        b.clear();
      },
      [&](const Fanout& fanout, std::string& out, const std::function<void(std::string&)>& each) {
        host.write(fanout, out, each);
      });
  EXPECT_EQ(written, (std::vector<std::string>{
                         "<presence to='a@x/1'/>",
                         "<message to='conference.x'><body>m</body><fanout "
                         "xmlns='urn:commonroom:fanout:0'>c@x/1\td@x/1</fanout></message>",
                         "<presence to='b@x/1'/>"}));
}

TEST(HostFanout, ARequestPassedBackIsDeliveredPerRecipientAndTheHostAskedAgain) {
  HostFanout host("conference.x");
  ASSERT_TRUE(host.take_answer(parse_element(answer(probe_id(host.on_connected()), true))));
  auto returned = parse_element(
      "<message to='conference.x' from='r@conference.x/bob' type='groupchat'><body>hi</body>"
      "<fanout xmlns='urn:commonroom:fanout:0'>a@x/1\tb@x/2 &amp; 3</fanout></message>");
  std::string question, copies;
  ASSERT_TRUE(host.take_returned(returned, question, copies));
  EXPECT_FALSE(host.available());
  EXPECT_EQ(parse_element(first(question)).attr("to"), "conference.x");
  EXPECT_EQ(copies,
            "<message to='a@x/1' from='r@conference.x/bob' type='groupchat'><body>hi</body>"
            "</message>"
            "<message to='b@x/2 &amp; 3' from='r@conference.x/bob' type='groupchat'><body>hi"
            "</body></message>");

  // A client's message carrying such a list is not ours to act on: the engine answers it.
  auto spoofed = parse_element(
      "<message to='conference.x' from='mallory@x/1'><body>hi</body>"
      "<fanout xmlns='urn:commonroom:fanout:0'>a@x/1</fanout></message>");
  EXPECT_FALSE(host.take_returned(spoofed, question, copies));
}

TEST(HostFanout, CarriesOnlyWhenTheModuleOffersIt) {
  HostFanout host("directory.x");
  std::string out;
  EXPECT_FALSE(host.write_carried(page_of(20), out));  // nobody asked yet
  // A module without the feature (an older one) fans out but does not carry.
  ASSERT_TRUE(host.take_answer(parse_element(answer(probe_id(host.on_connected()), true))));
  EXPECT_TRUE(host.module());
  EXPECT_FALSE(host.carry());
  EXPECT_FALSE(host.write_carried(page_of(20), out));
  ASSERT_TRUE(host.take_answer(parse_element(answer_with_carry(probe_id(host.on_connected())))));
  EXPECT_TRUE(host.carry());
  EXPECT_TRUE(host.write_carried(page_of(20), out));
  // A reconnection forgets it until the new host answers.
  host.on_connected();
  EXPECT_FALSE(host.carry());
  EXPECT_TRUE(out.size() > 0);
}

TEST(HostFanout, CarriesALargeAnswerAsOneTextAddressedToOurDomain) {
  HostFanout host("directory.x");
  ASSERT_TRUE(host.take_answer(parse_element(answer_with_carry(probe_id(host.on_connected())))));
  const auto page = page_of(20);
  std::string out;
  ASSERT_TRUE(host.write_carried(page, out));
  const auto carried = parse_element(out);
  EXPECT_EQ(carried.name(), "iq");
  EXPECT_EQ(carried.attr("to"), "directory.x");
  EXPECT_EQ(carried.attr("from"), "directory.x");
  EXPECT_EQ(carried.attr("id"), "s1");
  EXPECT_EQ(carried.attr("type"), "result");
  ASSERT_EQ(carried.nodes().size(), 1u);
  const auto& carry = carried.nodes().front();
  ASSERT_TRUE(carry.is("carry", "urn:commonroom:fanout:0"));
  EXPECT_EQ(carry.attr("to"), "alice@x/phone & tablet");
  // The text is the answer's content exactly as it would have been serialized, in one CDATA
  // section.
  std::string content;
  for (const auto& child : page.nodes()) commonroom::xmpp::serialize(child, content);
  EXPECT_EQ(carry.text(), content);
  EXPECT_NE(out.find("<![CDATA[" + content + "]]>"), std::string::npos);
  EXPECT_NE(content.find("<query xmlns='jabber:iq:search'>"), std::string::npos);
}

TEST(HostFanout, SmallAnswersAndOtherStanzasGoAsTheyAre) {
  HostFanout host("directory.x");
  ASSERT_TRUE(host.take_answer(parse_element(answer_with_carry(probe_id(host.on_connected())))));
  std::string out;
  EXPECT_FALSE(host.write_carried(page_of(0), out));  // a few elements: nothing to save
  EXPECT_FALSE(host.write_carried(parse_element("<message from='directory.x' to='a@x/1'><body>" +
                                                std::string(2000, 'x') + "</body></message>"),
                                  out));
  EXPECT_FALSE(host.write_carried(
      parse_element("<iq type='result' id='1' from='directory.x' to='a@x/1'/>"), out));
  // Content that would end a CDATA section early (our serializer never writes one; a raw
  // fragment might) goes as XML.
  auto odd = page_of(20);
  odd.nodes().front().add_child(commonroom::xmpp::Element::fragment(
      "<note>]]></note>", std::string(odd.nodes().front().xmlns())));
  EXPECT_FALSE(host.write_carried(odd, out));
  EXPECT_TRUE(out.empty());
}

TEST(HostFanout, ACarriedAnswerPassedBackIsSentAsXmlAndTheHostAskedAgain) {
  HostFanout host("directory.x");
  ASSERT_TRUE(host.take_answer(parse_element(answer_with_carry(probe_id(host.on_connected())))));
  const auto page = page_of(20);
  std::string out;
  ASSERT_TRUE(host.write_carried(page, out));
  auto returned = parse_element(out);
  std::string question, plain;
  ASSERT_TRUE(host.take_returned(returned, question, plain));
  EXPECT_FALSE(host.carry());
  EXPECT_EQ(parse_element(first(question)).attr("to"), "directory.x");
  const auto sent = parse_element(plain);
  EXPECT_EQ(sent.attr("to"), "alice@x/phone & tablet");
  EXPECT_EQ(commonroom::xmpp::to_string(sent), commonroom::xmpp::to_string(page));

  // The same from a client is not ours: the engine answers it.
  auto spoofed = parse_element(
      "<iq type='result' id='s1' from='mallory@x/1' to='directory.x'>"
      "<carry xmlns='urn:commonroom:fanout:0' to='a@x/1'>&lt;a/&gt;</carry></iq>");
  EXPECT_FALSE(host.take_returned(spoofed, question, plain));
}

TEST(HostFanout, BatchesARosterOnlyWhenTheModuleOffersIt) {
  HostFanout host("conference.x");
  const auto roster = roster_of(3);
  std::string out;
  EXPECT_FALSE(host.write_batch(roster, out));  // nobody asked yet
  // A module that carries answers but not batches (an older one).
  ASSERT_TRUE(host.take_answer(parse_element(answer_with_carry(probe_id(host.on_connected())))));
  EXPECT_FALSE(host.batch());
  EXPECT_FALSE(host.write_batch(roster, out));
  ASSERT_TRUE(host.take_answer(parse_element(answer_with_batch(probe_id(host.on_connected())))));
  EXPECT_TRUE(host.batch());
  // One presence is sent as it is: nothing to save.
  EXPECT_FALSE(host.write_batch(roster_of(1), out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(host.write_batch(roster, out));
  host.on_connected();  // a reconnection forgets it until the new host answers
  EXPECT_FALSE(host.batch());
}

TEST(HostFanout, WritesARosterAsOneTextWithWhereEachPresenceEnds) {
  HostFanout host("conference.x");
  ASSERT_TRUE(host.take_answer(parse_element(answer_with_batch(probe_id(host.on_connected())))));
  const auto roster = roster_of(3);
  std::string out;
  ASSERT_TRUE(host.write_batch(roster, out));
  const auto sent = parse_element(out);
  EXPECT_EQ(sent.name(), "message");
  EXPECT_EQ(sent.attr("to"), "conference.x");
  EXPECT_EQ(sent.attr("from"), "conference.x");
  ASSERT_EQ(sent.nodes().size(), 1u);
  const auto& batch = sent.nodes().front();
  ASSERT_TRUE(batch.is("batch", "urn:commonroom:fanout:0"));
  EXPECT_EQ(batch.text(), roster.bytes);
  EXPECT_EQ(batch.attr("ends"), std::to_string(roster.ends[0]) + " " +
                                    std::to_string(roster.ends[1]) + " " +
                                    std::to_string(roster.ends[2]));
  // Each piece is one whole presence.
  std::uint32_t start = 0;
  for (auto end : roster.ends) {
    const auto one = parse_element(roster.bytes.substr(start, end - start));
    EXPECT_EQ(one.name(), "presence");
    EXPECT_EQ(one.attr("to"), "new@x/phone");
    start = end;
  }
}

TEST(HostFanout, ABatchPassedBackIsSentAsItsStanzasAndTheHostAskedAgain) {
  HostFanout host("conference.x");
  ASSERT_TRUE(host.take_answer(parse_element(answer_with_batch(probe_id(host.on_connected())))));
  const auto roster = roster_of(4);
  std::string out;
  ASSERT_TRUE(host.write_batch(roster, out));
  auto returned = parse_element(out);
  std::string question, copies;
  ASSERT_TRUE(host.take_returned(returned, question, copies));
  EXPECT_FALSE(host.batch());
  EXPECT_EQ(parse_element(first(question)).attr("to"), "conference.x");
  EXPECT_EQ(copies, roster.bytes);

  // The same from a client is not ours: the engine answers it.
  auto spoofed = parse_element(
      "<message from='mallory@x/1' to='conference.x'>"
      "<batch xmlns='urn:commonroom:fanout:0' ends='3'>&lt;a/&gt;</batch></message>");
  EXPECT_FALSE(host.take_returned(spoofed, question, copies));
}

TEST(HostFanout, RunsGoInTheirPlaceAmongTheOtherStanzasWhenBatched) {
  HostFanout host("conference.x");
  ASSERT_TRUE(host.take_answer(parse_element(answer_with_batch(probe_id(host.on_connected())))));
  commonroom::xmpp::Outbox outbox;
  outbox.outbound.push_back(parse_element("<message from='conference.x' to='a@x/1' id='before'/>"));
  outbox.add_serialized(parse_element("<presence from='r@conference.x/a' to='new@x/1'/>"));
  outbox.add_serialized(parse_element("<presence from='r@conference.x/b' to='new@x/1'/>"));
  outbox.outbound.push_back(parse_element("<presence from='r@conference.x/me' to='new@x/1'/>"));
  std::vector<std::string> stanzas;
  std::string buf;
  commonroom::xmpp::append_in_order(
      outbox, buf,
      [&](std::string& b) {
        stanzas.push_back(b);
        b.clear();
      },
      {}, {},
      [&](const commonroom::xmpp::SerializedRun& run, std::string& out) {
        return host.write_batch(run, out);
      });
  ASSERT_EQ(stanzas.size(), 3u);  // the message, one batch of two, the self-presence
  EXPECT_EQ(parse_element(stanzas[0]).attr("id"), "before");
  EXPECT_NE(parse_element(stanzas[1]).find_child("batch", "urn:commonroom:fanout:0"), nullptr);
  EXPECT_EQ(parse_element(stanzas[2]).attr("from"), "r@conference.x/me");
}
