// Persistent rooms as the shell stores them: snapshots in Effects::saves, deletions, and
// RoomService::restore at start.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {}  // namespace

TEST(Persistence, SavesAPersistentRoomWhenItsDurableStateChanges) {
  RoomHarness room;
  room.create_coven();
  EXPECT_TRUE(room.effects().saves.empty());  // temporary rooms are not stored
  room.configure(
      kCrone, kCoven,
      {{"muc#roomconfig_persistentroom", {"1"}}, {"muc#roomconfig_roomname", {"A Dark Cave"}}});
  ASSERT_THAT(room.effects().saves, SizeIs(1));
  const RoomSnapshot& s = room.effects().saves[0];
  EXPECT_EQ(s.jid, kCoven);
  EXPECT_EQ(s.config.name, "A Dark Cave");
  EXPECT_TRUE(s.config.persistent);
  EXPECT_EQ(s.created_by, "crone1@shakespeare.lit");
  ASSERT_THAT(s.affiliations, SizeIs(1));
  EXPECT_EQ(s.affiliations[0],
            (AffiliationRecord{"crone1@shakespeare.lit", Affiliation::owner, "", ""}));
  // Affiliation changes and subject changes are saved too.
  room.admin(
      kCrone, kCoven,
      "<item affiliation='outcast' jid='puck@shakespeare.lit'><reason>pranks</reason></item>");
  ASSERT_THAT(room.effects().saves, SizeIs(1));
  EXPECT_THAT(room.effects().saves[0].affiliations, SizeIs(2));
  room.send(
      "<message from='crone1@shakespeare.lit/desktop' to='coven@chat.shakespeare.lit' "
      "type='groupchat'><subject>Spells</subject></message>");
  ASSERT_THAT(room.effects().saves, SizeIs(1));
  EXPECT_EQ(room.effects().saves[0].subject, "Spells");
  EXPECT_EQ(room.effects().saves[0].subject_nick, "firstwitch");
}

TEST(Persistence, DeletesTheStoredRoomWhenItIsMadeTemporary) {
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_persistentroom", {"1"}}});
  room.configure(kCrone, kCoven, {{"muc#roomconfig_persistentroom", {"0"}}});
  EXPECT_EQ(room.effects().deletions, (std::vector<std::string>{std::string(kCoven)}));
  EXPECT_TRUE(room.effects().saves.empty());
}

TEST(Persistence, ARestoredRoomKeepsItsConfigurationAffiliationsSubjectAndOccupantIds) {
  RoomHarness first;
  first.create_coven({{"muc#roomconfig_persistentroom", {"1"}},
                      {"muc#roomconfig_membersonly", {"1"}},
                      {"muc#roomconfig_roomname", {"A Dark Cave"}}});
  first.admin(kCrone, kCoven,
              "<item affiliation='member' jid='hag66@shakespeare.lit' nick='thirdwitch'/>");
  first.send(
      "<message from='crone1@shakespeare.lit/desktop' to='coven@chat.shakespeare.lit' "
      "type='groupchat'><subject>Spells</subject></message>");
  RoomSnapshot saved = first.effects().saves.at(0);
  Stanzas joined_before = first.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  std::string occupant_id(sent_to(joined_before, kCrone)
                              .at(0)
                              .find_child("occupant-id", commonroom::xmpp::ns::occupant_id)
                              ->attr("id"));

  RoomHarness second;  // a restarted service
  second.service().restore(saved);
  ASSERT_THAT(second.service().rooms(), SizeIs(1));
  EXPECT_EQ(second.service().snapshot(std::string(kCoven)), saved);
  EXPECT_THAT(
      second.join("hecate@shakespeare.lit/broom", "coven@chat.shakespeare.lit/hecate").at(0),
      IsError("auth/registration-required"));
  Stanzas joined = second.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas to_hag = sent_to(joined, kHag);
  ASSERT_THAT(to_hag, SizeIs(2)) << str(joined);
  EXPECT_THAT(to_hag[0], HasItem("member", "participant"));
  EXPECT_EQ(to_hag[0].find_child("occupant-id", commonroom::xmpp::ns::occupant_id)->attr("id"),
            occupant_id);
  EXPECT_EQ(to_hag[1].child_text("subject", commonroom::xmpp::ns::component_accept), "Spells");
  // The owner can still configure it.
  Stanzas cfg =
      second.iq(kCrone, kCoven, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  EXPECT_THAT(cfg.at(0), IsResult());
}

TEST(Persistence, DescribesRoomsForTheAdminWeb) {
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_roomname", {"A Dark Cave"}}});
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  auto rooms = room.service().rooms();
  ASSERT_THAT(rooms, SizeIs(1));
  EXPECT_EQ(rooms[0].jid, kCoven);
  EXPECT_EQ(rooms[0].name, "A Dark Cave");
  EXPECT_EQ(rooms[0].occupants, 2u);
  EXPECT_FALSE(rooms[0].locked);
}
