#include <gtest/gtest.h>

#include "xmpp/component_handshake.hpp"
#include "xmpp/namespaces.hpp"

using commonroom::xmpp::component_handshake_digest;
using commonroom::xmpp::ComponentHandshake;
using commonroom::xmpp::Element;
using commonroom::xmpp::stream_error_bytes;
namespace ns = commonroom::xmpp::ns;
using State = ComponentHandshake::State;
using Kind = ComponentHandshake::FailureKind;

namespace {

// The server's stream header of XEP-0114 Example 2, as the stream parser reports it.
Element server_header(std::string id = "3BF96D32") {
  Element h("stream", std::string(ns::stream));
  h.set_attr("from", "plays.shakespeare.lit");
  if (!id.empty()) h.set_attr("id", id);
  return h;
}

Element stream_error(std::string condition, std::string text = {}) {
  Element e("error", std::string(ns::stream));
  e.add_child(std::move(condition), std::string(ns::streams));
  if (!text.empty()) e.add_text_child("text", text, std::string(ns::streams));
  return e;
}

Element handshake_ack() {
  return Element("handshake", std::string(ns::component_accept));
}

ComponentHandshake opened(std::string domain = "plays.shakespeare.lit",
                          std::string secret = "test") {
  ComponentHandshake h(std::move(domain), std::move(secret));
  h.open();
  return h;
}

}  // namespace

TEST(ComponentHandshakeDigest, MatchesTheXep0114Example) {
  // XEP-0114 Example 3: stream id 3BF96D32; the example's secret is "test".
  EXPECT_EQ(component_handshake_digest("3BF96D32", "test"),
            "aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e");
}

TEST(ComponentHandshakeDigest, IsLowercaseHexOfIdThenSecret) {
  // sha1("abc") from FIPS 180-2, split between id and secret.
  EXPECT_EQ(component_handshake_digest("a", "bc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(ComponentHandshake, OpensTheStreamToTheComponentDomain) {
  ComponentHandshake h("conference.cam.example", "s3cret");
  EXPECT_EQ(h.state(), State::idle);
  EXPECT_EQ(h.open(),
            "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
            "xmlns:stream='http://etherx.jabber.org/streams' to='conference.cam.example'>");
  EXPECT_EQ(h.state(), State::awaiting_header);
}

TEST(ComponentHandshake, EscapesTheDomainInTheHeader) {
  ComponentHandshake h("a'b<c", "x");
  EXPECT_NE(h.open().find("to='a&apos;b&lt;c'>"), std::string::npos);
}

TEST(ComponentHandshake, AnswersTheServerHeaderWithTheXepExampleHandshake) {
  auto h = opened();
  EXPECT_EQ(h.on_stream_open(server_header()),
            "<handshake>aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e</handshake>");
  EXPECT_EQ(h.state(), State::awaiting_handshake);
  EXPECT_EQ(h.stream_id(), "3BF96D32");
}

TEST(ComponentHandshake, EmptyHandshakeFromServerMeansConnected) {
  auto h = opened();
  h.on_stream_open(server_header());
  h.on_element(handshake_ack());
  EXPECT_TRUE(h.connected());
  EXPECT_FALSE(h.failed());
  EXPECT_EQ(h.failure().kind, Kind::none);
}

TEST(ComponentHandshake, AcceptsAHeaderThatShowsTheComponentDefaultNamespace) {
  auto h = opened();
  Element hdr = server_header();
  hdr.set_attr("xmlns", "jabber:component:accept");
  EXPECT_FALSE(h.on_stream_open(hdr).empty());
  EXPECT_EQ(h.state(), State::awaiting_handshake);
}

TEST(ComponentHandshake, NotAuthorizedSaysTheSecretWasRefusedForTheDomain) {
  auto h = opened("conference.cam.example", "wrong");
  h.on_stream_open(server_header());
  h.on_element(stream_error("not-authorized"));
  ASSERT_TRUE(h.failed());
  EXPECT_EQ(h.failure().kind, Kind::refused);
  EXPECT_EQ(h.failure().condition, "not-authorized");
  EXPECT_EQ(h.failure().text,
            "the host server refused the component secret for conference.cam.example");
}

TEST(ComponentHandshake, StreamErrorTextFromTheServerIsKept) {
  auto h = opened("conference.cam.example", "s3cret");
  h.on_stream_open(server_header());
  h.on_element(stream_error("conflict", "Component already connected"));
  ASSERT_TRUE(h.failed());
  EXPECT_EQ(h.failure().condition, "conflict");
  EXPECT_EQ(h.failure().text,
            "the host server already has a component connected as conference.cam.example "
            "(\"Component already connected\")");
}

TEST(ComponentHandshake, HostUnknownRightAfterTheHeaderNamesTheDomain) {
  auto h = opened("nosuch.cam.example", "s3cret");
  h.on_stream_open(server_header());
  h.on_element(stream_error("host-unknown"));
  ASSERT_TRUE(h.failed());
  EXPECT_EQ(h.failure().condition, "host-unknown");
  EXPECT_NE(h.failure().text.find("nosuch.cam.example"), std::string::npos);
}

TEST(ComponentHandshake, StreamErrorWithoutConditionIsUndefinedCondition) {
  auto h = opened();
  h.on_stream_open(server_header());
  h.on_element(Element("error", std::string(ns::stream)));
  ASSERT_TRUE(h.failed());
  EXPECT_EQ(h.failure().condition, "undefined-condition");
}

TEST(ComponentHandshake, HeaderWithoutIdIsAProtocolError) {
  auto h = opened("conference.cam.example", "s3cret");
  EXPECT_EQ(h.on_stream_open(server_header("")), "");
  ASSERT_TRUE(h.failed());
  EXPECT_EQ(h.failure().kind, Kind::protocol_error);
  EXPECT_EQ(h.failure().condition, "invalid-xml");
  EXPECT_NE(h.failure().text.find("no id"), std::string::npos);
}

TEST(ComponentHandshake, HeaderInTheWrongNamespaceIsInvalidNamespace) {
  auto h = opened();
  EXPECT_EQ(h.on_stream_open(Element("stream", "http://example.com/not-streams")), "");
  ASSERT_TRUE(h.failed());
  EXPECT_EQ(h.failure().condition, "invalid-namespace");
}

TEST(ComponentHandshake, ClientNamespaceInsteadOfComponentIsInvalidNamespace) {
  auto h = opened();
  Element hdr = server_header();
  hdr.set_attr("xmlns", "jabber:client");
  EXPECT_EQ(h.on_stream_open(hdr), "");
  ASSERT_TRUE(h.failed());
  EXPECT_EQ(h.failure().condition, "invalid-namespace");
  EXPECT_NE(h.failure().text.find("jabber:client"), std::string::npos);
}

TEST(ComponentHandshake, HandshakeAckInAnotherNamespaceIsInvalidNamespace) {
  auto h = opened();
  h.on_stream_open(server_header());
  h.on_element(Element("handshake", "jabber:client"));
  ASSERT_TRUE(h.failed());
  EXPECT_EQ(h.failure().condition, "invalid-namespace");
}

TEST(ComponentHandshake, StanzaBeforeTheHandshakeIsAProtocolError) {
  auto h = opened();
  h.on_stream_open(server_header());
  Element msg("message", std::string(ns::component_accept));
  msg.set_attr("to", "plays.shakespeare.lit");
  h.on_element(msg);
  ASSERT_TRUE(h.failed());
  EXPECT_EQ(h.failure().kind, Kind::protocol_error);
  EXPECT_EQ(h.failure().condition, "unsupported-stanza-type");
  EXPECT_NE(h.failure().text.find("<message/>"), std::string::npos);
}

TEST(ComponentHandshake, HandshakeBeforeTheServerHeaderIsAProtocolError) {
  auto h = opened();
  h.on_element(handshake_ack());
  ASSERT_TRUE(h.failed());
  EXPECT_EQ(h.failure().kind, Kind::protocol_error);
}

TEST(ComponentHandshake, SecondServerHeaderIsAProtocolError) {
  auto h = opened();
  h.on_stream_open(server_header());
  EXPECT_EQ(h.on_stream_open(server_header()), "");
  EXPECT_TRUE(h.failed());
}

TEST(ComponentHandshake, CloseBeforeTheHandshakeIsAFailureButCloseAfterIsNot) {
  auto h = opened();
  h.on_stream_open(server_header());
  h.on_stream_close();
  ASSERT_TRUE(h.failed());
  EXPECT_EQ(h.failure().kind, Kind::closed);

  auto ok = opened();
  ok.on_stream_open(server_header());
  ok.on_element(handshake_ack());
  ok.on_stream_close();
  EXPECT_TRUE(ok.connected());
}

TEST(ComponentHandshake, FirstFailureIsKept) {
  auto h = opened("conference.cam.example", "wrong");
  h.on_stream_open(server_header());
  h.on_element(stream_error("not-authorized"));
  h.on_stream_close();
  EXPECT_EQ(h.failure().condition, "not-authorized");
}

TEST(ComponentHandshake, OpenAgainStartsAFreshAttempt) {
  auto h = opened();
  h.on_stream_open(server_header());
  h.on_element(stream_error("not-authorized"));
  h.open();
  EXPECT_EQ(h.state(), State::awaiting_header);
  EXPECT_EQ(h.failure().kind, Kind::none);
  EXPECT_EQ(h.on_stream_open(server_header("other")),
            "<handshake>" + component_handshake_digest("other", "test") + "</handshake>");
}

TEST(StreamErrorBytes, WritesConditionTextAndCloseTag) {
  EXPECT_EQ(stream_error_bytes("not-well-formed", "bad <xml>"),
            "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
            "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>bad &lt;xml&gt;</text>"
            "</stream:error></stream:stream>");
  EXPECT_EQ(stream_error_bytes("policy-violation", ""),
            "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
            "</stream:error></stream:stream>");
}
