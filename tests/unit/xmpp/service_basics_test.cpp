#include <gtest/gtest.h>

#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/service_basics.hpp"

using namespace commonroom::xmpp;

namespace {

ServiceDescription rooms() {
  ServiceDescription d;
  d.domain = "conference.cam.example";
  d.identity = {"conference", "text", "University rooms", ""};
  d.features = {"http://jabber.org/protocol/muc"};
  d.software_version = "1.2.3";
  return d;
}

// Routes and answers one stanza; the serialized reply, "" for none, "dropped: ..." when
// the addressing check refused it.
std::string send(const ServiceBasics& basics, const std::string& xml) {
  Element stanza = parse_element(xml);
  Routing routing = basics.route(stanza);
  if (const auto* d = std::get_if<Dropped>(&routing)) return "dropped: " + d->reason;
  auto reply = basics.answer(stanza, std::get<Routed>(routing));
  return reply ? to_string(*reply) : std::string();
}

std::string iq(const std::string& type, const std::string& payload,
               const std::string& to = "conference.cam.example") {
  return "<iq type='" + type + "' from='hag66@cam.example/pda' to='" + to + "' id='q1'>" + payload +
         "</iq>";
}

std::string error_reply(const std::string& error) {
  return "<iq to='hag66@cam.example/pda' from='conference.cam.example' id='q1' type='error'>" +
         error + "</iq>";
}

}  // namespace

TEST(ServiceBasics, AnswersDiscoInfoWithIdentityAndFeatures) {
  ServiceBasics basics(rooms());
  EXPECT_EQ(send(basics, iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>")),
            "<iq to='hag66@cam.example/pda' from='conference.cam.example' id='q1' type='result'>"
            "<query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference'"
            " type='text' name='University rooms'/>"
            "<feature var='http://jabber.org/protocol/disco#info'/>"
            "<feature var='http://jabber.org/protocol/disco#items'/>"
            "<feature var='http://jabber.org/protocol/muc'/>"
            "<feature var='urn:xmpp:ping'/><feature var='jabber:iq:version'/></query></iq>");
}

TEST(ServiceBasics, AdvertisesEachFeatureOnceAndIncludesExtensions) {
  ServiceDescription d = rooms();
  d.features.push_back("urn:xmpp:ping");
  DataForm info;
  info.type = FormType::result;
  info.set_form_type("http://jabber.org/network/serverinfo");
  info.fields.push_back(FormField::text_single("abuse-addresses", "mailto:abuse@cam.example"));
  d.extensions.push_back(info);
  ServiceBasics basics(d);
  EXPECT_EQ(basics.disco_info().features.size(), 5u);
  ASSERT_NE(basics.disco_info().extension("http://jabber.org/network/serverinfo"), nullptr);
  std::string reply =
      send(basics, iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>"));
  EXPECT_NE(reply.find("<value>mailto:abuse@cam.example</value>"), std::string::npos) << reply;
}

TEST(ServiceBasics, AnswersDiscoInfoOnANodeWithItemNotFound) {
  ServiceBasics basics(rooms());
  EXPECT_EQ(send(basics, iq("get",
                            "<query xmlns='http://jabber.org/protocol/disco#info' "
                            "node='http://jabber.org/protocol/commands'/>")),
            error_reply("<error type='cancel'><item-not-found "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no such node</text></error>"));
}

TEST(ServiceBasics, AnswersDiscoItemsEmptyByDefault) {
  ServiceBasics basics(rooms());
  EXPECT_EQ(send(basics, iq("get", "<query xmlns='http://jabber.org/protocol/disco#items'/>")),
            "<iq to='hag66@cam.example/pda' from='conference.cam.example' id='q1' type='result'>"
            "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
  std::string node = send(basics, iq("get",
                                     "<query xmlns='http://jabber.org/protocol/disco#items'"
                                     " node='rooms'/>"));
  EXPECT_NE(node.find("<item-not-found"), std::string::npos) << node;
}

TEST(ServiceBasics, AsksTheServiceForDiscoItemsAndMirrorsTheNode) {
  ServiceDescription d = rooms();
  Jid seen_from;
  std::optional<RsmSet> seen_rsm;
  d.items = [&](const Jid& from, const DiscoItems& request) -> DiscoItemsAnswer {
    seen_from = from;
    seen_rsm = request.rsm;
    if (request.node == "secret") return StanzaError::forbidden();
    DiscoItems out;
    out.items.push_back({Jid::parse("kitchen@conference.cam.example"), "", "Kitchen"});
    return out;
  };
  ServiceBasics basics(d);
  EXPECT_EQ(send(basics, iq("get",
                            "<query xmlns='http://jabber.org/protocol/disco#items' "
                            "node='public'><set xmlns='http://jabber.org/protocol/rsm'>"
                            "<max>20</max></set></query>")),
            "<iq to='hag66@cam.example/pda' from='conference.cam.example' id='q1' type='result'>"
            "<query xmlns='http://jabber.org/protocol/disco#items' node='public'><item "
            "jid='kitchen@conference.cam.example' name='Kitchen'/></query></iq>");
  EXPECT_EQ(seen_from, Jid::parse("hag66@cam.example/pda"));
  ASSERT_TRUE(seen_rsm);
  EXPECT_EQ(seen_rsm->max, 20u);
  EXPECT_EQ(send(basics, iq("get",
                            "<query xmlns='http://jabber.org/protocol/disco#items' "
                            "node='secret'/>")),
            error_reply("<error type='auth'><forbidden "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"));
}

TEST(ServiceBasics, AnswersPing) {
  ServiceBasics basics(rooms());
  // XEP-0199 Example 5 shape: an empty result.
  EXPECT_EQ(send(basics, iq("get", "<ping xmlns='urn:xmpp:ping'/>")),
            "<iq to='hag66@cam.example/pda' from='conference.cam.example' id='q1' "
            "type='result'/>");
}

TEST(ServiceBasics, AnswersVersionWithoutTheOperatingSystem) {
  ServiceBasics basics(rooms());
  EXPECT_EQ(send(basics, iq("get", "<query xmlns='jabber:iq:version'/>")),
            "<iq to='hag66@cam.example/pda' from='conference.cam.example' id='q1' type='result'>"
            "<query xmlns='jabber:iq:version'><name>commonroom</name><version>1.2.3</version>"
            "</query></iq>");
  ServiceDescription d = rooms();
  d.os = "Debian GNU/Linux 12";
  EXPECT_NE(send(ServiceBasics(d), iq("get", "<query xmlns='jabber:iq:version'/>"))
                .find("<os>Debian GNU/Linux 12</os>"),
            std::string::npos);
}

TEST(ServiceBasics, AnswersUnknownNamespacesWithServiceUnavailable) {
  ServiceBasics basics(rooms());
  const std::string unavailable = error_reply(
      "<error type='cancel'><service-unavailable "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
  EXPECT_EQ(send(basics, iq("get", "<query xmlns='jabber:iq:last'/>")), unavailable);
  EXPECT_EQ(send(basics, iq("set",
                            "<query xmlns='jabber:iq:register'><username>x</username>"
                            "</query>")),
            unavailable);
  // Nothing lives at domain/resource either.
  EXPECT_EQ(
      send(basics, iq("get", "<ping xmlns='urn:xmpp:ping'/>", "conference.cam.example/anything")),
      "<iq to='hag66@cam.example/pda' from='conference.cam.example/anything' id='q1' "
      "type='error'><error type='cancel'><service-unavailable "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
}

TEST(ServiceBasics, AnswersUnsupportedUsesOfKnownNamespacesWithFeatureNotImplemented) {
  ServiceBasics basics(rooms());
  EXPECT_EQ(send(basics, iq("set", "<ping xmlns='urn:xmpp:ping'/>")),
            error_reply("<error type='cancel'><feature-not-implemented "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>urn:xmpp:ping supports only "
                        "get of &lt;ping/&gt;</text></error>"));
  for (const std::string payload : {"<query xmlns='http://jabber.org/protocol/disco#info'/>",
                                    "<query xmlns='http://jabber.org/protocol/disco#items'/>",
                                    "<query xmlns='jabber:iq:version'/>"}) {
    EXPECT_NE(send(basics, iq("set", payload)).find("<feature-not-implemented"), std::string::npos)
        << payload;
  }
  EXPECT_NE(
      send(basics, iq("get", "<pong xmlns='urn:xmpp:ping'/>")).find("<feature-not-implemented"),
      std::string::npos);
}

TEST(ServiceBasics, AnswersBrokenIqsWithBadRequest) {
  ServiceBasics basics(rooms());
  EXPECT_EQ(send(basics, iq("get", "")),
            error_reply("<error type='modify'><bad-request "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>an iq get or set must "
                        "contain exactly one payload element</text></error>"));
  EXPECT_NE(send(basics, iq("get", "<ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/>"))
                .find("<bad-request"),
            std::string::npos);
  EXPECT_NE(send(basics, iq("fetch", "<ping xmlns='urn:xmpp:ping'/>")).find("iq type must be"),
            std::string::npos);
  EXPECT_EQ(send(basics,
                 "<iq type='get' from='a@cam.example/r' to='conference.cam.example'>"
                 "<ping xmlns='urn:xmpp:ping'/></iq>"),
            "<iq to='a@cam.example/r' from='conference.cam.example' type='error'><error "
            "type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>iq has no id</text></error></iq>");
  // A payload that breaks its XEP: the parser's message goes back to the sender.
  EXPECT_EQ(send(basics, iq("get",
                            "<query xmlns='http://jabber.org/protocol/disco#items' "
                            "node=''/>")),
            error_reply("<error type='modify'><bad-request "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>disco#items: the 'node' "
                        "attribute is empty</text></error>"));
}

TEST(ServiceBasics, NeverAnswersResultsOrErrors) {
  ServiceBasics basics(rooms());
  EXPECT_EQ(send(basics, iq("result", "")), "");
  EXPECT_EQ(send(basics, iq("result", "<query xmlns='jabber:iq:last'/>")), "");
  EXPECT_EQ(send(basics, iq("error",
                            "<error type='cancel'><service-unavailable "
                            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>")),
            "");
}

TEST(ServiceBasics, LeavesMessagesAndPresencesToTheDomainToTheService) {
  ServiceBasics basics(rooms());
  EXPECT_EQ(send(basics,
                 "<message from='a@cam.example/r' to='conference.cam.example'>"
                 "<body>hello</body></message>"),
            "");
  EXPECT_EQ(send(basics, "<presence from='a@cam.example/r' to='conference.cam.example'/>"), "");
}

TEST(ServiceBasics, DropsStanzasWithoutAUsableFrom) {
  ServiceBasics basics(rooms());
  EXPECT_EQ(send(basics,
                 "<iq type='get' to='conference.cam.example' id='1'>"
                 "<ping xmlns='urn:xmpp:ping'/></iq>"),
            "dropped: iq without a 'from' address");
  EXPECT_EQ(send(basics, "<message from='a b@cam.example' to='conference.cam.example'/>"),
            "dropped: message with an invalid 'from' \"a b@cam.example\": node contains a "
            "prohibited character U+0020");
  std::string huge =
      send(basics, "<presence from='" + std::string(5000, '@') + "' to='conference.cam.example'/>");
  EXPECT_LT(huge.size(), 300u) << "reasons quote at most a bounded part of the address";
}

TEST(ServiceBasics, DropsMisroutedStanzasAndNonStanzas) {
  ServiceBasics basics(rooms());
  EXPECT_EQ(send(basics,
                 "<iq type='get' from='a@cam.example/r' id='1'><ping "
                 "xmlns='urn:xmpp:ping'/></iq>"),
            "dropped: iq from a@cam.example/r without 'to'");
  EXPECT_EQ(send(basics,
                 "<iq type='get' from='a@cam.example/r' to='directory.cam.example' "
                 "id='1'><ping xmlns='urn:xmpp:ping'/></iq>"),
            "dropped: iq from a@cam.example/r addressed to directory.cam.example, which is not "
            "on conference.cam.example");
  EXPECT_EQ(send(basics,
                 "<iq type='get' from='a@cam.example/r' to='x@conference.cam.example/' "
                 "id='1'/>"),
            "dropped: iq from a@cam.example/r with an invalid 'to' "
            "\"x@conference.cam.example/\": resource is empty (nothing after '/')");
  EXPECT_EQ(send(basics, "<handshake>abc</handshake>"),
            "dropped: not a stanza: <handshake xmlns='jabber:component:accept'>");
}

TEST(ServiceBasics, RoutesByPreparedDomain) {
  ServiceBasics basics(rooms());
  Routing r = basics.route(
      parse_element("<iq type='get' from='A@CAM.example/R' to='Conference.CAM.Example.' id='1'/>"));
  ASSERT_TRUE(std::holds_alternative<Routed>(r));
  EXPECT_EQ(std::get<Routed>(r).from.full(), "a@cam.example/R");
  EXPECT_EQ(std::get<Routed>(r).kind, StanzaKind::iq);
  Routing room = basics.route(
      parse_element("<presence from='a@cam.example/r' to='Kitchen@conference.cam.example/Nick'/>"));
  ASSERT_TRUE(std::holds_alternative<Routed>(room));
  EXPECT_EQ(std::get<Routed>(room).to.node(), "kitchen");
}

TEST(ServiceBasics, RefusesAnInvalidServiceDomain) {
  ServiceDescription d = rooms();
  d.domain = "user@conference.cam.example";
  EXPECT_THROW(ServiceBasics{d}, JidError);
  d.domain = "bad domain";
  EXPECT_THROW(ServiceBasics{d}, JidError);
}

TEST(Refuse, AnswersRequestsButNeverErrorsOrResults) {
  Element get = parse_element("<iq type='get' from='a@b.example/r' to='c.example' id='1'/>");
  EXPECT_TRUE(refuse(get, StanzaError::forbidden()));
  Element result = parse_element("<iq type='result' from='a@b.example/r' to='c.example' id='1'/>");
  EXPECT_FALSE(refuse(result, StanzaError::forbidden()));
  Element error = parse_element("<message type='error' from='a@b.example/r' to='c.example'/>");
  EXPECT_FALSE(refuse(error, StanzaError::forbidden()));
}
