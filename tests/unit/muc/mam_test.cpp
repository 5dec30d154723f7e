// XEP-0313 on rooms: the engine checks who may read and parses the query; the shell answers.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

constexpr const char* kHag = "hag66@shakespeare.lit/pda";

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
