// XEP-0313 on rooms: the engine checks who may read and parses the query; the shell answers.
#include "muc/mam_result.hpp"
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

RoomServiceConfig with_mam() {
  RoomServiceConfig c = default_config();
  c.mam = true;
  return c;
}

const char* kQuery =
    "<query xmlns='urn:xmpp:mam:2' queryid='f27'><x xmlns='jabber:x:data' type='submit'>"
    "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>"
    "<field var='start'><value>2010-06-07T00:00:00Z</value></field>"
    "<field var='with'><value>coven@chat.shakespeare.lit/firstwitch</value></field></x>"
    "<set xmlns='http://jabber.org/protocol/rsm'><max>10</max></set></query>";

}  // namespace

TEST(Mam, HandsAnAcceptedQueryToTheShell) {
  RoomHarness room(with_mam());
  room.create_coven();
  Stanzas out = room.iq(kHag, kCoven, "set", kQuery, "juliet1");
  EXPECT_TRUE(out.empty());  // the shell sends the results and the <fin/>
  ASSERT_THAT(room.effects().mam_queries, SizeIs(1));
  const MamQuery& q = room.effects().mam_queries[0];
  EXPECT_EQ(q.room, kCoven);
  EXPECT_EQ(q.requester, kHag);
  EXPECT_EQ(q.iq_id, "juliet1");
  EXPECT_EQ(q.query_id, "f27");
  EXPECT_EQ(q.with, "coven@chat.shakespeare.lit/firstwitch");
  EXPECT_EQ(q.start, parse_timestamp("2010-06-07T00:00:00Z"));
  EXPECT_EQ(q.rsm.max, 10u);
}

TEST(Mam, RefusesNonMembersOfAMembersOnlyRoom) {
  RoomHarness room(with_mam());
  room.create_coven({{"muc#roomconfig_membersonly", {"1"}}});
  EXPECT_THAT(room.iq(kHag, kCoven, "set", kQuery).at(0), IsError("auth/forbidden"));
  EXPECT_TRUE(room.effects().mam_queries.empty());
}

TEST(Mam, RefusesMalformedDatesAndUnknownFields) {
  RoomHarness room(with_mam());
  room.create_coven();
  EXPECT_THAT(room.iq(kHag, kCoven, "set",
                      "<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'>"
                      "<field var='start'><value>yesterday</value></field></x></query>")
                  .at(0),
              IsError("modify/bad-request"));
  EXPECT_THAT(room.iq(kHag, kCoven, "set",
                      "<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'>"
                      "<field var='fulltext'><value>potion</value></field></x></query>")
                  .at(0),
              IsError("cancel/feature-not-implemented"));
}

TEST(Mam, OffersTheQueryForm) {
  RoomHarness room(with_mam());
  room.create_coven();
  Stanzas out = room.iq(kHag, kCoven, "get", "<query xmlns='urn:xmpp:mam:2'/>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsResult());
}

TEST(Mam, AnswersServiceUnavailableWhenNoArchiveIsServed) {
  RoomHarness room;
  room.create_coven();
  EXPECT_THAT(room.iq(kHag, kCoven, "set", kQuery).at(0), IsError("cancel/service-unavailable"));
}

TEST(Mam, ArchivedMessagesCarryTheSameOccupantIdAsTheLiveOnes) {
  // XEP-0421 §5: the occupant-id is on every message the room sends, MAM results included.
  RoomHarness room(with_mam());
  room.create_coven();
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas live = room.say(kHag, kCoven, "Eye of newt");
  Element reflected = sent_to(live, kHag).at(0);
  const Element* live_id = reflected.find_child("occupant-id", commonroom::xmpp::ns::occupant_id);
  ASSERT_NE(live_id, nullptr);

  room.iq(kHag, kCoven, "set", kQuery, "juliet1");
  ASSERT_THAT(room.effects().mam_queries, SizeIs(1));
  MamQuery q = room.effects().mam_queries[0];
  MamPage page;
  page.items = {
      ArchivedMessage{"sid-1", room.now, "thirdwitch", "Eye of newt", "", "hag66@shakespeare.lit"}};
  page.complete = true;
  std::vector<Element> results = mam_response(q, page);
  const Element& inner = *results.at(0)
                              .find_child("result", commonroom::xmpp::ns::mam)
                              ->find_child("forwarded", "urn:xmpp:forward:0")
                              ->find_child("message", commonroom::xmpp::ns::client);
  const Element* archived_id = inner.find_child("occupant-id", commonroom::xmpp::ns::occupant_id);
  ASSERT_NE(archived_id, nullptr) << str(results.at(0));
  EXPECT_EQ(archived_id->attr("id"), live_id->attr("id"));
}
