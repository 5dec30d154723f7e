// The stream parser's private helpers: UTF-16 -> UTF-8, the streaming UTF-8 check, and the
// byte-level framer that measures stanzas as received.
#include <gtest/gtest.h>

#include <string>

#include "xmpp/stream_parser_framer.hpp"
#include "xmpp/stream_parser_utf.hpp"

namespace commonroom::xmpp::detail {
namespace {

std::string to_utf8(const std::u16string& s) {
  std::string out = "prefix:";
  append_utf8(out, s.data(), s.size());
  return out.substr(7);
}

TEST(AppendUtf8, ConvertsAsciiRunsAndEveryEncodedLength) {
  EXPECT_EQ(to_utf8(u""), "");
  EXPECT_EQ(to_utf8(u"abc"), "abc");
  EXPECT_EQ(to_utf8(u"abcdefghijklmnopq"), "abcdefghijklmnopq");
  EXPECT_EQ(to_utf8(u"caf\u00e9"), "caf\xC3\xA9");
  EXPECT_EQ(to_utf8(u"\u20ac5 and more ascii after"),
            "\xE2\x82\xAC"
            "5 and more ascii after");
  EXPECT_EQ(to_utf8(u"x\U0001F600y"), "x\xF0\x9F\x98\x80y");
  EXPECT_EQ(to_utf8(u"\U0010FFFF"), "\xF4\x8F\xBF\xBF");
  EXPECT_EQ(to_utf8(u"\uFFFF"), "\xEF\xBF\xBF");
}

TEST(AppendUtf8, ReplacesLoneSurrogates) {
  EXPECT_EQ(to_utf8(std::u16string{u'a', char16_t(0xD800), u'b'}),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(to_utf8(std::u16string{char16_t(0xDC00)}), "\xEF\xBF\xBD");
  EXPECT_EQ(to_utf8(std::u16string{char16_t(0xD83D)}), "\xEF\xBF\xBD");
}

size_t validate_in_chunks(const std::string& s, size_t chunk, Utf8Validator& v) {
  size_t ok = 0;
  for (size_t i = 0; i < s.size(); i += chunk) {
    const size_t n = std::min(chunk, s.size() - i);
    const size_t got = v.scan(s.data() + i, n);
    ok += got;
    if (got < n) break;
  }
  return ok;
}

TEST(Utf8Validator, AcceptsValidTextSplitAnywhere) {
  const std::string text =
      "plain ascii, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80, \xF4\x8F\xBF\xBF,"
      " \xEE\x80\x80 and a long ascii tail to hit the 8-byte path";
  for (size_t chunk = 1; chunk <= text.size(); ++chunk) {
    Utf8Validator v;
    EXPECT_EQ(validate_in_chunks(text, chunk, v), text.size()) << chunk;
    EXPECT_FALSE(v.failed());
  }
}

TEST(Utf8Validator, StopsAtTheFirstInvalidByteWhateverTheChunking) {
  struct Case {
    std::string bytes;
    size_t valid;  // bytes before the offending one
  };
  const Case cases[] = {
      {"abcdefghij\x80", 10}, {"ab\xC3\x28", 3},       {"\xC0\xAF", 0},
      {"\xC1\xBF", 0},        {"\xE0\x9F\xBF", 1},     {"\xED\xA0\x80", 1},
      {"\xED\x9F\xBF!", 4},   {"\xF0\x8F\xBF\xBF", 1}, {"\xF4\x90\x80\x80", 1},
      {"\xF5\x80", 0},        {"12345678\xFE", 8},     {"\xE2\x82\xE2\x82\xAC", 2},
  };
  for (const auto& c : cases) {
    for (size_t chunk = 1; chunk <= c.bytes.size(); ++chunk) {
      Utf8Validator v;
      const size_t ok = validate_in_chunks(c.bytes, chunk, v);
      const bool expect_fail = c.valid < c.bytes.size();
      EXPECT_EQ(ok, c.valid) << "case " << ::testing::PrintToString(c.bytes) << " chunk " << chunk;
      EXPECT_EQ(v.failed(), expect_fail);
      if (expect_fail) {
        EXPECT_EQ(v.error_offset(), c.valid);
        EXPECT_EQ(v.scan("a", 1), 0u);  // stays failed
      }
    }
  }
}

// Feeds `s` through a framer in chunks; returns how many bytes were accepted.
size_t frame(const std::string& s, size_t max, size_t chunk, StreamFramer* out = nullptr) {
  StreamFramer f(max);
  size_t ok = 0;
  for (size_t i = 0; i < s.size(); i += chunk) {
    const size_t n = std::min(chunk, s.size() - i);
    const size_t got = f.scan(s.data() + i, n);
    ok += got;
    if (got < n) break;
  }
  if (out) *out = f;
  return ok;
}

const std::string kHead = "<s:s xmlns:s='x'>";  // 17 bytes

TEST(StreamFramer, CountsEachTopLevelElementExactlyWhateverTheChunking) {
  // Tricky content: '>' inside quotes and CDATA, '/' in a value, self-closing children.
  const std::string stanza = "<m a='>/' b=\"'\"><![CDATA[<x>]]]><c/>t&gt;</m>";
  const size_t size = stanza.size();
  const std::string input = kHead + stanza + "\n " + stanza + "</s:s>";
  for (size_t chunk = 1; chunk <= input.size(); ++chunk) {
    StreamFramer f(size);
    EXPECT_EQ(frame(input, size, chunk, &f), input.size()) << chunk;
    EXPECT_FALSE(f.failed());
    EXPECT_EQ(f.depth(), 0u);
    StreamFramer g(size - 1);
    // The first stanza's last byte is the first one over a limit one smaller.
    EXPECT_EQ(frame(input, size - 1, chunk, &g), kHead.size() + size - 1) << chunk;
    EXPECT_TRUE(g.failed());
    EXPECT_NE(g.error().find("stanza"), std::string::npos);
  }
}

TEST(StreamFramer, TracksDepthThroughCommentsPisAndCdata) {
  const std::string input = kHead + "<a><!-- <b> --><?p <c>?><![CDATA[<d>]]><e/></a><f>";
  StreamFramer f(1000);
  EXPECT_EQ(frame(input, 1000, 1, &f), input.size());
  EXPECT_EQ(f.depth(), 2u);  // inside <s:s> and <f>
}

TEST(StreamFramer, BoundsTheHeaderAndTextBetweenStanzas) {
  StreamFramer f(10);
  EXPECT_EQ(frame(kHead, 10, 4, &f), 10u);
  EXPECT_NE(f.error().find("header"), std::string::npos);
  const std::string spaces = kHead + "<a/>" + std::string(30, ' ') + "<a/>";
  StreamFramer g(20);
  EXPECT_EQ(frame(spaces, 20, 1, &g), kHead.size() + 4 + 20);  // 30 spaces do not fit in 20...
  StreamFramer h(30);
  EXPECT_EQ(frame(spaces, 30, 3, &h), spaces.size());  // ...exactly 30 spaces fit
  StreamFramer k(29);
  EXPECT_EQ(frame(spaces, 29, 3, &k), kHead.size() + 4 + 29);
  EXPECT_NE(k.error().find("between stanzas"), std::string::npos);
}

TEST(StreamFramer, RefusesDeclarationsRightAfterTheirBang) {
  for (const std::string decl : {"<!DOCTYPE s>", "<!ENTITY x 'y'>", "<![INCLUDE[", "<!-x->"}) {
    const std::string input = "<?xml version='1.0'?><!-- ok --><![CDATA[ok]]>" + decl;
    for (size_t chunk = 1; chunk <= input.size(); ++chunk) {
      StreamFramer f(1000);
      const size_t bang = input.rfind("<!") + 2;
      const size_t stop = decl.starts_with("<![") ? bang + 1 : decl == "<!-x->" ? bang + 1 : bang;
      EXPECT_EQ(frame(input, 1000, chunk, &f), stop) << decl << " chunk " << chunk;
      EXPECT_STREQ(f.condition(), "restricted-xml");
    }
  }
}

}  // namespace
}  // namespace commonroom::xmpp::detail
