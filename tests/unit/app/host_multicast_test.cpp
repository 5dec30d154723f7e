// The host's multicast service (XEP-0033) as the rooms use it: found by disco#info at each
// connection, its advertised limits respected, fan-outs written as bcc lists for the host's
// own users, and given up when the service refuses a request.
#include "app/host_multicast.hpp"

#include <gtest/gtest.h>

#include "app/host_fanout.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"

using commonroom::app::HostFanout;
using commonroom::app::HostMulticast;
using commonroom::muc::Fanout;
using commonroom::xmpp::Element;
using commonroom::xmpp::FanoutStanza;
using commonroom::xmpp::Jid;
using commonroom::xmpp::parse_element;

namespace {

// The iq stanzas of a batch of questions, in order.
std::vector<Element> split(const std::string& questions) {
  std::vector<Element> out;
  std::size_t start = 0;
  while (start < questions.size()) {
    const auto end = questions.find("</iq>", start) + 5;
    out.push_back(parse_element(questions.substr(start, end - start)));
    start = end;
  }
  return out;
}

std::string info(const Element& question, bool address, const std::string& limits = "") {
  std::string form;
  if (!limits.empty())
    form =
        "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'>"
        "<value>http://jabber.org/protocol/address</value></field>" +
        limits + "</x>";
  return "<iq type='result' id='" + std::string(question.attr("id")) + "' from='" +
         std::string(question.attr("to")) + "' to='conference.x.org'>" +
         "<query xmlns='http://jabber.org/protocol/disco#info'>"
         "<feature var='http://jabber.org/protocol/disco#info'/>" +
         (address ? "<feature var='http://jabber.org/protocol/address'/>" : "") + form +
         "</query></iq>";
}

std::string field(const std::string& var, const std::string& value) {
  return "<field var='" + var + "'><value>" + value + "</value></field>";
}

Fanout message_to(const std::vector<std::string>& recipients) {
  Fanout f;
  f.stanza = std::make_shared<const FanoutStanza>(parse_element(
      "<message from='r@conference.x.org/bob' type='groupchat' id='m1'><body>a &amp; b</body>"
      "</message>"));
  for (const auto& r : recipients) f.recipients.push_back(Jid::parse(r));
  return f;
}

template <typename Host>
std::vector<std::string> write_all(const Host& host, const Fanout& f) {
  std::vector<std::string> out;
  std::string buf;
  host.write(f, buf, [&](std::string& b) {
    out.push_back(b);
    b.clear();
  });
  return out;
}

std::vector<std::string> bcc_of(const std::string& request) {
  std::vector<std::string> out;
  const auto e = parse_element(request);
  const auto* list = e.find_child("addresses", "http://jabber.org/protocol/address");
  if (!list) return out;
  for (const auto* a : list->children("address", "http://jabber.org/protocol/address")) {
    EXPECT_EQ(a->attr("type"), "bcc");
    out.emplace_back(a->attr("jid"));
  }
  return out;
}

}  // namespace

TEST(HostMulticast, AsksTheHostsDomainAndItsConventionalMulticastAddress) {
  HostMulticast host("conference.x.org");
  const auto questions = split(host.on_connected());
  ASSERT_EQ(questions.size(), 2u);
  EXPECT_EQ(questions[0].attr("to"), "x.org");
  EXPECT_EQ(questions[1].attr("to"), "multicast.x.org");
  for (const auto& q : questions) {
    EXPECT_EQ(q.attr("from"), "conference.x.org");
    EXPECT_EQ(q.attr("type"), "get");
    EXPECT_NE(q.find_child("query", "http://jabber.org/protocol/disco#info"), nullptr);
  }
  EXPECT_FALSE(host.available());
  // A domain without a parent has no host domain to ask.
  EXPECT_EQ(HostMulticast("localhost").on_connected(), "");
}

TEST(HostMulticast, OnlyAnAnswerWithTheAddressFeatureTurnsItOn) {
  HostMulticast host("conference.x.org");
  const auto questions = split(host.on_connected());
  // The server itself (ejabberd does not list XEP-0033 there) says no.
  EXPECT_TRUE(host.take_answer(parse_element(info(questions[0], false))));
  EXPECT_FALSE(host.available());
  // Someone else's answer, or an answer to a question already answered, is not ours.
  EXPECT_FALSE(host.take_answer(parse_element(info(questions[0], true))));
  EXPECT_TRUE(host.take_answer(parse_element(info(questions[1], true))));
  EXPECT_TRUE(host.available());
  EXPECT_EQ(host.service(), "multicast.x.org");

  // A reconnection forgets it until the new host answers; an error answer leaves it off.
  const auto again = split(host.on_connected());
  EXPECT_FALSE(host.available());
  EXPECT_TRUE(host.take_answer(
      parse_element("<iq type='error' id='" + std::string(again[1].attr("id")) +
                    "' from='multicast.x.org'><error type='cancel'><item-not-found "
                    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")));
  EXPECT_FALSE(host.available());
}

TEST(HostMulticast, ListsTheHostsUsersAsBccWithinTheAdvertisedLimit) {
  HostMulticast host("conference.x.org");
  const auto questions = split(host.on_connected());
  ASSERT_TRUE(host.take_answer(
      parse_element(info(questions[1], true, field("message", "2") + field("presence", "5")))));
  const auto written = write_all(host, message_to({"a@x.org/1", "b@elsewhere.net/1",
                                                   "c@x.org/phone & <tablet>", "d@x.org/1"}));
  ASSERT_EQ(written.size(), 3u);
  // Someone on another server gets a copy of their own, as without the service.
  EXPECT_EQ(written[0],
            "<message to='b@elsewhere.net/1' from='r@conference.x.org/bob' type='groupchat' "
            "id='m1'><body>a &amp; b</body></message>");
  EXPECT_EQ(written[1],
            "<message to='multicast.x.org' from='r@conference.x.org/bob' type='groupchat' "
            "id='m1'><body>a &amp; b</body><addresses "
            "xmlns='http://jabber.org/protocol/address'><address type='bcc' jid='a@x.org/1'/>"
            "<address type='bcc' jid='c@x.org/phone &amp; &lt;tablet&gt;'/></addresses>"
            "</message>");
  EXPECT_EQ(bcc_of(written[2]), std::vector<std::string>{"d@x.org/1"});
}

TEST(HostMulticast, WithoutAdvertisedLimitsSendsAtMostTwentyPerRequest) {
  HostMulticast host("conference.x.org");
  ASSERT_TRUE(host.take_answer(parse_element(info(split(host.on_connected())[1], true))));
  std::vector<std::string> recipients;
  for (int i = 0; i < 45; ++i) recipients.push_back("u" + std::to_string(i) + "@x.org/r");
  const auto written = write_all(host, message_to(recipients));
  ASSERT_EQ(written.size(), 3u);
  std::vector<std::string> all;
  for (const auto& w : written) {
    const auto bcc = bcc_of(w);
    EXPECT_LE(bcc.size(), HostMulticast::kDefaultLimit);
    all.insert(all.end(), bcc.begin(), bcc.end());
  }
  EXPECT_EQ(all, recipients);
}

TEST(HostMulticast, ARefusalFromTheServiceStopsItsUseUntilTheNextConnection) {
  HostMulticast host("conference.x.org");
  ASSERT_TRUE(host.take_answer(
      parse_element(info(split(host.on_connected())[1], true, field("message", "infinite")))));
  const std::string refusal =
      "<message type='error' from='multicast.x.org' to='r@conference.x.org/bob'><body>hi</body>"
      "<addresses xmlns='http://jabber.org/protocol/address'><address type='bcc' "
      "jid='a@x.org/1'/></addresses><error type='auth'><forbidden "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>";
  // The same from anyone else is the engine's to handle.
  std::string forged = refusal;
  forged.replace(forged.find("multicast.x.org"), 15, "mallory.x.org.x");
  EXPECT_FALSE(host.take_bounce(parse_element(forged)));
  EXPECT_TRUE(host.available());
  EXPECT_TRUE(host.take_bounce(parse_element(refusal)));
  EXPECT_FALSE(host.available());
  EXPECT_EQ(write_all(host, message_to({"a@x.org/1"})),
            std::vector<std::string>{
                "<message to='a@x.org/1' from='r@conference.x.org/bob' type='groupchat' "
                "id='m1'><body>a &amp; b</body></message>"});
}

TEST(HostMulticast, TheFanoutModuleWinsOverTheServiceWhenTheHostHasBoth) {
  HostFanout host("conference.x.org");
  const auto questions = split(host.on_connected());
  ASSERT_EQ(questions.size(), 3u);  // the module's, then the service's two
  ASSERT_TRUE(host.take_answer(parse_element(info(questions[2], true))));
  ASSERT_TRUE(host.available());
  EXPECT_EQ(bcc_of(write_all(host, message_to({"a@x.org/1"}))[0]),
            std::vector<std::string>{"a@x.org/1"});
  ASSERT_TRUE(host.take_answer(parse_element(
      "<iq type='result' id='" + std::string(questions[0].attr("id")) +
      "' from='conference.x.org'><query xmlns='http://jabber.org/protocol/disco#info'>"
      "<feature var='urn:commonroom:fanout:0'/></query></iq>")));
  const auto written = write_all(host, message_to({"a@x.org/1"}));
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(parse_element(written[0]).attr("to"), "conference.x.org");
  EXPECT_NE(written[0].find("urn:commonroom:fanout:0"), std::string::npos);
}

TEST(HostMulticast, AFanoutWaitingForTheAbuseLogIsWrittenAsBefore) {
  HostMulticast host("conference.x.org");
  const auto questions = split(host.on_connected());
  ASSERT_TRUE(host.take_answer(parse_element(info(questions[1], true, field("message", "3")))));
  // Its recipients as text (commonroom::xmpp::Outbox::detach_recipients): the host's users
  // are still told apart by domain, a resource with '@' and '/' in it included.
  commonroom::xmpp::Outbox waiting;
  waiting.fanouts.push_back(message_to({"a@x.org/1", "b@elsewhere.net/x.org", "x.org/c@x.org",
                                        "d@elsewhere.net/a@x.org/b", "e@x.org/phone & <tablet>"}));
  const auto before = write_all(host, waiting.fanouts[0]);
  waiting.detach_recipients();
  ASSERT_TRUE(waiting.fanouts[0].recipients.empty());
  EXPECT_EQ(write_all(host, waiting.fanouts[0]), before);
  ASSERT_EQ(before.size(), 3u);  // two copies for elsewhere.net, one request for x.org
  EXPECT_EQ(bcc_of(before[2]),
            (std::vector<std::string>{"a@x.org/1", "x.org/c@x.org", "e@x.org/phone & <tablet>"}));
}
