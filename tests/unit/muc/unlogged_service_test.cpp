// A rooms service with no log at all (the shell's development setting, decision 0018): rooms
// must not claim logging (§7.2.12 status 170, muc#roomconfig_enablelogging) even when the
// policy locks logging on, and there is no archive to advertise.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

// Campus policy: every room logged and non-anonymous.
struct AlwaysLogged : PermissivePolicy {
  std::vector<commonroom::xmpp::FormField> locked_fields(
      const commonroom::xmpp::Jid&) const override {
    return {commonroom::xmpp::FormField::boolean("muc#roomconfig_enablelogging", true),
            commonroom::xmpp::FormField::list_single("muc#roomconfig_whois", "anyone", {})};
  }
};

RoomServiceConfig unlogged() {
  RoomServiceConfig cfg = default_config();
  cfg.logged = false;
  cfg.room_defaults.enable_logging = true;  // what a logged service would start with
  return cfg;
}

commonroom::xmpp::DataForm config_form(RoomHarness& room) {
  Stanzas out =
      room.iq(kCrone, kCoven, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  return commonroom::xmpp::parse_data_form(
      *out.at(0)
           .find_child("query", commonroom::xmpp::ns::muc_owner)
           ->find_child("x", commonroom::xmpp::ns::data_forms));
}

commonroom::xmpp::DiscoInfo disco(RoomHarness& room) {
  Stanzas out =
      room.iq(kHag, kCoven, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  EXPECT_THAT(out, SizeIs(1));
  return commonroom::xmpp::parse_disco_info(
      *out.at(0).find_child("query", commonroom::xmpp::ns::disco_info));
}

}  // namespace

TEST(UnloggedService, CreatorAndEveryoneEnteringGetNoStatus170) {
  RoomHarness room(unlogged(), std::make_shared<AlwaysLogged>());
  Stanzas created = room.join(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  EXPECT_THAT(created.at(0), HasStatuses(std::vector<int>{100, 110, 201}));
  room.configure(kCrone, kCoven, {});
  Stanzas joined = room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  const Element* self = nullptr;
  const Stanzas to_wicca = sent_to(joined, kWicca);
  for (const Element& e : to_wicca)
    if (e.name() == "presence" && e.attr("from") == "coven@chat.shakespeare.lit/secondwitch")
      self = &e;
  ASSERT_NE(self, nullptr) << str(joined);
  EXPECT_THAT(*self, HasStatuses(std::vector<int>{100, 110}));
}

TEST(UnloggedService, DiscoSaysLoggingIsOffAndAdvertisesNoArchive) {
  RoomServiceConfig cfg = unlogged();
  cfg.mam = false;  // the shell serves no archive without a log
  RoomHarness room(cfg, std::make_shared<AlwaysLogged>());
  room.create_coven();
  commonroom::xmpp::DiscoInfo info = disco(room);
  const commonroom::xmpp::DataForm* roominfo =
      info.extension("http://jabber.org/protocol/muc#roominfo");
  ASSERT_NE(roominfo, nullptr);
  EXPECT_EQ(roominfo->bool_value("muc#roomconfig_enablelogging"), false);
  EXPECT_FALSE(info.has_feature("urn:xmpp:mam:2"));
  EXPECT_TRUE(info.has_feature("muc_nonanonymous"));  // the policy's other lock still holds
}

TEST(UnloggedService, ConfigFormOffersLoggingOnlyAsOffAndSaysWhy) {
  RoomHarness room(unlogged(), std::make_shared<AlwaysLogged>());
  room.create_coven();
  commonroom::xmpp::DataForm form = config_form(room);
  const commonroom::xmpp::FormField* logging = form.field("muc#roomconfig_enablelogging");
  ASSERT_NE(logging, nullptr);
  EXPECT_EQ(logging->bool_value(), false);
  EXPECT_EQ(logging->desc, "this service keeps no log of its rooms (a development setup)");
  Stanzas refused = room.configure(kCrone, kCoven, {{"muc#roomconfig_enablelogging", {"1"}}});
  EXPECT_THAT(refused.at(0), IsError("modify/not-acceptable"));
  const Element* error = refused.at(0).find_child("error", refused.at(0).xmlns());
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(commonroom::xmpp::parse_stanza_error(*error).text,
            "muc#roomconfig_enablelogging is fixed: this service keeps no log of its rooms (a "
            "development setup)");
  EXPECT_THAT(room.configure(kCrone, kCoven, {{"muc#roomconfig_enablelogging", {"0"}}}).at(0),
              IsResult());
}

TEST(UnloggedService, ALoggedServiceStillSays170WithTheSamePolicy) {
  // The control: the same policy on a service with a log keeps logging on and says so.
  RoomServiceConfig cfg = default_config();
  cfg.room_defaults.enable_logging = false;
  RoomHarness room(cfg, std::make_shared<AlwaysLogged>());
  Stanzas created = room.join(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  EXPECT_THAT(created.at(0), HasStatuses(std::vector<int>{100, 110, 170, 201}));
}
