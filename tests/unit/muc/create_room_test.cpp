// Creating rooms (XEP-0045 §10.1): 201, locked until configured, instant and reserved
// rooms, cancellation, and who may create rooms at all.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

const std::string kInstant =
    "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
    "type='submit'/></query>";

}  // namespace

TEST(CreateRoom, AcknowledgesCreationWithStatus201AndMakesTheCreatorOwner) {
  // §10.1.1, Examples 153-154.
  RoomHarness room;
  Stanzas out = room.join(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  ASSERT_THAT(out, SizeIs(2)) << str(out);
  EXPECT_THAT(out[0], From("coven@chat.shakespeare.lit/firstwitch"));
  EXPECT_THAT(out[0], To(kCrone));
  EXPECT_THAT(out[0], HasItem("owner", "moderator"));
  EXPECT_THAT(out[0], HasStatuses(std::vector<int>{100, 110, 170, 201}));
  EXPECT_EQ(out[1].name(), "message");  // the (empty) subject closes the sequence
  ASSERT_THAT(room.effects().events, SizeIs(2));
  EXPECT_EQ(room.effects().events[0].kind, RoomEventKind::room_created);
  EXPECT_EQ(room.effects().events[0].actor_jid, kCrone);
}

TEST(CreateRoom, KeepsTheRoomLockedUntilTheOwnerConfiguresIt) {
  // §7.2.10: item-not-found while locked; §10.1.2: an empty submit opens an instant room.
  RoomHarness room;
  room.join(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  Stanzas refused = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  ASSERT_THAT(refused, SizeIs(1));
  EXPECT_THAT(refused[0], IsError("cancel/item-not-found"));
  Stanzas info =
      room.iq(kHag, kCoven, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  EXPECT_THAT(info.at(0), IsError("cancel/item-not-found"));
  Stanzas said = room.say(kHag, kCoven, "hello?");
  EXPECT_THAT(said.at(0), IsError("cancel/item-not-found"));

  Stanzas unlocked = room.iq(kCrone, kCoven, "set", kInstant, "create1");
  ASSERT_THAT(unlocked, SizeIs(1)) << str(unlocked);
  EXPECT_EQ(str(unlocked[0]),
            "<iq to='crone1@shakespeare.lit/desktop' from='coven@chat.shakespeare.lit' "
            "id='create1' type='result'/>");
  Stanzas joined = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  EXPECT_THAT(sent_to(joined, kHag), SizeIs(3));
}

TEST(CreateRoom, OffersTheConfigurationFormForAReservedRoom) {
  // §10.1.3, Examples 156-159.
  RoomHarness room;
  room.join(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  Stanzas form =
      room.iq(kCrone, kCoven, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  ASSERT_THAT(form, SizeIs(1));
  EXPECT_THAT(form[0], IsResult());
  const Element* x = form[0]
                         .find_child("query", commonroom::xmpp::ns::muc_owner)
                         ->find_child("x", commonroom::xmpp::ns::data_forms);
  ASSERT_NE(x, nullptr);
  auto parsed = commonroom::xmpp::parse_data_form(*x);
  EXPECT_EQ(parsed.form_type(), "http://jabber.org/protocol/muc#roomconfig");
  Stanzas done = room.configure(kCrone, kCoven, {{"muc#roomconfig_roomname", {"A Dark Cave"}}});
  EXPECT_THAT(done.at(0), IsResult());
  EXPECT_THAT(room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch"), SizeIs(4));
}

TEST(CreateRoom, DestroysTheRoomWhenTheOwnerCancelsTheInitialConfiguration) {
  // §10.1.3: cancelling destroys the room; the owner gets unavailable presence.
  RoomHarness room;
  room.join(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  Stanzas out = room.iq(kCrone, kCoven, "set",
                        "<query xmlns='http://jabber.org/protocol/muc#owner'><x "
                        "xmlns='jabber:x:data' type='cancel'/></query>");
  ASSERT_THAT(out, SizeIs(2)) << str(out);
  EXPECT_THAT(out[0], IsResult());
  EXPECT_THAT(out[1], IsUnavailable());
  ASSERT_NE(muc_user_x(out[1])->find_child("destroy", commonroom::xmpp::ns::muc_user), nullptr);
  EXPECT_TRUE(room.service().rooms().empty());
}

TEST(CreateRoom, DestroysTheRoomWhenTheCreatorLeavesBeforeConfiguring) {
  // §10.1.3: the presence to the owner carries <destroy/>.
  RoomHarness room;
  room.join(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  Stanzas out = room.leave(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], HasStatus(110));
  EXPECT_NE(muc_user_x(out[0])->find_child("destroy", commonroom::xmpp::ns::muc_user), nullptr);
  EXPECT_TRUE(room.service().rooms().empty());
  // The name is free again: the next join creates a new room.
  EXPECT_THAT(room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch").at(0), HasStatus(201));
}

TEST(CreateRoom, RefusesCreationThePolicyForbidsWithNotAllowed) {
  // §10.1.1, Example 152.
  struct StaffOnly : PermissivePolicy {
    Verdict may_create_room(const commonroom::xmpp::Jid& who, const commonroom::xmpp::Jid&,
                            bool) const override {
      if (who.bare_str() == "crone1@shakespeare.lit") return Verdict::allow();
      return Verdict::deny("only staff may create rooms");
    }
  };
  RoomHarness room(default_config(), std::make_shared<StaffOnly>());
  Stanzas out = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("cancel/not-allowed"));
  EXPECT_NE(str(out[0]).find("only staff may create rooms"), std::string::npos);
  EXPECT_TRUE(room.service().rooms().empty());
  EXPECT_THAT(room.join(kCrone, "coven@chat.shakespeare.lit/firstwitch").at(0), HasStatus(201));
}

TEST(CreateRoom, AsksThePolicyAgainWhenARoomIsMadePersistent) {
  struct NoPersistentRooms : PermissivePolicy {
    Verdict may_create_room(const commonroom::xmpp::Jid&, const commonroom::xmpp::Jid&,
                            bool persistent) const override {
      return persistent ? Verdict::deny("persistent rooms are for colleges") : Verdict::allow();
    }
  };
  RoomHarness room(default_config(), std::make_shared<NoPersistentRooms>());
  room.create_coven();
  Stanzas out = room.configure(kCrone, kCoven, {{"muc#roomconfig_persistentroom", {"1"}}});
  EXPECT_THAT(out.at(0), IsError("modify/not-acceptable"));
}

TEST(CreateRoom, LetsOnlyOwnersIntoALockedRoom) {
  RoomHarness room;
  room.join(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  // The owner's other client may come in (it is the owner).
  Stanzas second = room.join("crone1@shakespeare.lit/laptop", "coven@chat.shakespeare.lit/crone");
  EXPECT_FALSE(sent_to(second, "crone1@shakespeare.lit/laptop").empty());
  EXPECT_NE(error_of(second.at(0)), "cancel/item-not-found");
}
