#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "xmpp/jid.hpp"

using commonroom::xmpp::Jid;
using commonroom::xmpp::JidError;
using commonroom::xmpp::nameprep;
using commonroom::xmpp::nodeprep;
using commonroom::xmpp::resourceprep;

namespace {

std::string parse_error(std::string_view text) {
  std::string error;
  EXPECT_FALSE(Jid::try_parse(text, &error)) << "accepted: " << text;
  return error;
}

// A host name of exactly `bytes` bytes made of labels no longer than 63.
std::string domain_of_length(size_t bytes) {
  std::string out;
  while (out.size() < bytes) {
    if (!out.empty()) out += '.';
    size_t room = bytes - out.size();
    // Never leave exactly one byte for a label that would need a dot before it.
    size_t label = std::min<size_t>(63, room);
    if (room > 63 && room - 63 == 1) label = 61;
    out.append(label, 'a');
  }
  return out;
}

}  // namespace

TEST(Jid, SplitsNodeDomainAndResource) {
  Jid j = Jid::parse("juliet@example.com/balcony");
  EXPECT_EQ(j.node(), "juliet");
  EXPECT_EQ(j.domain(), "example.com");
  EXPECT_EQ(j.resource(), "balcony");
  EXPECT_EQ(j.full(), "juliet@example.com/balcony");
  EXPECT_EQ(j.bare_str(), "juliet@example.com");
  EXPECT_FALSE(j.is_bare());
  EXPECT_TRUE(j.has_node());
}

TEST(Jid, AcceptsDomainOnlyAndDomainWithResource) {
  Jid d = Jid::parse("conference.cam.example");
  EXPECT_FALSE(d.has_node());
  EXPECT_TRUE(d.is_bare());
  EXPECT_EQ(d.full(), "conference.cam.example");
  Jid r = Jid::parse("conference.cam.example/admin");
  EXPECT_EQ(r.domain(), "conference.cam.example");
  EXPECT_EQ(r.resource(), "admin");
  EXPECT_EQ(r.bare_str(), "conference.cam.example");
}

TEST(Jid, ResourceIsEverythingAfterTheFirstSlashIncludingAtAndSlashes) {
  Jid a = Jid::parse("example.com/foo@bar");
  EXPECT_FALSE(a.has_node());
  EXPECT_EQ(a.domain(), "example.com");
  EXPECT_EQ(a.resource(), "foo@bar");

  Jid b = Jid::parse("juliet@example.com/foo/bar@baz/qux");
  EXPECT_EQ(b.node(), "juliet");
  EXPECT_EQ(b.resource(), "foo/bar@baz/qux");
}

TEST(Jid, NodeIsBeforeTheFirstAtSign) {
  EXPECT_EQ(parse_error("a@b@c"),
            "domain contains a character not allowed in host names '@' (U+0040)");
}

TEST(Jid, CaseFoldsNodeAndDomainButNotResource) {
  Jid j = Jid::parse("Juliet@Example.COM/Balcony");
  EXPECT_EQ(j.full(), "juliet@example.com/Balcony");
  EXPECT_NE(Jid::parse("juliet@example.com/balcony"), j);
  EXPECT_TRUE(Jid::parse("JULIET@example.com/x").same_bare(j));
}

TEST(Jid, PreparesNonAsciiNodes) {
  EXPECT_EQ(Jid::parse("\xC3\x84pfel@Example.COM").full(), "\xC3\xA4pfel@example.com");
  // Nodeprep case-folds with NFKC: sharp s becomes "ss", the Kelvin sign a plain k.
  EXPECT_EQ(Jid::parse("Stra\xC3\x9F"
                       "e@example.com")
                .node(),
            "strasse");
  EXPECT_EQ(Jid::parse("\xE2\x84\xAA@example.com").node(), "k");
  // Greek and Cyrillic upper case fold too.
  EXPECT_EQ(
      Jid::parse("\xCE\x9F\xCE\x94\xCE\xA5\xCE\xA3\xCE\xA3\xCE\x95\xCE\xA5\xCE\xA3@example.com")
          .node(),
      "\xCE\xBF\xCE\xB4\xCF\x85\xCF\x83\xCF\x83\xCE\xB5\xCF\x85\xCF\x83");
}

TEST(Jid, MapsIgnorableCharactersToNothing) {
  // U+00AD SOFT HYPHEN is in RFC 3454 table B.1.
  EXPECT_EQ(Jid::parse("ju\xC2\xADliet@example.com").node(), "juliet");
  EXPECT_EQ(parse_error("\xC2\xAD@example.com"), "node is empty after preparation");
}

TEST(Jid, RejectsEachProhibitedAsciiCharacterInTheNode) {
  for (std::string c : {"\"", "&", "'", ":", "<", ">", " "}) {
    std::string error = parse_error("a" + c + "b@example.com");
    EXPECT_TRUE(error.starts_with("node contains a prohibited character U+00")) << error;
  }
  EXPECT_EQ(parse_error("a b@example.com"), "node contains a prohibited character U+0020");
  // '@' and '/' cannot reach the node through parse(); from_parts() still checks them.
  EXPECT_THROW(Jid::from_parts("a@b", "example.com"), JidError);
  EXPECT_THROW(Jid::from_parts("a/b", "example.com"), JidError);
}

TEST(Jid, RejectsProhibitedNonAsciiCharacters) {
  // U+1680 OGHAM SPACE MARK (table C.1.2) survives NFKC, so it is reported as itself.
  EXPECT_EQ(parse_error("a\xE1\x9A\x80"
                        "b@example.com"),
            "node contains a prohibited character U+1680");
  EXPECT_EQ(parse_error("a@example.com/x\xE1\x9A\x80y"),
            "resource contains a prohibited character U+1680");
  // U+2028 LINE SEPARATOR (C.2.2).
  EXPECT_EQ(parse_error("a@example.com/x\xE2\x80\xA8y"),
            "resource contains a prohibited character U+2028");
  // A private-use code point (C.3) in the node.
  EXPECT_EQ(parse_error("a\xEE\x80\x80@example.com"),
            "node contains a prohibited character U+E000");
  // U+00A0 NO-BREAK SPACE is normalised to a space first: prohibited in nodes (the message
  // names the normalised character), an ordinary space in resources.
  EXPECT_EQ(parse_error("a\xC2\xA0"
                        "b@example.com"),
            "node contains a prohibited character U+0020");
  EXPECT_EQ(Jid::parse("a@example.com/x\xC2\xA0y").resource(), "x y");
}

TEST(Jid, RejectsUnassignedCodePoints) {
  // U+0378 is unassigned in Unicode 3.2, the version stringprep is frozen at.
  EXPECT_EQ(parse_error("a\xCD\xB8@example.com"), "node contains an unassigned code point U+0378");
}

TEST(Jid, RejectsMixedDirectionText) {
  // Hebrew alef followed by a Latin letter violates RFC 3454 §6.
  EXPECT_EQ(parse_error("\xD7\x90"
                        "a@example.com"),
            "node mixes right-to-left and left-to-right text (RFC 3454 section 6)");
  EXPECT_NO_THROW(Jid::parse("\xD7\x90\xD7\x91@example.com"));
}

TEST(Jid, AppliesTheBidiRuleToEachDomainLabelAsIdnaDoes) {
  // A Hebrew label under a Latin top-level domain is a valid IDN (RFC 3490 applies nameprep
  // per label); found by fuzz_jid: its xn-- form was accepted and decoded, the decoded form
  // refused, so a prepared JID did not prepare again.
  Jid ace = Jid::parse("a@xn--4dbrk0ce.example");
  Jid unicode = Jid::parse(std::string(ace.full()));
  EXPECT_EQ(unicode, ace);
  EXPECT_EQ(Jid::parse("xn--FeBCAJ.exxn--pl.").full(), Jid::parse("xn--febcaj.exxn--pl").full());
  // Within one label the rule still holds.
  EXPECT_THROW(Jid::parse("a@\xD7\x90"
                          "a.example"),
               JidError);
  // An xn-- label standing for a code point stringprep does not know is refused as the
  // Unicode form is.
  EXPECT_EQ(parse_error("a@xn--mxf"), "domain contains an unassigned code point U+1B9E");
  // Numbers joined by ideographic dots are an IPv4 address like any other.
  EXPECT_EQ(parse_error("a@1\xEF\xBD\xA1"
                        "2.3.4444"),
            "domain is not a valid IPv4 address");
  EXPECT_EQ(Jid::parse("a@127\xE3\x80\x82"
                       "0.0.1")
                .full(),
            "a@127.0.0.1");
  // The ideographic full stop separates labels like a dot.
  EXPECT_EQ(Jid::parse("a@b\xE3\x80\x82"
                       "example")
                .full(),
            "a@b.example");
}

TEST(Jid, RejectsControlCharactersInTheResource) {
  EXPECT_EQ(parse_error("a@example.com/x\x01y"), "resource contains a prohibited character U+0001");
  EXPECT_EQ(parse_error(std::string("a@example.com/x\0y", 17)),
            "resource contains a prohibited character U+0000");
  EXPECT_EQ(parse_error("a@example.com/x\x7fy"), "resource contains a prohibited character U+007F");
}

TEST(Jid, KeepsSpacesAndUnicodeInResources) {
  Jid j = Jid::parse(
      "room@conference.cam.example/Hag 66 \xE2\x99\x9A \xC3\x9C"
      "ber");
  EXPECT_EQ(j.resource(),
            "Hag 66 \xE2\x99\x9A \xC3\x9C"
            "ber");
  // Resourceprep applies NFKC: the ligature U+FB01 becomes "fi".
  EXPECT_EQ(Jid::parse("a@b.example/\xEF\xAC\x81ne").resource(), "fine");
}

TEST(Jid, RejectsInvalidUtf8InEveryPart) {
  EXPECT_EQ(parse_error("a\xFF"
                        "b@example.com"),
            "node is not valid UTF-8");
  EXPECT_EQ(parse_error("a@exa\xC3mple.com"), "domain is not valid UTF-8");
  EXPECT_EQ(parse_error("a@example.com/r\xE2\x82"), "resource is not valid UTF-8");
  // An overlong encoding of '/' and an encoded surrogate are not UTF-8 either.
  EXPECT_EQ(parse_error("a\xC0\xAF"
                        "b@example.com"),
            "node is not valid UTF-8");
  EXPECT_EQ(parse_error("a@example.com/\xED\xA0\x80"), "resource is not valid UTF-8");
}

TEST(Jid, ReportsWhichPartIsEmpty) {
  EXPECT_EQ(parse_error(""), "JID is empty");
  EXPECT_EQ(parse_error("@example.com"), "node is empty (nothing before '@')");
  EXPECT_EQ(parse_error("juliet@"), "domain is empty");
  EXPECT_EQ(parse_error("juliet@/r"), "domain is empty");
  EXPECT_EQ(parse_error("/r"), "domain is empty");
  EXPECT_EQ(parse_error("juliet@example.com/"), "resource is empty (nothing after '/')");
  EXPECT_EQ(parse_error("."), "domain is empty");
}

TEST(Jid, AllowsParts1023BytesLongAndRejects1024) {
  std::string node(1023, 'n');
  std::string resource(1023, 'r');
  std::string domain = domain_of_length(1023);
  ASSERT_EQ(domain.size(), 1023u);
  Jid j = Jid::parse(node + "@" + domain + "/" + resource);
  EXPECT_EQ(j.node().size(), 1023u);
  EXPECT_EQ(j.domain().size(), 1023u);
  EXPECT_EQ(j.resource().size(), 1023u);

  EXPECT_EQ(parse_error(node + "n@example.com"),
            "node exceeds 1023 bytes after preparation (1024 bytes)");
  EXPECT_EQ(parse_error("a@example.com/" + resource + "r"),
            "resource exceeds 1023 bytes after preparation (1024 bytes)");
  std::string long_domain = domain_of_length(1024);
  ASSERT_EQ(long_domain.size(), 1024u);
  EXPECT_EQ(parse_error("a@" + long_domain),
            "domain exceeds 1023 bytes after preparation (1024 bytes)");
  // Huge input is refused before any preparation work.
  EXPECT_EQ(parse_error(std::string(100000, 'x') + "@example.com"),
            "node exceeds 1023 bytes (100000 bytes given)");
}

TEST(Jid, CountsTheLimitInBytesOfThePreparedForm) {
  std::string two_byte;
  for (int i = 0; i < 511; ++i) two_byte += "\xC3\xA4";  // 511 x U+00E4 = 1022 bytes
  EXPECT_NO_THROW(Jid::parse(two_byte + "a@example.com"));
  EXPECT_EQ(parse_error(two_byte + "\xC3\xA4@example.com"),
            "node exceeds 1023 bytes after preparation (1024 bytes)");
  // Upper-case input that folds to the same byte count counts after folding.
  std::string upper;
  for (int i = 0; i < 511; ++i) upper += "\xC3\x84";  // U+00C4 folds to U+00E4
  EXPECT_EQ(Jid::parse(upper + "a@example.com").node().size(), 1023u);
}

TEST(Jid, DecodesAndFoldsInternationalizedDomainNames) {
  Jid u = Jid::parse(
      "x@b\xC3\xBC"
      "cher.example");
  Jid a = Jid::parse("x@xn--bcher-kva.example");
  Jid upper = Jid::parse(
      "x@B\xC3\x9C"
      "CHER.Example");
  EXPECT_EQ(u.domain(),
            "b\xC3\xBC"
            "cher.example");
  EXPECT_EQ(a, u);
  EXPECT_EQ(upper, u);
  // Full-width letters and ideographic full stops are mapped by nameprep/UTS #46.
  EXPECT_EQ(Jid::parse("x@\xEF\xBC\xA5\xEF\xBC\xB8.com").domain(), "ex.com");
  EXPECT_EQ(Jid::parse("x@b\xC3\xBC"
                       "cher\xE3\x80\x82"
                       "example")
                .domain(),
            "b\xC3\xBC"
            "cher.example");
  // IDNA2003 maps sharp s to "ss" in domains.
  EXPECT_EQ(Jid::parse("stra\xC3\x9F"
                       "e.example")
                .domain(),
            "strasse.example");
}

TEST(Jid, RejectsInvalidHostNames) {
  EXPECT_EQ(parse_error("a@under_score.example"),
            "domain contains a character not allowed in host names '_' (U+005F)");
  EXPECT_EQ(parse_error("a@-lead.example"), "domain has a label that starts or ends with '-'");
  EXPECT_EQ(parse_error("a@trail-.example"), "domain has a label that starts or ends with '-'");
  EXPECT_EQ(parse_error("a@a..example"), "domain has an empty label");
  EXPECT_EQ(parse_error("a@.example"), "domain has an empty label");
  EXPECT_EQ(parse_error("a@" + std::string(64, 'l') + ".example"),
            "domain has a label longer than 63 bytes");
  EXPECT_NO_THROW(Jid::parse("a@" + std::string(63, 'l') + ".example"));
  EXPECT_EQ(parse_error("a@xn--zz.example"), "domain has an invalid punycode (xn--) label");
  EXPECT_EQ(parse_error("a@exa mple.com"),
            "domain contains a character not allowed in host names U+0020");
  // '--' in positions 3-4 outside xn-- labels is allowed (IDNA2003; real host names).
  EXPECT_EQ(Jid::parse("a@r3--sn-abc.example").domain(), "r3--sn-abc.example");
}

TEST(Jid, StripsOneTrailingDotFromTheDomain) {
  EXPECT_EQ(Jid::parse("juliet@example.com.").full(), "juliet@example.com");
  EXPECT_EQ(Jid::parse("juliet@example.com./balcony").full(), "juliet@example.com/balcony");
  EXPECT_EQ(Jid::parse("example.com."), Jid::parse("example.com"));
  EXPECT_EQ(parse_error("juliet@example.com.."), "domain has an empty label");
}

TEST(Jid, AcceptsIpLiteralsInCanonicalForm) {
  EXPECT_EQ(Jid::parse("a@[::1]/r").domain(), "[::1]");
  EXPECT_EQ(Jid::parse("a@[0:0:0:0:0:0:0:1]"), Jid::parse("a@[::1]"));
  EXPECT_EQ(Jid::parse("[2001:DB8::A]").domain(), "[2001:db8::a]");
  EXPECT_EQ(Jid::parse("a@127.0.0.1").domain(), "127.0.0.1");
  EXPECT_EQ(parse_error("a@[::1"),
            "domain is not a valid IPv6 address literal (expected [address])");
  EXPECT_EQ(parse_error("a@[fe80::1%eth0]"), "domain is not a valid IPv6 address literal");
  EXPECT_EQ(parse_error("a@[example.com]"), "domain is not a valid IPv6 address literal");
  EXPECT_EQ(parse_error("a@256.0.0.1"), "domain is not a valid IPv4 address");
  EXPECT_EQ(parse_error("a@127.0.0.01"), "domain is not a valid IPv4 address");
}

TEST(Jid, PreparedFormsAreStableWhenParsedAgain) {
  for (std::string text : {"\xC3\x84pfel@Example.COM/Ger\xC3\xA4t", "x@xn--bcher-kva.example",
                           "a@[0::1]/r", "room@conference.cam.example/Hag 66",
                           "Stra\xC3\x9F"
                           "e@stra\xC3\x9F"
                           "e.de/\xEF\xAC\x81"}) {
    Jid once = Jid::parse(text);
    EXPECT_EQ(Jid::parse(once.full()), once) << text;
  }
}

TEST(Jid, ComparesPreparedFormsAndBareJids) {
  Jid a = Jid::parse("Juliet@Example.com/balcony");
  Jid b = Jid::parse("juliet@example.com/chamber");
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.same_bare(b));
  EXPECT_EQ(a.bare(), b.bare());
  EXPECT_EQ(a.bare().full(), "juliet@example.com");
  EXPECT_TRUE(a.bare().is_bare());
  EXPECT_FALSE(a.same_bare(Jid::parse("romeo@example.com/balcony")));
  EXPECT_TRUE(b < a || a < b);
  EXPECT_FALSE(a < a);

  std::unordered_set<Jid> set{a, b, Jid::parse("JULIET@EXAMPLE.COM/balcony")};
  EXPECT_EQ(set.size(), 2u);
}

TEST(Jid, WithResourcePreparesTheNewResource) {
  Jid room = Jid::parse("Coven@Conference.Example");
  Jid occupant = room.with_resource("Hag\xEF\xAC\x81");
  EXPECT_EQ(occupant.full(), "coven@conference.example/Hagfi");
  EXPECT_EQ(occupant.bare(), room);
  EXPECT_EQ(occupant.with_resource(""), room);
  EXPECT_THROW(room.with_resource("a\x01"), JidError);
  EXPECT_THROW(Jid().with_resource("x"), JidError);
}

TEST(Jid, FromPartsPreparesEachPart) {
  EXPECT_EQ(Jid::from_parts("Juliet", "Example.COM.", "Balcony").full(),
            "juliet@example.com/Balcony");
  EXPECT_EQ(Jid::from_parts("", "example.com").full(), "example.com");
  EXPECT_EQ(Jid::from_parts("", "example.com", "r").full(), "example.com/r");
  EXPECT_THROW(Jid::from_parts("a", ""), JidError);
  // Resources may contain '/' and '@' when built from parts, exactly as when parsed.
  Jid j = Jid::from_parts("a", "example.com", "x/y@z");
  EXPECT_EQ(Jid::parse(j.full()), j);
}

TEST(Jid, DefaultConstructedIsEmpty) {
  Jid j;
  EXPECT_TRUE(j.empty());
  EXPECT_EQ(j.full(), "");
  EXPECT_EQ(j.node(), "");
  EXPECT_EQ(j.domain(), "");
  EXPECT_EQ(j.resource(), "");
  EXPECT_FALSE(Jid::parse("a.example").empty());
}

TEST(Jid, CopiesShareTheirBuffer) {
  Jid a = Jid::parse("juliet@example.com/balcony");
  Jid b = a;
  EXPECT_EQ(a.full().data(), b.full().data());
  Jid bare = Jid::parse("juliet@example.com");
  EXPECT_EQ(bare.bare().full().data(), bare.full().data());  // bare() of a bare JID is a copy
}

TEST(Jid, TryParseReportsTheError) {
  std::string error;
  EXPECT_FALSE(Jid::try_parse("a b@example.com", &error));
  EXPECT_EQ(error, "node contains a prohibited character U+0020");
  EXPECT_TRUE(Jid::try_parse("a@example.com"));
  EXPECT_FALSE(Jid::try_parse("@"));  // no error string requested
}

TEST(Jid, ExposesTheProfilesForNicknames) {
  EXPECT_EQ(resourceprep("Hag 66"), "Hag 66");
  EXPECT_EQ(nodeprep("UserName"), "username");
  EXPECT_EQ(nameprep("Example.TEST"), "example.test");
  EXPECT_THROW(resourceprep(""), JidError);
  EXPECT_THROW(nodeprep(""), JidError);
  EXPECT_THROW(nameprep(""), JidError);
}

// The ASCII fast paths must agree with ICU: a non-ASCII character in front forces the ICU
// path, so "é" + c must prepare to "é" + prep(c) or fail in both.
TEST(Jid, AsciiFastPathsAgreeWithIcuForEveryAsciiCharacter) {
  const std::string e_acute = "\xC3\xA9";
  for (int c = 0; c < 128; ++c) {
    std::string ch(1, static_cast<char>(c));
    for (auto prep : {&nodeprep, &resourceprep}) {
      std::string fast, slow;
      bool fast_ok = true, slow_ok = true;
      try {
        fast = prep(ch);
      } catch (const JidError&) {
        fast_ok = false;
      }
      try {
        slow = prep(e_acute + ch);
      } catch (const JidError&) {
        slow_ok = false;
      }
      EXPECT_EQ(fast_ok, slow_ok) << "character " << c
                                  << (prep == &nodeprep ? " node" : " resource");
      if (fast_ok && slow_ok) {
        EXPECT_EQ(e_acute + fast, slow) << "character " << c;
      }
    }
    // Domains: "e<c>.example" takes the fast path, "é<c>.example" goes through ICU.
    if (c == '.') continue;
    std::string fast_domain, slow_domain;
    bool fast_ok = true, slow_ok = true;
    try {
      fast_domain = nameprep("e" + ch + ".example");
    } catch (const JidError&) {
      fast_ok = false;
    }
    try {
      slow_domain = nameprep(e_acute + ch + ".example");
    } catch (const JidError&) {
      slow_ok = false;
    }
    EXPECT_EQ(fast_ok, slow_ok) << "domain character " << c;
    if (fast_ok && slow_ok) {
      EXPECT_EQ(e_acute + fast_domain.substr(1), slow_domain) << c;
    }
  }
}

TEST(Jid, ParsesConcurrentlyWithSharedProfiles) {
  const std::string text =
      "\xC3\x84pfel@B\xC3\x9C"
      "CHER.example/Ger\xC3\xA4t";
  const std::string expected =
      "\xC3\xA4pfel@b\xC3\xBC"
      "cher.example/Ger\xC3\xA4t";
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (Jid::parse(text).full() != expected) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}
