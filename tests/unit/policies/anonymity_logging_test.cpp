// Campus rule: every room is non-anonymous and logged, and owners cannot change either.
#include "campus_harness.hpp"

using namespace commonroom::policies;
using namespace commonroom::policies::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

commonroom::xmpp::DiscoInfo disco(RoomHarness& room, const char* from) {
  Stanzas out =
      room.iq(from, kCoven, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  EXPECT_THAT(out.at(0), IsResult());
  return commonroom::xmpp::parse_disco_info(
      *out.at(0).find_child("query", commonroom::xmpp::ns::disco_info));
}

}  // namespace

TEST(CampusAnonymity, EveryoneEnteringIsToldTheRoomIsNonAnonymousAndLogged) {
  RoomHarness room = campus_rooms();
  Stanzas created = room.join(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  EXPECT_THAT(created.at(0), HasStatuses(std::vector<int>{100, 110, 170, 201}));
  // The owner accepts the default configuration (an instant room).
  ASSERT_THAT(room.iq(kCrone, kCoven, "set",
                      "<query xmlns='http://jabber.org/protocol/muc#owner'><x "
                      "xmlns='jabber:x:data' type='submit'/></query>")
                  .at(0),
              IsResult());
  Stanzas joined = room.join(kHag, "coven@chat.shakespeare.lit/secondwitch");
  Stanzas self = sent_to(joined, kHag);
  ASSERT_FALSE(self.empty());
  // The self-presence closes the roster: 100 (JIDs visible), 110, 170 (logged).
  const Element* self_presence = nullptr;
  for (const auto& s : self) {
    if (s.attr("from") == "coven@chat.shakespeare.lit/secondwitch") self_presence = &s;
  }
  ASSERT_NE(self_presence, nullptr) << str(joined);
  EXPECT_THAT(*self_presence, HasStatuses(std::vector<int>{100, 110, 170}));
  // The real JID is shown to every occupant, not only moderators.
  Stanzas to_crone = sent_to(joined, kCrone);
  ASSERT_EQ(to_crone.size(), 1u) << str(joined);
  EXPECT_EQ(item_attr(to_crone[0], "jid"), kHag);
}

TEST(CampusAnonymity, DiscoAdvertisesNonAnonymousOnlyAndLogging) {
  RoomHarness room = campus_rooms();
  room.create_coven();
  commonroom::xmpp::DiscoInfo i = disco(room, kRemote);
  EXPECT_TRUE(i.has_feature("muc_nonanonymous"));
  EXPECT_FALSE(i.has_feature("muc_semianonymous"));
  const commonroom::xmpp::DataForm* roominfo =
      i.extension("http://jabber.org/protocol/muc#roominfo");
  ASSERT_NE(roominfo, nullptr);
  EXPECT_EQ(roominfo->bool_value("muc#roomconfig_enablelogging"), true);
}

TEST(CampusAnonymity, ConfigFormShowsWhoisAndLoggingFixed) {
  RoomHarness room = campus_rooms();
  room.create_coven();
  Stanzas out =
      room.iq(kCrone, kCoven, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  ASSERT_THAT(out.at(0), IsResult());
  const Element* x = out.at(0)
                         .find_child("query", "http://jabber.org/protocol/muc#owner")
                         ->find_child("x", "jabber:x:data");
  commonroom::xmpp::DataForm form = commonroom::xmpp::parse_data_form(*x);
  const commonroom::xmpp::FormField* whois = form.field("muc#roomconfig_whois");
  ASSERT_NE(whois, nullptr);
  EXPECT_THAT(whois->values, ElementsAre("anyone"));
  ASSERT_EQ(whois->options.size(), 1u);  // "moderators" is not offered
  EXPECT_EQ(whois->options[0].value, "anyone");
  EXPECT_EQ(whois->desc, "Fixed by the service's policy");
  const commonroom::xmpp::FormField* logging = form.field("muc#roomconfig_enablelogging");
  ASSERT_NE(logging, nullptr);
  EXPECT_THAT(logging->values, ElementsAre("1"));
  EXPECT_EQ(logging->desc, "Fixed by the service's policy");
}

TEST(CampusAnonymity, OwnerAskingForSemiAnonymousIsRefusedAndNothingChanges) {
  RoomHarness room = campus_rooms();
  room.create_coven();
  room.join(kHag, "coven@chat.shakespeare.lit/secondwitch");
  Stanzas out = room.configure(kCrone, kCoven, {{"muc#roomconfig_whois", {"moderators"}}});
  ASSERT_EQ(out.size(), 1u) << str(out);  // occupants hear of no change
  EXPECT_THAT(out[0], IsError("modify/not-acceptable"));
  EXPECT_THAT(error_text(out[0]), HasSubstr("muc#roomconfig_whois"));
  commonroom::xmpp::DiscoInfo i = disco(room, kHag);
  EXPECT_TRUE(i.has_feature("muc_nonanonymous"));
}

TEST(CampusLogging, OwnerCannotTurnLoggingOff) {
  RoomHarness room = campus_rooms();
  room.create_coven();
  Stanzas out = room.configure(kCrone, kCoven, {{"muc#roomconfig_enablelogging", {"0"}}});
  ASSERT_EQ(out.size(), 1u) << str(out);
  EXPECT_THAT(out[0], IsError("modify/not-acceptable"));
  EXPECT_EQ(error_text(out[0]), "muc#roomconfig_enablelogging is fixed by the service's policy");
  // Resubmitting the fixed values is fine (clients send the whole form back).
  Stanzas ok = room.configure(kCrone, kCoven,
                              {{"muc#roomconfig_enablelogging", {"1"}},
                               {"muc#roomconfig_whois", {"anyone"}},
                               {"muc#roomconfig_roomname", {"Coven"}}});
  EXPECT_THAT(ok.at(0), IsResult());
}
