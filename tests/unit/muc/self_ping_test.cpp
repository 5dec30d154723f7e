// XEP-0410 self-ping, answered by the room itself (§3.3 server optimization).
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {
const std::string kPing = "<ping xmlns='urn:xmpp:ping'/>";
}

TEST(SelfPing, AnswersAJoinedClientWithAResult) {
  RoomHarness room;
  room.create_coven();
  Stanzas out = room.iq("crone1@shakespeare.lit/desktop", "coven@chat.shakespeare.lit/firstwitch",
                        "get", kPing, "s2c1");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(str(out[0]),
            "<iq to='crone1@shakespeare.lit/desktop' from='coven@chat.shakespeare.lit/firstwitch' "
            "id='s2c1' type='result'/>");
}

TEST(SelfPing, AnswersAClientThatIsNotJoinedWithNotAcceptable) {
  // XEP-0410 Example 2.
  RoomHarness room;
  room.create_coven();
  Stanzas out = room.iq("juliet@capulet.lit/client", "coven@chat.shakespeare.lit/JuliC", "get",
                        kPing, "s2c1");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/not-acceptable"));
  EXPECT_EQ(out[0].find_child("error", commonroom::xmpp::ns::component_accept)->attr("by"), kCoven);
  // The same after leaving, and for another resource of the same user.
  room.join("juliet@capulet.lit/client", "coven@chat.shakespeare.lit/JuliC");
  EXPECT_THAT(
      room.iq("juliet@capulet.lit/other", "coven@chat.shakespeare.lit/JuliC", "get", kPing).at(0),
      IsError("cancel/not-acceptable"));
  room.leave("juliet@capulet.lit/client", "coven@chat.shakespeare.lit/JuliC");
  EXPECT_THAT(
      room.iq("juliet@capulet.lit/client", "coven@chat.shakespeare.lit/JuliC", "get", kPing).at(0),
      IsError("cancel/not-acceptable"));
}

TEST(SelfPing, AnswersAPingToTheRoomItself) {
  RoomHarness room;
  room.create_coven();
  EXPECT_THAT(room.iq("juliet@capulet.lit/client", kCoven, "get", kPing).at(0), IsResult());
}
