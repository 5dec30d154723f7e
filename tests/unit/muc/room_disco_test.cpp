// Discovering a room (XEP-0045 §6.4-6.6, §7.12): features, muc#roominfo, occupants.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

commonroom::xmpp::DiscoInfo info(RoomHarness& room, const char* from = kHag,
                                 std::string node = "") {
  Stanzas out = room.iq(from, kCoven, "get",
                        "<query xmlns='http://jabber.org/protocol/disco#info'" +
                            (node.empty() ? std::string() : " node='" + node + "'") + "/>");
  EXPECT_THAT(out, SizeIs(1));
  EXPECT_THAT(out.at(0), IsResult());
  return commonroom::xmpp::parse_disco_info(
      *out.at(0).find_child("query", commonroom::xmpp::ns::disco_info));
}

std::vector<std::string> items(RoomHarness& room, const char* from) {
  Stanzas out =
      room.iq(from, kCoven, "get", "<query xmlns='http://jabber.org/protocol/disco#items'/>");
  auto parsed = commonroom::xmpp::parse_disco_items(
      *out.at(0).find_child("query", commonroom::xmpp::ns::disco_items));
  std::vector<std::string> jids;
  for (const auto& i : parsed.items) jids.emplace_back(i.jid.full());
  return jids;
}

}  // namespace

TEST(RoomDisco, ReturnsIdentityFeaturesAndRoomInfo) {
  // Examples 6-8.
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_roomname", {"A Dark Cave"}},
                     {"muc#roomconfig_roomdesc", {"The place for all good witches!"}},
                     {"muc#roomconfig_lang", {"en"}},
                     {"muc#roomconfig_publicroom", {"0"}}});
  room.send(
      "<message from='crone1@shakespeare.lit/desktop' to='coven@chat.shakespeare.lit' "
      "type='groupchat'><subject>Spells</subject></message>");
  commonroom::xmpp::DiscoInfo i = info(room);
  ASSERT_THAT(i.identities, SizeIs(1));
  EXPECT_EQ(i.identities[0].category, "conference");
  EXPECT_EQ(i.identities[0].type, "text");
  EXPECT_EQ(i.identities[0].name, "A Dark Cave");
  for (const char* f :
       {"http://jabber.org/protocol/muc", "http://jabber.org/protocol/muc#stable_id", "muc_hidden",
        "muc_temporary", "muc_open", "muc_unmoderated", "muc_nonanonymous", "muc_unsecured",
        "urn:xmpp:sid:0", "urn:xmpp:occupant-id:0",
        "http://jabber.org/protocol/muc#self-ping-optimization", "urn:xmpp:message-moderate:1",
        "jabber:iq:register", "http://jabber.org/protocol/muc#request"}) {
    EXPECT_TRUE(i.has_feature(f)) << f;
  }
  EXPECT_FALSE(i.has_feature("muc_public"));
  EXPECT_FALSE(i.has_feature("urn:xmpp:mam:2"));  // the shell serves no archive here
  const commonroom::xmpp::DataForm* roominfo =
      i.extension("http://jabber.org/protocol/muc#roominfo");
  ASSERT_NE(roominfo, nullptr);
  EXPECT_EQ(roominfo->value("muc#roominfo_description").value_or(""),
            "The place for all good witches!");
  EXPECT_EQ(roominfo->value("muc#roominfo_subject").value_or(""), "Spells");
  EXPECT_EQ(roominfo->value("muc#roominfo_occupants").value_or(""), "1");
  EXPECT_EQ(roominfo->value("muc#roominfo_lang").value_or(""), "en");
  EXPECT_EQ(roominfo->values("muc#roominfo_contactjid"),
            (std::vector<std::string>{"crone1@shakespeare.lit"}));
  EXPECT_EQ(roominfo->bool_value("muc#roomconfig_changesubject"), false);
}

TEST(RoomDisco, ShowsTheRoomTypeFeaturesThatFollowTheConfiguration) {
  RoomHarness room;
  room.create_coven({{"muc#roomconfig_persistentroom", {"1"}},
                     {"muc#roomconfig_moderatedroom", {"1"}},
                     {"muc#roomconfig_membersonly", {"1"}},
                     {"muc#roomconfig_whois", {"moderators"}}});
  commonroom::xmpp::DiscoInfo i = info(room);
  for (const char* f :
       {"muc_public", "muc_persistent", "muc_moderated", "muc_membersonly", "muc_semianonymous"}) {
    EXPECT_TRUE(i.has_feature(f)) << f;
  }
  // Owners' JIDs are not published by a semi-anonymous room.
  EXPECT_FALSE(
      i.extension("http://jabber.org/protocol/muc#roominfo")->field("muc#roominfo_contactjid"));
}

TEST(RoomDisco, ListsOccupantsOnlyToOccupantsByDefault) {
  // §6.5, Examples 9-10.
  RoomHarness room;
  room.create_coven();
  room.join("wiccarocks@shakespeare.lit/laptop", "coven@chat.shakespeare.lit/secondwitch");
  EXPECT_TRUE(items(room, kHag).empty());
  EXPECT_EQ(items(room, kCrone),
            (std::vector<std::string>{"coven@chat.shakespeare.lit/firstwitch",
                                      "coven@chat.shakespeare.lit/secondwitch"}));
  RoomServiceConfig open = default_config();
  open.occupants_public = true;
  RoomHarness public_room(open);
  public_room.create_coven();
  EXPECT_THAT(items(public_room, kHag), SizeIs(1));
}

TEST(RoomDisco, AnswersNonexistentRoomsWithItemNotFound) {
  RoomHarness room;
  Stanzas out =
      room.iq(kHag, kCoven, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  EXPECT_THAT(out.at(0), IsError("cancel/item-not-found"));
}

TEST(RoomDisco, RefusesDiscoToAnOccupantFromANonOccupantWithBadRequest) {
  // §6.6.
  RoomHarness room;
  room.create_coven();
  Stanzas out = room.iq(kHag, "coven@chat.shakespeare.lit/firstwitch", "get",
                        "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  EXPECT_THAT(out.at(0), IsError("modify/bad-request"));
}

TEST(RoomDisco, TellsAUserTheirReservedNickname) {
  // §7.12, Examples 66-67.
  RoomHarness room;
  room.create_coven();
  room.admin(kCrone, kCoven,
             "<item affiliation='member' jid='hag66@shakespeare.lit' nick='thirdwitch'/>");
  commonroom::xmpp::DiscoInfo mine = info(room, kHag, "x-roomuser-item");
  ASSERT_THAT(mine.identities, SizeIs(1));
  EXPECT_EQ(mine.identities[0].name, "thirdwitch");
  EXPECT_EQ(mine.node, "x-roomuser-item");
  EXPECT_TRUE(info(room, "hecate@shakespeare.lit/broom", "x-roomuser-item").identities.empty());
}

TEST(RoomDisco, SaysItFiltersNoTrafficWithServiceUnavailable) {
  // §18.1.1.
  RoomHarness room;
  room.create_coven();
  Stanzas out = room.iq(kHag, kCoven, "get",
                        "<query xmlns='http://jabber.org/protocol/disco#info' "
                        "node='http://jabber.org/protocol/muc#traffic'/>");
  EXPECT_THAT(out.at(0), IsError("cancel/service-unavailable"));
}

TEST(RoomDisco, AdvertisesTheArchiveWhenTheShellServesIt) {
  RoomServiceConfig cfg = default_config();
  cfg.mam = true;
  RoomHarness room(cfg);
  room.create_coven();
  EXPECT_TRUE(info(room).has_feature("urn:xmpp:mam:2"));
}
