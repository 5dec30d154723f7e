// XEP-0313 answers built from archive pages (muc/mam_result): the <result/>s in order, the
// <fin/> with RSM, and archived messages given back as occupants saw them.
#include "muc/mam_result.hpp"
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

MamQuery query() {
  MamQuery q;
  q.room = "coven@chat.shakespeare.lit";
  q.requester = "hag66@shakespeare.lit/pda";
  q.iq_id = "mam1";
  q.query_id = "f27";
  return q;
}

ArchivedMessage message(std::string id, std::string nick, std::string body, std::string raw = {}) {
  return ArchivedMessage{std::move(id),   spec_time(),    std::move(nick),
                         std::move(body), std::move(raw), ""};
}

const Element& inner_message(const Element& result) {
  return *result.find_child("result", commonroom::xmpp::ns::mam)
              ->find_child("forwarded", "urn:xmpp:forward:0")
              ->find_child("message", commonroom::xmpp::ns::client);
}

}  // namespace

TEST(MamResult, SendsEachMessageAsAForwardedResultThenTheFinWithRsm) {
  // XEP-0313 examples 3-4 (a MUC archive): results carry queryid and the archive id.
  MamPage page;
  page.items = {
      message("28482-98726-73623", "firstwitch", "Thrice the brinded cat hath mew'd."),
      message("09af3-cc343-b409f", "secondwitch", "Thrice and once the hedge-pig whined.")};
  page.complete = true;
  page.count = 2;
  page.first_index = 0;
  Stanzas out = mam_response(query(), page);
  ASSERT_THAT(out, SizeIs(3));
  EXPECT_EQ(str(out[0]),
            "<message from='coven@chat.shakespeare.lit' to='hag66@shakespeare.lit/pda'>"
            "<result xmlns='urn:xmpp:mam:2' queryid='f27' id='28482-98726-73623'>"
            "<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
            "stamp='2002-10-13T23:58:37Z'/><message xmlns='jabber:client' "
            "from='coven@chat.shakespeare.lit/firstwitch' type='groupchat' "
            "id='28482-98726-73623'><body>Thrice the brinded cat hath mew'd.</body>"
            "<stanza-id xmlns='urn:xmpp:sid:0' id='28482-98726-73623' "
            "by='coven@chat.shakespeare.lit'/></message></forwarded></result></message>");
  EXPECT_EQ(str(out[2]),
            "<iq from='coven@chat.shakespeare.lit' to='hag66@shakespeare.lit/pda' id='mam1' "
            "type='result'><fin xmlns='urn:xmpp:mam:2' complete='true'><set "
            "xmlns='http://jabber.org/protocol/rsm'><first index='0'>28482-98726-73623</first>"
            "<last>09af3-cc343-b409f</last><count>2</count></set></fin></iq>");
}

TEST(MamResult, FlipPageReversesTheResultsButNotRsmFirstAndLast) {
  MamQuery q = query();
  q.flip_page = true;
  MamPage page;
  page.items = {message("a", "x", "one"), message("b", "y", "two")};
  Stanzas out = mam_response(q, page);
  ASSERT_THAT(out, SizeIs(3));
  EXPECT_EQ(inner_message(out[0]).attr("id"), "b");
  EXPECT_EQ(inner_message(out[1]).attr("id"), "a");
  EXPECT_NE(str(out[2]).find("<first>a</first><last>b</last>"), std::string::npos) << str(out[2]);
  EXPECT_EQ(str(out[2]).find("complete="), std::string::npos) << "more pages follow";
}

TEST(MamResult, GivesBackTheMessageAsOccupantsSawItFromTheLoggedStanza) {
  // The sender's stanza as logged: a thread, a reply (XEP-0461), and things only the room
  // may set - a forged stanza-id, muc#user, an occupant-id - which must not come back.
  std::string raw =
      "<message xmlns='jabber:component:accept' from='crone1@shakespeare.lit/desktop' "
      "to='coven@chat.shakespeare.lit' type='groupchat' id='b4va73n0'>"
      "<thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread>"
      "<body>Thrice the brinded cat hath mew'd.</body>"
      "<reply xmlns='urn:xmpp:reply:0' to='coven@chat.shakespeare.lit/secondwitch' id='x1'/>"
      "<stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='coven@chat.shakespeare.lit'/>"
      "<x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/></x>"
      "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/></message>";
  MamPage page;
  page.items = {message("s1", "firstwitch", "Thrice the brinded cat hath mew'd.", raw)};
  Stanzas out = mam_response(query(), page);
  ASSERT_THAT(out, SizeIs(2));
  EXPECT_EQ(str(inner_message(out[0])),
            "<message xmlns='jabber:client' from='coven@chat.shakespeare.lit/firstwitch' "
            "type='groupchat' id='s1'><thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread>"
            "<body>Thrice the brinded cat hath mew'd.</body><reply xmlns='urn:xmpp:reply:0' "
            "to='coven@chat.shakespeare.lit/secondwitch' id='x1'/><stanza-id "
            "xmlns='urn:xmpp:sid:0' id='s1' by='coven@chat.shakespeare.lit'/></message>");
  EXPECT_EQ(str(out[0]).find("crone1@shakespeare.lit"), std::string::npos)
      << "the sender's real JID is not in the archive answer";
}

TEST(MamResult, FallsBackToNickAndBodyWhenTheLoggedStanzaCannotBeRead) {
  MamPage page;
  page.items = {message("s2", "firstwitch", "hello", "<message><body>unterminated")};
  Stanzas out = mam_response(query(), page);
  EXPECT_EQ(str(inner_message(out[0])),
            "<message xmlns='jabber:client' from='coven@chat.shakespeare.lit/firstwitch' "
            "type='groupchat' id='s2'><body>hello</body><stanza-id xmlns='urn:xmpp:sid:0' "
            "id='s2' by='coven@chat.shakespeare.lit'/></message>");
}

TEST(MamResult, AnErrorEndsTheQueryWithTheIqError) {
  Element e = mam_error(query(), commonroom::xmpp::StanzaError::item_not_found("no such message"));
  EXPECT_EQ(e.attr("type"), "error");
  EXPECT_EQ(e.attr("id"), "mam1");
  EXPECT_THAT(e, IsError("cancel/item-not-found"));
}
