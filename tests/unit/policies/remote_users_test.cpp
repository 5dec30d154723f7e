// Campus rule: users of other domains may enter public rooms unless their domain is denied;
// hidden rooms only when given an affiliation.
#include "campus_harness.hpp"

using namespace commonroom::policies;
using namespace commonroom::policies::test;

namespace {

PolicySettings with_deny_list() {
  PolicySettings s = campus_settings();
  s.denied_domains = {"spam.example"};
  return s;
}

void expect_forbidden(const Stanzas& out, const std::string& text) {
  ASSERT_EQ(out.size(), 1u) << str(out);
  EXPECT_THAT(out[0], IsError("auth/forbidden"));
  EXPECT_EQ(error_text(out[0]), text);
}

}  // namespace

TEST(CampusRemoteUsers, RemoteUsersMayEnterPublicRooms) {
  RoomHarness room = campus_rooms(with_deny_list());
  room.create_coven();
  Stanzas out = room.join(kRemote, "coven@chat.shakespeare.lit/romeo");
  EXPECT_TRUE(entered(out, kRemote)) << str(out);
}

TEST(CampusRemoteUsers, DeniedDomainsMayNotEnterAnyRoom) {
  RoomHarness room = campus_rooms(with_deny_list());
  room.create_coven();
  expect_forbidden(room.join(kDenied, "coven@chat.shakespeare.lit/troll"),
                   "users of spam.example may not enter rooms here");
  // Nor create one.
  Stanzas created = room.join(kDenied, "trollhole@chat.shakespeare.lit/troll");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_THAT(created[0], IsError("cancel/not-allowed"));
}

TEST(CampusRemoteUsers, HiddenRoomsAdmitRemoteUsersOnlyWithAnAffiliation) {
  RoomHarness room = campus_rooms();
  room.create_coven({{"muc#roomconfig_publicroom", {"0"}}});
  expect_forbidden(room.join(kRemote, "coven@chat.shakespeare.lit/romeo"),
                   "users of other domains may enter public rooms only");
  // Local users still may.
  EXPECT_TRUE(entered(room.join(kHag, "coven@chat.shakespeare.lit/hag"), kHag));
  // Once the owner makes Romeo a member, he may.
  EXPECT_THAT(
      room.admin(kCrone, kCoven, "<item affiliation='member' jid='romeo@montague.lit'/>").at(0),
      IsResult());
  Stanzas out = room.join(kRemote, "coven@chat.shakespeare.lit/romeo");
  EXPECT_TRUE(entered(out, kRemote)) << str(out);
}
