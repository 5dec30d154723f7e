// Campus rule: who may create what: local users only, name rules, a quota per user,
// persistent rooms for staff and users granted it.
#include "campus_harness.hpp"

using namespace commonroom::policies;
using namespace commonroom::policies::test;

namespace {

// The creating join of `room` (a bare room JID's local part) by `who` as "owner".
Stanzas create_join(RoomHarness& rooms, const char* who, const std::string& room) {
  return rooms.join(who, room + "@chat.shakespeare.lit/owner");
}

void expect_refused(const Stanzas& out, const std::string& text) {
  ASSERT_EQ(out.size(), 1u) << str(out);
  EXPECT_THAT(out[0], IsError("cancel/not-allowed"));
  EXPECT_EQ(error_text(out[0]), text);
}

class StaffList : public StaffDirectory {
 public:
  bool is_staff(const commonroom::xmpp::Jid& user) const override {
    return user.bare_str() == "wiz@shakespeare.lit";
  }
};

}  // namespace

TEST(CampusCreation, RemoteUsersMayNotCreateRooms) {
  RoomHarness rooms = campus_rooms();
  expect_refused(create_join(rooms, kRemote, "balcony"),
                 "only users of shakespeare.lit may create rooms");
  // The room does not exist afterwards: a local user creates it.
  EXPECT_THAT(create_join(rooms, kHag, "balcony").at(0), HasStatus(201));
}

TEST(CampusCreation, RoomNamesFollowTheLengthPatternAndReservedRules) {
  PolicySettings s = campus_settings();
  s.room_name_min = 3;
  s.room_name_max = 8;
  s.room_name_pattern = "[a-z][a-z0-9-]*";
  s.reserved_room_names = {"Helpdesk"};
  RoomHarness rooms = campus_rooms(s);
  expect_refused(create_join(rooms, kHag, "ab"), "room names are 3 to 8 characters long");
  expect_refused(create_join(rooms, kHag, "toolongname"), "room names are 3 to 8 characters long");
  expect_refused(create_join(rooms, kHag, "9lives"), "room names must match [a-z][a-z0-9-]*");
  expect_refused(create_join(rooms, kHag, "a_b"), "room names must match [a-z][a-z0-9-]*");
  expect_refused(create_join(rooms, kHag, "helpdesk"), "the room name \"helpdesk\" is reserved");
  EXPECT_THAT(create_join(rooms, kHag, "spells-1").at(0), HasStatus(201));
}

TEST(CampusCreation, QuotaCountsRoomsTheUserOwns) {
  PolicySettings s = campus_settings();
  s.room_quota = 2;
  RoomHarness rooms = campus_rooms(s);
  EXPECT_THAT(create_join(rooms, kHag, "one").at(0), HasStatus(201));
  EXPECT_THAT(create_join(rooms, kHag, "two").at(0), HasStatus(201));
  expect_refused(create_join(rooms, kHag, "three"), "you may own at most 2 rooms at once");
  // Another user has a quota of their own.
  EXPECT_THAT(create_join(rooms, kCrone, "three").at(0), HasStatus(201));
  // A temporary room that empties is gone, and no longer counts.
  rooms.leave(kHag, "one@chat.shakespeare.lit/owner");
  EXPECT_THAT(create_join(rooms, kHag, "four").at(0), HasStatus(201));
}

TEST(CampusCreation, ServiceAdminsAreNotLimitedByTheQuota) {
  PolicySettings s = campus_settings();
  s.room_quota = 0;
  s.service_admins = {"wiz@shakespeare.lit"};
  RoomHarness rooms = campus_rooms(s);
  expect_refused(create_join(rooms, kHag, "one"), "you may own at most 0 rooms at once");
  EXPECT_THAT(create_join(rooms, kWiz, "one").at(0), HasStatus(201));
}

TEST(CampusCreation, OnlyGrantedUsersMayMakeARoomPersistent) {
  PolicySettings s = campus_settings();
  s.persistent_creators = {"crone1@shakespeare.lit"};
  RoomHarness rooms = campus_rooms(s, std::make_shared<StaffList>());
  // An ordinary user gets a temporary room and cannot make it persistent.
  rooms.create(kHag, "hagroom@chat.shakespeare.lit/hag");
  Stanzas out = rooms.configure(kHag, "hagroom@chat.shakespeare.lit",
                                {{"muc#roomconfig_persistentroom", {"1"}}});
  ASSERT_EQ(out.size(), 1u) << str(out);
  EXPECT_THAT(out[0], IsError("modify/not-acceptable"));
  EXPECT_EQ(error_text(out[0]), "only staff and users granted it may create persistent rooms");
  // A user named in persistent_creators may.
  rooms.create(kCrone, "croneroom@chat.shakespeare.lit/crone");
  EXPECT_THAT(rooms
                  .configure(kCrone, "croneroom@chat.shakespeare.lit",
                             {{"muc#roomconfig_persistentroom", {"1"}}})
                  .at(0),
              IsResult());
  // So may staff, as the directory says.
  rooms.create(kWiz, "wizroom@chat.shakespeare.lit/wiz");
  EXPECT_THAT(rooms
                  .configure(kWiz, "wizroom@chat.shakespeare.lit",
                             {{"muc#roomconfig_persistentroom", {"1"}}})
                  .at(0),
              IsResult());
}

TEST(CampusCreation, APersistentCreatorDomainGrantsEveryoneInIt) {
  PolicySettings s = campus_settings();
  s.local_domains = {"shakespeare.lit", "staff.shakespeare.lit"};
  s.persistent_creators = {"staff.shakespeare.lit"};
  RoomHarness rooms = campus_rooms(s);
  rooms.create("prof@staff.shakespeare.lit/office", "lectures@chat.shakespeare.lit/prof");
  EXPECT_THAT(rooms
                  .configure("prof@staff.shakespeare.lit/office", "lectures@chat.shakespeare.lit",
                             {{"muc#roomconfig_persistentroom", {"1"}}})
                  .at(0),
              IsResult());
}

TEST(CampusCreation, NewRoomsGetTheDefaultSizeAndOwnersMayNotPassTheCeiling) {
  PolicySettings s = campus_settings();
  s.max_users_default = 30;
  s.max_users_ceiling = 50;
  RoomHarness rooms = campus_rooms(s);
  rooms.create_coven();
  Stanzas form =
      rooms.iq(kCrone, kCoven, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  const Element* x = form.at(0)
                         .find_child("query", "http://jabber.org/protocol/muc#owner")
                         ->find_child("x", "jabber:x:data");
  EXPECT_EQ(commonroom::xmpp::parse_data_form(*x).value("muc#roomconfig_maxusers").value_or(""),
            "30");
  EXPECT_THAT(rooms.configure(kCrone, kCoven, {{"muc#roomconfig_maxusers", {"50"}}}).at(0),
              IsResult());
  EXPECT_THAT(rooms.configure(kCrone, kCoven, {{"muc#roomconfig_maxusers", {"51"}}}).at(0),
              IsError("modify/not-acceptable"));
}

TEST(CampusCreation, OnlyThoseWhoMayKeepRoomsLinkARoomToInstitutionsOrGroups) {
  PolicySettings s = campus_settings();
  s.persistent_creators = {"crone1@shakespeare.lit"};
  RoomHarness rooms = campus_rooms(s, std::make_shared<StaffList>());
  rooms.create(kHag, "hagroom@chat.shakespeare.lit/hag");
  Stanzas out = rooms.configure(kHag, "hagroom@chat.shakespeare.lit",
                                {{"x-commonroom#linked", {"inst:TRIN"}}});
  ASSERT_EQ(out.size(), 1u) << str(out);
  EXPECT_THAT(out[0], IsError("auth/forbidden"));
  EXPECT_EQ(error_text(out[0]),
            "only staff and users granted persistent rooms may link a room to institutions or "
            "groups");
  for (auto [who, room] : {std::pair{kCrone, "croneroom"}, std::pair{kWiz, "wizroom"}}) {
    std::string jid = std::string(room) + "@chat.shakespeare.lit";
    rooms.create(who, jid + "/owner");
    EXPECT_THAT(rooms.configure(who, jid, {{"x-commonroom#linked", {"inst:TRIN"}}}).at(0),
                IsResult())
        << who;
  }
}

TEST(CampusCreation, AServiceAdminFromElsewhereMayCreateButTheNameRulesAndLimitStillHold) {
  // The admin web acts from a domain of its own that the engine's policy makes a service
  // admin (CreationRequest::service_admin); the campus rules for names and size still apply.
  PolicySettings s = campus_settings();
  s.reserved_room_names = {"helpdesk"};
  s.max_rooms = 1;
  CampusPolicy policy(s);
  const auto web = commonroom::xmpp::Jid::parse("ops@admin-web.chat.shakespeare.lit/web");
  const auto room = commonroom::xmpp::Jid::parse("jcr@chat.shakespeare.lit");
  const auto reserved = commonroom::xmpp::Jid::parse("helpdesk@chat.shakespeare.lit");
  using commonroom::muc::CreationRequest;
  EXPECT_FALSE(policy.check_creation(CreationRequest{.creator = web, .room = room}).allowed)
      << "not a service admin: a remote user";
  EXPECT_TRUE(policy
                  .check_creation(CreationRequest{
                      .creator = web, .room = room, .persistent = true, .service_admin = true})
                  .allowed);
  EXPECT_EQ(
      policy
          .check_creation(CreationRequest{.creator = web, .room = reserved, .service_admin = true})
          .reason,
      "the room name \"helpdesk\" is reserved");
  EXPECT_FALSE(policy
                   .check_creation(CreationRequest{
                       .creator = web, .room = room, .rooms_total = 1, .service_admin = true})
                   .allowed);
}
