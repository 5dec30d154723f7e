#include <gtest/gtest.h>

#include <set>
#include <string>

#include "xmpp/parse_element.hpp"
#include "xmpp/payloads/payload_error.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stanza_error.hpp"

using namespace commonroom::xmpp;

namespace {

constexpr Condition kAll[] = {
    Condition::bad_request,
    Condition::conflict,
    Condition::feature_not_implemented,
    Condition::forbidden,
    Condition::gone,
    Condition::internal_server_error,
    Condition::item_not_found,
    Condition::jid_malformed,
    Condition::not_acceptable,
    Condition::not_allowed,
    Condition::not_authorized,
    Condition::policy_violation,
    Condition::recipient_unavailable,
    Condition::redirect,
    Condition::registration_required,
    Condition::remote_server_not_found,
    Condition::remote_server_timeout,
    Condition::resource_constraint,
    Condition::service_unavailable,
    Condition::subscription_required,
    Condition::undefined_condition,
    Condition::unexpected_request,
};

std::string parse_problem(const std::string& xml) {
  try {
    parse_stanza_error(parse_element(xml));
  } catch (const PayloadError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << xml;
  return {};
}

}  // namespace

TEST(StanzaError, NamesAll22ConditionsAndReadsThemBack) {
  std::set<std::string_view> names;
  for (Condition c : kAll) {
    names.insert(to_string(c));
    EXPECT_EQ(condition_from_string(to_string(c)), c) << to_string(c);
  }
  EXPECT_EQ(names.size(), 22u);
  EXPECT_EQ(to_string(Condition::feature_not_implemented), "feature-not-implemented");
  EXPECT_EQ(condition_from_string("no-such-condition"), std::nullopt);
}

TEST(StanzaError, DefaultTypesFollowRfc6120) {
  EXPECT_EQ(default_type(Condition::bad_request), ErrorType::modify);
  EXPECT_EQ(default_type(Condition::conflict), ErrorType::cancel);
  EXPECT_EQ(default_type(Condition::forbidden), ErrorType::auth);
  EXPECT_EQ(default_type(Condition::jid_malformed), ErrorType::modify);
  EXPECT_EQ(default_type(Condition::not_authorized), ErrorType::auth);
  EXPECT_EQ(default_type(Condition::recipient_unavailable), ErrorType::wait);
  EXPECT_EQ(default_type(Condition::redirect), ErrorType::modify);
  EXPECT_EQ(default_type(Condition::registration_required), ErrorType::auth);
  EXPECT_EQ(default_type(Condition::resource_constraint), ErrorType::wait);
  EXPECT_EQ(default_type(Condition::service_unavailable), ErrorType::cancel);
  EXPECT_EQ(default_type(Condition::subscription_required), ErrorType::auth);
  EXPECT_EQ(default_type(Condition::unexpected_request), ErrorType::wait);
  EXPECT_EQ(StanzaError::policy_violation("too many rooms").type, ErrorType::modify);
  EXPECT_EQ(StanzaError::item_not_found().condition, Condition::item_not_found);
}

TEST(StanzaError, TypesRoundTripIncludingContinue) {
  for (auto t : {ErrorType::auth, ErrorType::cancel, ErrorType::continue_, ErrorType::modify,
                 ErrorType::wait}) {
    EXPECT_EQ(error_type_from_string(to_string(t)), t);
  }
  EXPECT_EQ(to_string(ErrorType::continue_), "continue");
  EXPECT_EQ(error_type_from_string("Cancel"), std::nullopt);
}

TEST(StanzaError, SerializesConditionTextAndApplicationElement) {
  StanzaError e = StanzaError::not_acceptable("field 'public': boolean value must be 0, 1");
  e.lang = "en";
  e.by = "conference.cam.example";
  e.application = Element("too-many-rooms", "urn:example:commonroom:errors");
  EXPECT_EQ(to_string(to_element(e)),
            "<error type='modify' by='conference.cam.example'>"
            "<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>field 'public': "
            "boolean value must be 0, 1</text>"
            "<too-many-rooms xmlns='urn:example:commonroom:errors'/></error>");
}

TEST(StanzaError, GoneAndRedirectCarryTheNewAddress) {
  StanzaError gone = StanzaError::gone("xmpp:romeo@afterwards.example", "moved");
  EXPECT_EQ(to_string(to_element(gone)),
            "<error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>"
            "xmpp:romeo@afterwards.example</gone><text "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>moved</text></error>");
  StanzaError redirect = parse_stanza_error(
      parse_element("<error type='modify'><redirect xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>"
                    "xmpp:rooms@conference.example.com</redirect></error>"));
  EXPECT_EQ(redirect.condition, Condition::redirect);
  EXPECT_EQ(redirect.alternate, "xmpp:rooms@conference.example.com");
  EXPECT_EQ(redirect.describe(), "modify/redirect (xmpp:rooms@conference.example.com)");
}

TEST(StanzaError, ParsesAnRfcShapedErrorElement) {
  StanzaError e = parse_stanza_error(parse_element(R"(
    <error by='example.net' type='cancel'>
      <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
      <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>Down for maintenance</text>
      <maintenance xmlns='urn:example:ops'/>
    </error>)"));
  EXPECT_EQ(e.condition, Condition::service_unavailable);
  EXPECT_EQ(e.type, ErrorType::cancel);
  EXPECT_EQ(e.by, "example.net");
  EXPECT_EQ(e.text, "Down for maintenance");
  EXPECT_EQ(e.lang, "en");
  ASSERT_TRUE(e.application);
  EXPECT_TRUE(e.application->is("maintenance", "urn:example:ops"));
  EXPECT_EQ(e.describe(), "cancel/service-unavailable: Down for maintenance");
}

TEST(StanzaError, EveryConditionRoundTrips) {
  for (Condition c : kAll) {
    StanzaError e(c, "why");
    if (c == Condition::gone || c == Condition::redirect) e.alternate = "xmpp:x@example.com";
    EXPECT_EQ(parse_stanza_error(to_element(e)), e) << to_string(c);
  }
  StanzaError bare(Condition::conflict, ErrorType::wait);
  EXPECT_EQ(parse_stanza_error(to_element(bare)), bare);
}

TEST(StanzaError, RejectsMalformedErrorElements) {
  EXPECT_EQ(parse_problem("<error><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                          "</error>"),
            "stanza error: the 'type' attribute is missing");
  EXPECT_EQ(parse_problem("<error type='fatal'><bad-request "
                          "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"),
            "stanza error: type 'fatal' is not one of auth, cancel, continue, modify, wait");
  EXPECT_EQ(parse_problem("<error type='cancel'><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'"
                          ">hi</text></error>"),
            "stanza error: no defined condition element");
  EXPECT_EQ(parse_problem("<error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-"
                          "stanzas'/><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"),
            "stanza error: more than one defined condition (<conflict/> and <gone/>)");
  EXPECT_EQ(parse_problem("<error type='cancel'><payment-required "
                          "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"),
            "stanza error: <payment-required/> is not a defined condition");
  EXPECT_EQ(parse_problem("<failure type='cancel'/>"),
            "stanza error: expected an <error/> element, got <failure/>");
}

TEST(StanzaError, IqErrorReplySwapsAddressesKeepsIdAndDropsThePayload) {
  Element iq = parse_element(
      "<iq type='set' from='juliet@capulet.lit/balcony' to='conference.cam.example' id='x1'>"
      "<query xmlns='jabber:iq:register'><username>juliet</username></query></iq>");
  Element reply = make_error_reply(iq, StanzaError::service_unavailable());
  EXPECT_EQ(to_string(reply),
            "<iq to='juliet@capulet.lit/balcony' from='conference.cam.example' id='x1' "
            "type='error'><error type='cancel'><service-unavailable "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
}

TEST(StanzaError, PresenceErrorReplyKeepsThePayloadForTheClient) {
  Element join = parse_element(
      "<presence from='hag66@shakespeare.lit/pda' to='coven@chat.shakespeare.lit/thirdwitch'>"
      "<x xmlns='http://jabber.org/protocol/muc'/></presence>",
      "jabber:client");
  Element reply = make_error_reply(join, StanzaError::registration_required());
  EXPECT_EQ(to_string(reply, "jabber:client"),
            "<presence to='hag66@shakespeare.lit/pda' from='coven@chat.shakespeare.lit/thirdwitch'"
            " type='error'><x xmlns='http://jabber.org/protocol/muc'/><error type='auth'>"
            "<registration-required xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
            "</presence>");
}

TEST(StanzaError, MessageErrorReplyKeepsTheBodyButNoEarlierError) {
  Element m = parse_element(
      "<message from='a@b.example/r' to='room@conference.cam.example' id='m1' type='groupchat'>"
      "<body>hello</body><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
      "</error></message>");
  Element reply = make_error_reply(m, StanzaError::not_acceptable());
  EXPECT_EQ(reply.attr("type"), "error");
  EXPECT_EQ(reply.attr("id"), "m1");
  EXPECT_EQ(reply.child_text("body", "jabber:component:accept"), "hello");
  auto errors = reply.children("error", "jabber:component:accept");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(parse_stanza_error(*errors.front()).condition, Condition::not_acceptable);
}
