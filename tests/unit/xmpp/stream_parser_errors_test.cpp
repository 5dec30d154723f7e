// Malformed, restricted and oversized input: each gets its exact stream error condition,
// with the same events before it whatever the chunking.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "stream_parser_test_support.hpp"
#include "xmpp/stream_parser.hpp"

namespace commonroom::xmpp {
namespace {

using testing::ChunkedSource;
using testing::kHeader;
using testing::parse_all;
using testing::ParseOutcome;
using testing::Recorder;

const std::string kOpen = kHeader;
const std::string kOpenEvent =
    "open stream {http://etherx.jabber.org/streams} from=conference.cam.example id=s1 "
    "xmlns=jabber:component:accept";

// Parses `input` at every chunk size from 1 to its length and expects the same events
// followed by the same error condition each time. Returns the whole-input outcome.
ParseOutcome expect_error_at_every_chunk_size(const std::string& input,
                                              const std::string& condition,
                                              const std::vector<std::string>& events,
                                              StreamLimits limits = {}) {
  ParseOutcome whole = parse_all(input, input.size(), limits);
  EXPECT_EQ(whole.condition.value_or("(no error)"), condition) << whole.text;
  EXPECT_EQ(whole.events, events);
  for (size_t chunk = 1; chunk < input.size(); ++chunk) {
    ParseOutcome out = parse_all(input, chunk, limits);
    EXPECT_EQ(out.condition.value_or("(no error)"), condition)
        << "chunk " << chunk << ": " << out.text;
    EXPECT_EQ(out.events, events) << "chunk " << chunk;
    if (out.condition != condition || out.events != events) break;  // one report is enough
  }
  return whole;
}

TEST(StreamParserErrors, MismatchedTagsAreNotWellFormedWithXercesMessageAndPosition) {
  ParseOutcome out = expect_error_at_every_chunk_size(
      kOpen + "<a/>\n<message><body>hi</message>", "not-well-formed", {kOpenEvent, "stanza <a/>"});
  EXPECT_NE(out.text.find("line 2"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("column"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("body"), std::string::npos) << out.text;  // Xerces names the tag
}

TEST(StreamParserErrors, BadAttributeSyntaxIsNotWellFormed) {
  expect_error_at_every_chunk_size(kOpen + "<message to=x@y/>", "not-well-formed", {kOpenEvent});
  expect_error_at_every_chunk_size(kOpen + "<message to='a' to='b'/>", "not-well-formed",
                                   {kOpenEvent});
  expect_error_at_every_chunk_size(kOpen + "<message to='a<b'/>", "not-well-formed", {kOpenEvent});
}

TEST(StreamParserErrors, UndefinedPrefixIsNotWellFormed) {
  ParseOutcome out =
      expect_error_at_every_chunk_size(kOpen + "<foo:bar/>", "not-well-formed", {kOpenEvent});
  EXPECT_NE(out.text.find("foo"), std::string::npos) << out.text;
  expect_error_at_every_chunk_size(kOpen + "<a foo:b='1'/>", "not-well-formed", {kOpenEvent});
}

TEST(StreamParserErrors, UndeclaredEntityReferenceIsNotWellFormed) {
  expect_error_at_every_chunk_size(kOpen + "<a>&nbsp;</a>", "not-well-formed", {kOpenEvent});
}

TEST(StreamParserErrors, ForbiddenCharacterIsNotWellFormed) {
  expect_error_at_every_chunk_size(kOpen + "<a>\x01</a>", "not-well-formed", {kOpenEvent});
  expect_error_at_every_chunk_size(kOpen + "<a>&#0;</a>", "not-well-formed", {kOpenEvent});
}

TEST(StreamParserErrors, DoctypeIsRestrictedXml) {
  const std::string open_no_decl = kOpen.substr(kOpen.find("<stream:"));
  // Even without subsets, which Xerces 3.2.4 reports to no handler.
  expect_error_at_every_chunk_size("<?xml version='1.0'?><!DOCTYPE stream:stream>" + open_no_decl,
                                   "restricted-xml", {});
  expect_error_at_every_chunk_size(
      "<!DOCTYPE stream:stream SYSTEM 'http://127.0.0.1:1/x.dtd'>" + open_no_decl, "restricted-xml",
      {});
}

TEST(StreamParserErrors, InternalEntityDeclarationIsRestrictedXml) {
  const std::string open_no_decl = kOpen.substr(kOpen.find("<stream:"));
  expect_error_at_every_chunk_size(
      "<!DOCTYPE stream:stream [<!ENTITY x 'expanded'>]>" + open_no_decl + "<a>&x;</a>",
      "restricted-xml", {});
}

TEST(StreamParserErrors, ExternalEntityIsRestrictedXml) {
  const std::string open_no_decl = kOpen.substr(kOpen.find("<stream:"));
  expect_error_at_every_chunk_size(
      "<!DOCTYPE stream:stream [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>" + open_no_decl +
          "<a>&x;</a>",
      "restricted-xml", {});
}

TEST(StreamParserErrors, DeclarationsInsideTheStreamAreRestrictedXml) {
  expect_error_at_every_chunk_size(kOpen + "<a/><!ENTITY x 'y'>", "restricted-xml",
                                   {kOpenEvent, "stanza <a/>"});
  expect_error_at_every_chunk_size(kOpen + "<a><!DOCTYPE a></a>", "restricted-xml", {kOpenEvent});
  expect_error_at_every_chunk_size(kOpen + "<a><![INCLUDE[x]]></a>", "restricted-xml",
                                   {kOpenEvent});
}

std::string billion_laughs(const std::string& root) {
  std::string s =
      "<?xml version='1.0'?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
      " <!ELEMENT lolz (#PCDATA)>\n";
  for (int i = 1; i <= 9; ++i) {
    s += " <!ENTITY lol" + std::to_string(i) + " \"";
    for (int j = 0; j < 10; ++j)
      s += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
    s += "\">\n";
  }
  s += "]>\n" + root;
  return s;
}

TEST(StreamParserErrors, BillionLaughsIsRefusedInUnderAMillisecond) {
  const std::string bombs[] = {
      billion_laughs("<lolz>&lol9;</lolz>"),
      billion_laughs("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
                     "xmlns='jabber:component:accept'><message><body>&lol9;</body></message>"),
  };
  for (const auto& bomb : bombs) {
    // Take the best of five runs so a busy CI machine does not make this flaky.
    auto best = std::chrono::nanoseconds::max();
    for (int run = 0; run < 5; ++run) {
      ChunkedSource source(bomb, bomb.size(), ChunkedSource::AtEnd::eof);
      Recorder rec;
      StreamParser parser(source, rec);
      std::string condition;
      const auto start = std::chrono::steady_clock::now();
      try {
        parser.run();
      } catch (const StreamError& e) {
        condition = e.condition();
      }
      best = std::min(best, std::chrono::steady_clock::now() - start);
      ASSERT_EQ(condition, "restricted-xml");
      EXPECT_TRUE(rec.events.empty());
    }
    EXPECT_LT(best, std::chrono::milliseconds(1))
        << std::chrono::duration_cast<std::chrono::microseconds>(best).count() << " us";
  }
  // And at every chunk size, the same refusal.
  expect_error_at_every_chunk_size(bombs[1], "restricted-xml", {});
}

TEST(StreamParserErrors, CommentsAreRestrictedXmlAnywhere) {
  expect_error_at_every_chunk_size(kOpen + "<a/><!-- hi -->", "restricted-xml",
                                   {kOpenEvent, "stanza <a/>"});
  expect_error_at_every_chunk_size(kOpen + "<a><!--x--></a>", "restricted-xml", {kOpenEvent});
  expect_error_at_every_chunk_size("<!-- prolog -->" + kOpen.substr(kOpen.find("<stream:")),
                                   "restricted-xml", {});
}

TEST(StreamParserErrors, ProcessingInstructionsAreRestrictedXmlAnywhere) {
  expect_error_at_every_chunk_size(kOpen + "<a/><?foo bar?>", "restricted-xml",
                                   {kOpenEvent, "stanza <a/>"});
  expect_error_at_every_chunk_size(kOpen + "<a><?foo?></a>", "restricted-xml", {kOpenEvent});
  expect_error_at_every_chunk_size(
      "<?xml version='1.0'?><?xml-stylesheet href='x'?>" + kOpen.substr(kOpen.find("<stream:")),
      "restricted-xml", {});
}

TEST(StreamParserErrors, InvalidUtf8IsUnsupportedEncodingAfterTheStanzasBeforeIt) {
  // RFC 6120 §4.9.3.22: improperly encoded streams get <unsupported-encoding/>.
  const std::string bad[] = {
      "\xC3\x28",          // lead byte followed by ASCII
      "\xA9",              // stray continuation byte
      "\xC0\xAF",          // overlong '/'
      "\xE0\x80\xAF",      // overlong, 3 bytes
      "\xED\xA0\x80",      // UTF-16 surrogate D800
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\xFF",
  };
  for (const auto& b : bad) {
    ParseOutcome out =
        expect_error_at_every_chunk_size(kOpen + "<a/><message><body>x" + b + "y</body></message>",
                                         "unsupported-encoding", {kOpenEvent, "stanza <a/>"});
    EXPECT_NE(out.text.find("invalid UTF-8"), std::string::npos) << out.text;
  }
  // In an attribute value and in the header too.
  expect_error_at_every_chunk_size(kOpen + "<a b='\xC3'/>", "unsupported-encoding", {kOpenEvent});
  expect_error_at_every_chunk_size("<stream:stream id='\xFE'>", "unsupported-encoding", {});
  // A UTF-16 byte order mark is not UTF-8 either.
  expect_error_at_every_chunk_size(std::string("\xFE\xFF\0<", 4), "unsupported-encoding", {});
}

TEST(StreamParserErrors, TheFirstProblemInTheStreamWinsWhateverArrivedInTheSameRead) {
  // Found by the fuzzer: the bad UTF-8 later in the same read must not mask the earlier
  // syntax error (and the other way round).
  expect_error_at_every_chunk_size(kOpen + "<a b='1'-c/><d>\xE8!</d>", "not-well-formed",
                                   {kOpenEvent});
  expect_error_at_every_chunk_size(kOpen + "<a>\xE8!</a><b></c>", "unsupported-encoding",
                                   {kOpenEvent});
  StreamLimits limits;
  limits.max_stanza_bytes = 200;
  expect_error_at_every_chunk_size(kOpen + "<a b='1'-c/>" + std::string(300, 'x'),
                                   "not-well-formed", {kOpenEvent}, limits);
}

TEST(StreamParserErrors, NonUtf8EncodingDeclarationIsUnsupportedEncoding) {
  const std::string rest = kOpen.substr(kOpen.find("<stream:"));
  ParseOutcome out = expect_error_at_every_chunk_size(
      "<?xml version='1.0' encoding='ISO-8859-1'?>" + rest, "unsupported-encoding", {});
  EXPECT_NE(out.text.find("ISO-8859-1"), std::string::npos);
  expect_error_at_every_chunk_size("<?xml version='1.0' encoding='UTF-16'?>" + rest,
                                   "unsupported-encoding", {});
  // Spelled in lower case it is still UTF-8.
  ParseOutcome ok = parse_all("<?xml version='1.0' encoding='utf-8'?>" + rest + "<a/>", 5);
  EXPECT_FALSE(ok.condition) << ok.text;
  EXPECT_EQ(ok.events.size(), 2u);
}

TEST(StreamParserErrors, Xml11IsBadFormat) {
  expect_error_at_every_chunk_size("<?xml version='1.1'?>" + kOpen.substr(kOpen.find("<stream:")),
                                   "bad-format", {});
}

TEST(StreamParserErrors, StanzaOverTheSizeLimitIsPolicyViolation) {
  StreamLimits limits;
  limits.max_stanza_bytes = 200;  // the header (with its prolog) is 180 bytes
  ASSERT_LT(kOpen.size(), 200u);
  // One byte per 'z': make stanzas of exactly 200 and 201 bytes.
  auto stanza_of = [](size_t size) {
    std::string head = "<message to='x@y'><body>";
    std::string tail = "</body></message>";
    return head + std::string(size - head.size() - tail.size(), 'z') + tail;
  };
  const std::string fits = stanza_of(200);
  const std::string too_big = stanza_of(201);
  // Text between stanzas is not part of either.
  ParseOutcome out =
      expect_error_at_every_chunk_size(kOpen + fits + "  \n" + fits + too_big, "policy-violation",
                                       {kOpenEvent, "stanza " + fits, "stanza " + fits}, limits);
  EXPECT_NE(out.text.find("200 bytes"), std::string::npos) << out.text;
  // Markup counts as received: a tag with many spaces is as big as its bytes.
  std::string spacey = "<a" + std::string(196, ' ') + "/>";
  ASSERT_EQ(spacey.size(), 200u);
  expect_error_at_every_chunk_size(kOpen + spacey + "<a" + std::string(197, ' ') + "/>",
                                   "policy-violation", {kOpenEvent, "stanza <a/>"}, limits);
}

TEST(StreamParserErrors, OversizedHeaderOrWhitespaceRunIsPolicyViolation) {
  StreamLimits limits;
  limits.max_stanza_bytes = 200;
  expect_error_at_every_chunk_size(
      "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' id='" +
          std::string(200, 'i') + "'>",
      "policy-violation", {}, limits);
  expect_error_at_every_chunk_size(kOpen + "<a/>" + std::string(201, ' ') + "<a/>",
                                   "policy-violation", {kOpenEvent, "stanza <a/>"}, limits);
  ParseOutcome ok = parse_all(kOpen + "<a/>" + std::string(200, ' ') + "<a/>", 7, limits);
  EXPECT_FALSE(ok.condition) << ok.text;
}

TEST(StreamParserErrors, NestingDeeperThanTheLimitIsPolicyViolation) {
  StreamLimits limits;
  limits.max_depth = 4;
  // The stanza is level 1: <a><b><c><d/></c></b></a> is exactly 4 deep.
  ParseOutcome ok = parse_all(kOpen + "<a><b><c><d/></c></b></a>", 3, limits);
  EXPECT_FALSE(ok.condition) << ok.text;
  EXPECT_EQ(ok.events.size(), 2u);
  ParseOutcome out = expect_error_at_every_chunk_size(kOpen + "<a><b><c><d><e/></d></c></b></a>",
                                                      "policy-violation", {kOpenEvent}, limits);
  EXPECT_NE(out.text.find("4 levels"), std::string::npos) << out.text;
}

TEST(StreamParserErrors, TooManyAttributesIsPolicyViolation) {
  StreamLimits limits;
  limits.max_attributes = 3;
  EXPECT_FALSE(parse_all(kOpen + "<a x='1' y='2' z='3'/>", 9, limits).condition);
  expect_error_at_every_chunk_size(kOpen + "<a><b w='0' x='1' y='2' z='3'/></a>",
                                   "policy-violation", {kOpenEvent}, limits);
}

TEST(StreamParserErrors, WrongStreamNamespaceIsInvalidNamespace) {
  expect_error_at_every_chunk_size(
      "<stream:stream xmlns:stream='jabber:client' xmlns='jabber:component:accept'>",
      "invalid-namespace", {});
  expect_error_at_every_chunk_size("<stream xmlns='jabber:component:accept'>", "invalid-namespace",
                                   {});
  ParseOutcome out = expect_error_at_every_chunk_size(
      "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>", "invalid-namespace", {});
  EXPECT_NE(out.text.find("features"), std::string::npos) << out.text;
}

TEST(StreamParserErrors, TextBetweenStanzasThatIsNotWhitespaceIsBadFormat) {
  ParseOutcome out = expect_error_at_every_chunk_size(kOpen + "<a/> hello <a/>", "bad-format",
                                                      {kOpenEvent, "stanza <a/>"});
  EXPECT_NE(out.text.find("hello"), std::string::npos) << out.text;
  expect_error_at_every_chunk_size(kOpen + "&amp;", "bad-format", {kOpenEvent});
  expect_error_at_every_chunk_size(kOpen + "<![CDATA[x]]>", "bad-format", {kOpenEvent});
}

TEST(StreamParserErrors, EndTagOfAnotherElementIsNotWellFormed) {
  expect_error_at_every_chunk_size(kOpen + "<a></b>", "not-well-formed", {kOpenEvent});
  // Xerces compares against the whole expected name, so it needs a few bytes more.
  expect_error_at_every_chunk_size(kOpen + "</a><message/><message/>", "not-well-formed",
                                   {kOpenEvent});
}

TEST(StreamParserErrors, BytesAfterTheStreamCloseAreNotParsed) {
  // Once </stream:stream> arrived the stream is over; whatever follows is not our business.
  ParseOutcome out = parse_all(kOpen + "</stream:stream><a/><!-- junk", 1 << 16);
  EXPECT_FALSE(out.condition) << out.text;
  EXPECT_EQ(out.events, (std::vector<std::string>{kOpenEvent, "close"}));
}

TEST(StreamParserErrors, SourceExceptionsPassThroughUnchangedEvenOnTheFirstRead) {
  struct Failing : ByteSource {
    size_t read(char*, size_t) override { throw std::runtime_error("connection reset"); }
  } failing;
  Recorder rec;
  StreamParser parser(failing, rec);
  try {
    parser.next();
    ADD_FAILURE() << "no exception";
  } catch (const StreamError& e) {
    ADD_FAILURE() << "became a stream error: " << e.what();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "connection reset");
  }
  EXPECT_FALSE(parser.next());
  // Later reads too, with non-whitespace text pending between stanzas.
  ChunkedSource source(kOpen + "<a/>hello", 1 << 16);
  StreamParser parser2(source, rec);
  EXPECT_TRUE(parser2.next());
  EXPECT_TRUE(parser2.next());
  EXPECT_THROW(parser2.next(), std::logic_error);
}

TEST(StreamParserErrors, ParserIsDeadAfterAnError) {
  ChunkedSource source(kOpen + "<a></b><c/>", 4, ChunkedSource::AtEnd::eof);
  Recorder rec;
  StreamParser parser(source, rec);
  EXPECT_TRUE(parser.next());
  EXPECT_THROW(parser.next(), StreamError);
  EXPECT_FALSE(parser.next());
  EXPECT_EQ(rec.events.size(), 1u);
}

}  // namespace
}  // namespace commonroom::xmpp
