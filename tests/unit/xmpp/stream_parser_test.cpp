#include "xmpp/stream_parser.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "stream_parser_test_support.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace commonroom::xmpp {
namespace {

using testing::ChunkedSource;
using testing::kHeader;
using testing::parse_all;
using testing::ParseOutcome;
using testing::Recorder;

// A component stream as a host server might send it: XML declaration, header with the
// content namespace, handshake, keepalives, and stanzas exercising escapes, references,
// CDATA, multi-byte UTF-8 (2, 3 and 4 bytes), both quote styles, xml:lang, prefixes and
// nested namespaces.
const std::string kTranscript =
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    "<stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream=\"http://etherx.jabber.org/streams\" from='conference.cam.example' "
    "id='3BF96D32' xml:lang=\"en\">"
    "<handshake/>"
    " \n\t\r\n"
    "<message from='abc123@cam.example/laptop' to=\"room@conference.cam.example\" id=\"m1\" "
    "type='groupchat' xml:lang='en'>"
    "<body>Fish &amp; chips &lt;3 &#x20AC;5 &#8364; caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\" 'a' "
    "&gt; &quot;&apos;</body>"
    "<![CDATA[<raw & ]]stuff>]]>"
    "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' "
    "role='participant' jid='abc123@cam.example/laptop'/></x>"
    "<stanza-id xmlns='urn:xmpp:sid:0' id='5f3c' by='room@conference.cam.example'/>"
    "</message>"
    " "
    "<iq type='get' id='disco1' from='abc123@cam.example/laptop' to='conference.cam.example'>"
    "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>\n"
    "<presence from='a@cam.example/r' to='room@conference.cam.example/\xE4\xB8\xAD\xE6\x96\x87'>"
    "<x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x>"
    "<status>multi\nline\ttab</status></presence>"
    "<p:message xmlns:p='jabber:component:accept' to='x@y'><p:body>prefixed</p:body>"
    "<ext xmlns='urn:example:ext' xmlns:e='urn:example:attr' e:flag='1' plain=\"a&amp;b&#10;c\">"
    "<inner/>tail</ext></p:message>"
    "<message to='d@e'><body>mixed <b xmlns='urn:x'>bold</b> text</body></message>   "
    "</stream:stream>";

const std::vector<std::string> kTranscriptEvents = {
    "open stream {http://etherx.jabber.org/streams} from=conference.cam.example id=3BF96D32 "
    "xml:lang=en xmlns=jabber:component:accept",
    "stanza <handshake/>",
    "stanza <message from='abc123@cam.example/laptop' to='room@conference.cam.example' id='m1' "
    "type='groupchat' xml:lang='en'><body>Fish &amp; chips &lt;3 \xE2\x82\xAC"
    "5 \xE2\x82\xAC caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\" 'a' &gt; \"'</body>"
    "&lt;raw &amp; ]]stuff&gt;"
    "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' "
    "role='participant' jid='abc123@cam.example/laptop'/></x>"
    "<stanza-id xmlns='urn:xmpp:sid:0' id='5f3c' by='room@conference.cam.example'/></message>",
    "stanza <iq type='get' id='disco1' from='abc123@cam.example/laptop' "
    "to='conference.cam.example'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    "stanza <presence from='a@cam.example/r' to='room@conference.cam.example/\xE4\xB8\xAD\xE6\x96"
    "\x87'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x>"
    "<status>multi\nline\ttab</status></presence>",
    "stanza <message to='x@y'><body>prefixed</body><ext xmlns='urn:example:ext' "
    "xmlns:e='urn:example:attr' e:flag='1' plain='a&amp;b&#10;c'><inner/>tail</ext></message>",
    "stanza <message to='d@e'><body>mixed <b xmlns='urn:x'>bold</b> text</body></message>",
    "close",
};

TEST(StreamParser, DeliversTheSameEventsAtEveryChunkSize) {
  for (size_t chunk = 1; chunk <= kTranscript.size(); ++chunk) {
    // would_block: nothing may be read after </stream:stream>.
    ParseOutcome out = parse_all(kTranscript, chunk, {}, ChunkedSource::AtEnd::would_block);
    ASSERT_FALSE(out.condition) << "chunk " << chunk << ": " << *out.condition << " " << out.text;
    ASSERT_EQ(out.events, kTranscriptEvents) << "chunk " << chunk;
  }
}

TEST(StreamParser, BuildsElementsWithResolvedNamespacesAndDecodedText) {
  ChunkedSource source(kTranscript, kTranscript.size());
  Recorder rec;
  StreamParser parser(source, rec);
  parser.run();
  ASSERT_EQ(rec.headers.size(), 1u);
  const Element& header = rec.headers[0];
  EXPECT_TRUE(header.is("stream", ns::stream));
  EXPECT_EQ(header.attr("xmlns"), ns::component_accept);
  EXPECT_EQ(header.attr("id"), "3BF96D32");
  EXPECT_EQ(header.attr("xml:lang"), "en");
  EXPECT_FALSE(header.has_attr("xmlns:stream"));
  EXPECT_TRUE(header.nodes().empty());

  ASSERT_EQ(rec.stanzas.size(), 6u);
  EXPECT_TRUE(rec.stanzas[0].is("handshake", ns::component_accept));
  const Element& msg = rec.stanzas[1];
  EXPECT_TRUE(msg.is("message", ns::component_accept));
  EXPECT_EQ(msg.attr("xml:lang"), "en");
  EXPECT_EQ(msg.child_text("body", ns::component_accept),
            "Fish & chips <3 \xE2\x82\xAC"
            "5 \xE2\x82\xAC caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\" 'a' > \"'");
  // body, one merged text node (the CDATA section), x, stanza-id
  ASSERT_EQ(msg.nodes().size(), 4u);
  EXPECT_TRUE(msg.nodes()[1].is_text());
  EXPECT_EQ(msg.nodes()[1].text(), "<raw & ]]stuff>");
  const Element* item = msg.find_child("x", "http://jabber.org/protocol/muc#user")
                            ->find_child("item", "http://jabber.org/protocol/muc#user");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->attr("role"), "participant");
  EXPECT_EQ(rec.stanzas[3].child_text("status", ns::component_accept), "multi\nline\ttab");

  const Element& prefixed = rec.stanzas[4];
  EXPECT_TRUE(prefixed.is("message", ns::component_accept));
  EXPECT_FALSE(prefixed.has_attr("xmlns:p"));
  const Element* ext = prefixed.find_child("ext", "urn:example:ext");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->attr("plain"), "a&b\nc");
  EXPECT_EQ(ext->attr("e:flag"), "1");
  EXPECT_FALSE(ext->has_attr("xmlns"));
  EXPECT_TRUE(ext->find_child("inner", "urn:example:ext"));
  // "mixed ", <b/>, " text": text around a child stays in document order.
  const Element* body = rec.stanzas[5].find_child("body", ns::component_accept);
  ASSERT_NE(body, nullptr);
  ASSERT_EQ(body->nodes().size(), 3u);
  EXPECT_EQ(body->text(), "mixed  text");
  EXPECT_TRUE(body->nodes()[1].is("b", "urn:x"));
}

TEST(StreamParser, DeliversEachEventWithOneNextCallAndReturnsFalseAfterClose) {
  ChunkedSource source(kTranscript, 7);
  Recorder rec;
  StreamParser parser(source, rec);
  size_t calls_returning_true = 0;
  while (parser.next()) {
    ++calls_returning_true;
    EXPECT_EQ(rec.events.size(), calls_returning_true);
  }
  EXPECT_EQ(calls_returning_true, kTranscriptEvents.size() - 1);
  EXPECT_EQ(rec.events.back(), "close");
  const size_t reads = source.reads();
  EXPECT_FALSE(parser.next());
  EXPECT_EQ(source.reads(), reads);  // a closed parser does not touch the connection
}

TEST(StreamParser, DeliversAShortStanzaBeforeTheConnectionWouldBlock) {
  // Each step's bytes end exactly at the end of a stanza; reading further would block
  // forever on a real socket (the test source throws), so every stanza must come out of
  // the bytes already received. <a/> is far below Xerces' default 100-byte low-water mark.
  ChunkedSource source(kHeader, 1 << 16);
  Recorder rec;
  StreamParser parser(source, rec);
  ASSERT_TRUE(parser.next());
  EXPECT_EQ(rec.events.size(), 1u);

  source.append("<a/>");
  ASSERT_TRUE(parser.next());
  EXPECT_EQ(rec.events.back(), "stanza <a/>");

  source.append("\n <message to='x@y'><body>hi</body></message>");
  ASSERT_TRUE(parser.next());
  EXPECT_EQ(rec.events.back(), "stanza <message to='x@y'><body>hi</body></message>");

  source.append(" ");  // keepalive: no event yet, and the next read would block
  EXPECT_THROW(parser.next(), std::logic_error);
}

TEST(StreamParser, DeliversTheTailOfALargeReadWithoutWaitingForMoreBytes) {
  // Xerces transcodes at most 16K characters at a time; with its default low-water mark it
  // would read again (and block) while fewer than 100 untranscoded bytes remain, even if
  // they complete the last stanza. One large read, then the connection goes quiet.
  for (size_t tail = 1; tail <= 120; tail += 7) {
    std::string batch;
    for (int i = 0; i < 15; ++i) batch += "<m>" + std::string(1000, 'x') + "</m>";
    batch += "<p>" + std::string(16 * 1024 - batch.size() - 7, 'y') + "</p>";  // 16 KiB so far
    for (size_t i = 0; i < tail; ++i) batch += "<a/>";
    ChunkedSource source(kHeader, 1 << 20);
    Recorder rec;
    StreamParser parser(source, rec);
    ASSERT_TRUE(parser.next());
    source.append(batch);
    const size_t expected = 1 + 15 + 1 + tail;
    while (rec.events.size() < expected) ASSERT_TRUE(parser.next()) << tail;  // throws if it reads
    EXPECT_EQ(rec.events.back(), "stanza <a/>");
    EXPECT_EQ(source.reads(), 2u);
  }
}

TEST(StreamParser, DeliversStanzasAtEveryChunkSizeWithoutReadingAhead) {
  const std::string stanzas[] = {"<a/>", "<message to='x@y'><body>caf\xC3\xA9</body></message>",
                                 "<iq id='1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"};
  for (size_t chunk = 1; chunk <= 40; ++chunk) {
    ChunkedSource source(kHeader, chunk);
    Recorder rec;
    StreamParser parser(source, rec);
    ASSERT_TRUE(parser.next());
    for (const auto& s : stanzas) {
      source.append(s);
      ASSERT_TRUE(parser.next()) << "chunk " << chunk;
      ASSERT_EQ(rec.events.back(), "stanza " + s) << "chunk " << chunk;
    }
  }
}

TEST(StreamParser, EndOfInputEndsTheStreamWithoutAnError) {
  // The peer closed mid-stanza: the complete stanza before it is delivered, the partial
  // one is dropped, and next() reports the end.
  const std::string input = std::string(kHeader) + "<a/><message><body>cut of";
  for (size_t chunk = 1; chunk <= input.size(); ++chunk) {
    ParseOutcome out = parse_all(input, chunk);
    ASSERT_FALSE(out.condition) << chunk << " " << out.text;
    ASSERT_EQ(out.events.size(), 2u) << chunk;
    EXPECT_EQ(out.events[1], "stanza <a/>");
  }
  ParseOutcome empty = parse_all("", 1);
  EXPECT_FALSE(empty.condition);
  EXPECT_TRUE(empty.events.empty());
}

TEST(StreamParser, HeaderWithoutDefaultNamespaceHasNoXmlnsAttributeAndStanzasNoNamespace) {
  const std::string input =
      "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' id='x'><a><b/></a>";
  ChunkedSource source(input, input.size(), ChunkedSource::AtEnd::eof);
  Recorder rec;
  StreamParser parser(source, rec);
  parser.run();
  ASSERT_EQ(rec.headers.size(), 1u);
  EXPECT_FALSE(rec.headers[0].has_attr("xmlns"));
  ASSERT_EQ(rec.stanzas.size(), 1u);
  EXPECT_EQ(rec.stanzas[0].xmlns(), "");
  EXPECT_EQ(rec.stanzas[0].nodes()[0].xmlns(), "");
}

TEST(StreamParser, AcceptsAnUnprefixedStreamElementAndAStreamWithoutXmlDeclaration) {
  const std::string input =
      "<stream xmlns='http://etherx.jabber.org/streams' id='x'><features/></stream>";
  ParseOutcome out = parse_all(input, 3, {}, ChunkedSource::AtEnd::would_block);
  ASSERT_FALSE(out.condition) << out.text;
  ASSERT_EQ(out.events.size(), 3u);
  EXPECT_EQ(out.events[1], "stanza <features xmlns='http://etherx.jabber.org/streams'/>");
}

TEST(StreamParser, RunsManyStreamsInOneProcess) {
  // Xerces is initialised once per process; parsers come and go.
  for (int i = 0; i < 50; ++i) {
    ParseOutcome out = parse_all(std::string(kHeader) + "<a/></stream:stream>", 64);
    ASSERT_EQ(out.events.size(), 3u);
  }
}

}  // namespace
}  // namespace commonroom::xmpp
