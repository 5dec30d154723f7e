// Rooms linked to institutions and groups of the University directory (x-commonroom#linked):
// their members count as the room's members, the directory decides who they are, and
// people it drops leave members-only rooms with 321.
#include "muc/link_directory.hpp"
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::ElementsAre;
using ::testing::SizeIs;

namespace {

constexpr const char* kLinked = "x-commonroom#linked";

using Members = std::vector<std::pair<std::string, std::vector<std::string>>>;

// A directory where each link has these members (JIDs as the directory stores them).
std::shared_ptr<const LinkDirectory> directory(const Members& links) {
  LinkDirectory::Builder b;
  for (const auto& [link, jids] : links) {
    b.add_link(link);
    for (const auto& jid : jids) b.add_member(link, jid);
  }
  return std::make_shared<const LinkDirectory>(std::move(b).build());
}

// The usual University: wiccarocks and hag66 are at TRIN, hecate in group 100656.
std::shared_ptr<const LinkDirectory> university() {
  return directory({{"inst:TRIN", {"wiccarocks@shakespeare.lit", "hag66@shakespeare.lit"}},
                    {"inst:KINGS", {}},
                    {"group:100656", {"hecate@shakespeare.lit"}}});
}

// Only crone1 (staff, say) may link rooms.
class StaffLinkPolicy : public PermissivePolicy {
 public:
  Verdict may_link_room(const commonroom::xmpp::Jid& user,
                        const commonroom::xmpp::Jid&) const override {
    if (user.bare_str() == "crone1@shakespeare.lit") return Verdict::allow();
    return Verdict::deny("only staff may link a room to institutions or groups");
  }
};

// hecate is also a service administrator, to check precedence.
class AdminPolicy : public StaffLinkPolicy {
 public:
  bool is_service_admin(const commonroom::xmpp::Jid& user) const override {
    return user.bare_str() == "hecate@shakespeare.lit";
  }
};

commonroom::xmpp::DataForm form_of(const Element& iq) {
  return commonroom::xmpp::parse_data_form(
      *iq.find_child("query", commonroom::xmpp::ns::muc_owner)
           ->find_child("x", commonroom::xmpp::ns::data_forms));
}

std::string error_text(const Element& stanza) {
  const Element* e = stanza.find_child("error", stanza.xmlns());
  return e ? commonroom::xmpp::parse_stanza_error(*e).text : "";
}

class LinkedRoom : public ::testing::Test {
 protected:
  explicit LinkedRoom(std::shared_ptr<const Policy> policy = std::make_shared<StaffLinkPolicy>())
      : room(default_config(), std::move(policy)) {}
  void SetUp() override { set_directory(university()); }

  Stanzas set_directory(std::shared_ptr<const LinkDirectory> d) {
    last = room.service().set_link_directory(std::move(d), room.now);
    return RoomHarness::expand(last);
  }
  commonroom::xmpp::DataForm form(const char* owner = kCrone) {
    return form_of(
        room.iq(owner, kCoven, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>")
            .at(0));
  }
  // A members-only room of TRIN, owned by crone1, with nobody else in it.
  void trinity_room() {
    room.create_coven({{"muc#roomconfig_membersonly", {"1"}}, {kLinked, {"inst:TRIN"}}});
  }

  RoomHarness room;
  Effects last;
};

class LinkedRoomWithAdmin : public LinkedRoom {
 protected:
  LinkedRoomWithAdmin() : LinkedRoom(std::make_shared<AdminPolicy>()) {}
};

}  // namespace

// --- the configuration field ---

TEST_F(LinkedRoom, OffersTheLinkedFieldInTheConfigurationFormEmptyAtFirst) {
  room.create_coven();
  commonroom::xmpp::DataForm f = form();
  const commonroom::xmpp::FormField* field = f.field(kLinked);
  ASSERT_NE(field, nullptr);
  EXPECT_EQ(field->type, commonroom::xmpp::FieldType::text_multi);
  EXPECT_TRUE(field->values.empty());
  EXPECT_NE(field->desc.find("inst:<instID>"), std::string::npos) << field->desc;
}

TEST_F(LinkedRoom, AStaffOwnerLinksTheRoomAndSeesTheLinksInTheFormAndRoomInfo) {
  room.create_coven();
  // One value per line, or several in one value: both are accepted, sorted and de-duplicated.
  Stanzas out =
      room.configure(kCrone, kCoven, {{kLinked, {"group:100656", "inst:TRIN\ninst:TRIN"}}});
  ASSERT_THAT(out.at(0), IsResult()) << str(out);
  // A configuration change like any other: logged with what changed.
  ASSERT_FALSE(room.effects().events.empty());
  EXPECT_NE(room.effects().events.back().detail.find("linked_membership"), std::string::npos)
      << room.effects().events.back().detail;
  EXPECT_EQ(form().field(kLinked)->values, (std::vector<std::string>{"group:100656", "inst:TRIN"}));
  Stanzas info =
      room.iq(kHag, kCoven, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
  auto disco = commonroom::xmpp::parse_disco_info(
      *info.at(0).find_child("query", commonroom::xmpp::ns::disco_info));
  const auto* roominfo = disco.extension("http://jabber.org/protocol/muc#roominfo");
  ASSERT_NE(roominfo, nullptr);
  EXPECT_EQ(roominfo->values(kLinked), (std::vector<std::string>{"group:100656", "inst:TRIN"}));
}

TEST_F(LinkedRoom, UsesTheDirectorysSpellingOfAnInstitution) {
  room.create_coven();
  ASSERT_THAT(room.configure(kCrone, kCoven, {{kLinked, {"INST:trin"}}}).at(0), IsResult());
  EXPECT_EQ(form().field(kLinked)->values, (std::vector<std::string>{"inst:TRIN"}));
}

TEST_F(LinkedRoom, RefusesAnOwnerThePolicyDoesNotAllowToLinkWithForbidden) {
  room.create_coven();
  room.admin(kCrone, kCoven, "<item affiliation='owner' jid='wiccarocks@shakespeare.lit'/>");
  Stanzas out = room.configure(kWicca, kCoven,
                               {{"muc#roomconfig_roomname", {"Ours"}}, {kLinked, {"inst:TRIN"}}});
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/forbidden"));
  EXPECT_EQ(error_text(out[0]), "only staff may link a room to institutions or groups");
  // Nothing of the submission was applied.
  EXPECT_TRUE(form().field(kLinked)->values.empty());
  EXPECT_TRUE(form().value("muc#roomconfig_roomname").value_or("").empty());
  // The same owner may change everything else, and may submit the links as they are.
  EXPECT_THAT(
      room.configure(kWicca, kCoven, {{"muc#roomconfig_roomname", {"Ours"}}, {kLinked, {}}}).at(0),
      IsResult());
}

TEST_F(LinkedRoom, AnyOwnerMayRemoveLinksButOnlyStaffAddThem) {
  trinity_room();
  room.admin(kCrone, kCoven, "<item affiliation='owner' jid='wiccarocks@shakespeare.lit'/>");
  EXPECT_THAT(room.configure(kWicca, kCoven, {{kLinked, {"inst:TRIN", "inst:KINGS"}}}).at(0),
              IsError("auth/forbidden"));
  EXPECT_THAT(room.configure(kWicca, kCoven, {{kLinked, {}}}).at(0), IsResult());
  EXPECT_TRUE(form().field(kLinked)->values.empty());
}

TEST_F(LinkedRoom, RefusesMalformedAndUnknownLinksAndTooManyWithNotAcceptable) {
  room.create_coven();
  Stanzas bad = room.configure(kCrone, kCoven, {{kLinked, {"TRIN"}}});
  EXPECT_THAT(bad.at(0), IsError("modify/not-acceptable"));
  EXPECT_NE(error_text(bad.at(0)).find("\"TRIN\" is not inst:<instID> or group:<groupID>"),
            std::string::npos)
      << error_text(bad.at(0));
  EXPECT_THAT(room.configure(kCrone, kCoven, {{kLinked, {"inst:TR IN"}}}).at(0),
              IsError("modify/not-acceptable"));
  EXPECT_THAT(room.configure(kCrone, kCoven, {{kLinked, {"college:TRIN"}}}).at(0),
              IsError("modify/not-acceptable"));
  EXPECT_THAT(room.configure(kCrone, kCoven, {{kLinked, {"inst:TR\"IN"}}}).at(0),
              IsError("modify/not-acceptable"));
  // A long bad value is quoted shortened, without cutting a character in two.
  std::string long_bad = std::string(79, 'x') + "é" + std::string(20, 'y');
  Stanzas shortened = room.configure(kCrone, kCoven, {{kLinked, {long_bad}}});
  EXPECT_NE(error_text(shortened.at(0)).find("\"" + std::string(79, 'x') + "\" is not"),
            std::string::npos)
      << error_text(shortened.at(0));
  Stanzas unknown = room.configure(kCrone, kCoven, {{kLinked, {"inst:NOPE"}}});
  EXPECT_THAT(unknown.at(0), IsError("modify/not-acceptable"));
  EXPECT_EQ(error_text(unknown.at(0)),
            "x-commonroom#linked: the directory has no institution \"NOPE\"");
  std::vector<std::string> many;
  for (int i = 0; i < 21; ++i) many.push_back("group:" + std::to_string(1000 + i));
  Stanzas too_many = room.configure(kCrone, kCoven, {{kLinked, many}});
  EXPECT_THAT(too_many.at(0), IsError("modify/not-acceptable"));
  EXPECT_NE(error_text(too_many.at(0)).find("at most 20"), std::string::npos);
  EXPECT_TRUE(form().field(kLinked)->values.empty());
}

TEST_F(LinkedRoom, AcceptsAnyWellFormedLinkBeforeTheDirectoryWasEverSynced) {
  set_directory(directory({}));
  room.create_coven();
  EXPECT_THAT(room.configure(kCrone, kCoven, {{kLinked, {"inst:NEWCOLL"}}}).at(0), IsResult());
}

// --- who gets in ---

TEST_F(LinkedRoom, AMembersOnlyRoomAdmitsMembersOfTheLinkedInstitutionAndNobodyElse) {
  trinity_room();
  Stanzas in = room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  ASSERT_THAT(sent_to(in, kWicca).size(), ::testing::Ge(2u)) << str(in);
  EXPECT_THAT(sent_to(in, kWicca).at(1), HasItem("member", "participant"));
  Stanzas refused = room.join(kHecate, "coven@chat.shakespeare.lit/hecate");
  ASSERT_THAT(refused, SizeIs(1));
  EXPECT_THAT(refused[0], IsError("auth/registration-required"));
  // Nobody was invited, and the member list still holds only what owners put there.
  for (const auto& s : in) {
    const Element* x = muc_user_x(s);
    EXPECT_TRUE(!x || !x->find_child("invite", commonroom::xmpp::ns::muc_user)) << str(s);
  }
  Stanzas list = room.admin(kCrone, kCoven, "<item affiliation='member'/>", "get");
  ASSERT_THAT(list.at(0), IsResult());
  EXPECT_THAT(list.at(0)
                  .find_child("query", commonroom::xmpp::ns::muc_admin)
                  ->children("item", commonroom::xmpp::ns::muc_admin),
              SizeIs(0))
      << str(list);
}

TEST_F(LinkedRoom, AGroupLinkAdmitsTheGroupsMembers) {
  room.create_coven({{"muc#roomconfig_membersonly", {"1"}}, {kLinked, {"group:100656"}}});
  Stanzas in = room.join(kHecate, "coven@chat.shakespeare.lit/hecate");
  EXPECT_THAT(sent_to(in, kHecate).back(), ::testing::Not(IsError("auth/registration-required")));
  EXPECT_THAT(room.join(kHag, "coven@chat.shakespeare.lit/hag").at(0),
              IsError("auth/registration-required"));
}

TEST_F(LinkedRoom, NewMembersOfTheDirectoryGetInWithoutAnyInvitation) {
  trinity_room();
  EXPECT_THAT(room.join(kHecate, "coven@chat.shakespeare.lit/hecate").at(0),
              IsError("auth/registration-required"));
  Stanzas out = set_directory(
      directory({{"inst:TRIN", {"wiccarocks@shakespeare.lit", "hecate@shakespeare.lit"}}}));
  EXPECT_THAT(out, SizeIs(0)) << "thousands of new college members must not be messaged";
  EXPECT_THAT(last.events, SizeIs(0));
  Stanzas in = room.join(kHecate, "coven@chat.shakespeare.lit/hecate");
  EXPECT_THAT(sent_to(in, kHecate).at(0), IsAvailable()) << str(in);
}

// --- the directory changes ---

TEST_F(LinkedRoom, RemovesSomeoneTheDirectoryNoLongerHasWith321AndLogsIt) {
  trinity_room();
  room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  // hag66 moved out of Trinity.
  Stanzas out = set_directory(directory({{"inst:TRIN", {"wiccarocks@shakespeare.lit"}}}));
  ASSERT_THAT(sent_to(out, kHag), SizeIs(1)) << str(out);
  const Element self = sent_to(out, kHag)[0];
  EXPECT_THAT(self, IsUnavailable());
  EXPECT_THAT(self, HasStatuses(std::vector<int>{110, 321}));
  EXPECT_THAT(self, HasItem("none", "none"));
  EXPECT_EQ(muc_item(self)->child_text("reason", commonroom::xmpp::ns::muc_user),
            "membership through a linked institution or group ended");
  for (const char* other : {kCrone, kWicca}) {
    ASSERT_THAT(sent_to(out, other), SizeIs(1)) << other;
    EXPECT_THAT(sent_to(out, other)[0], HasStatuses(std::vector<int>{321}));
  }
  // Logged for abuse staff like any removal: the affiliation change, then the exit.
  ASSERT_THAT(last.events, SizeIs(2));
  EXPECT_EQ(last.events[0].kind, RoomEventKind::affiliation_change);
  EXPECT_EQ(last.events[0].target, "hag66@shakespeare.lit");
  EXPECT_EQ(last.events[0].actor_jid, "") << "the service, not an occupant";
  EXPECT_NE(last.events[0].detail.find("\"via\":\"linked\""), std::string::npos)
      << last.events[0].detail;
  EXPECT_EQ(last.events[1].kind, RoomEventKind::exit);
  EXPECT_EQ(last.events[1].actor_jid, kHag);
  EXPECT_NE(last.events[1].detail.find("affiliation change"), std::string::npos);
  for (const auto& e : last.events) EXPECT_EQ(e.raw, "");
  // And they cannot come back.
  EXPECT_THAT(room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch").at(0),
              IsError("auth/registration-required"));
}

TEST_F(LinkedRoom, AnOpenRoomShowsTheChangedAffiliationAndKeepsEveryone) {
  room.create_coven({{kLinked, {"inst:TRIN"}}});
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas out = set_directory(directory({{"inst:TRIN", {}}}));
  ASSERT_THAT(sent_to(out, kHag), SizeIs(1)) << str(out);
  EXPECT_THAT(sent_to(out, kHag)[0], IsAvailable());
  EXPECT_THAT(sent_to(out, kHag)[0], HasItem("none", "participant"));
  EXPECT_THAT(sent_to(out, kCrone).at(0), HasItem("none", "participant"));
  EXPECT_EQ(room.service().rooms().at(0).occupants, 2u);
}

TEST_F(LinkedRoom, RemovingALinkFromTheConfigurationRemovesThoseItAdmitted) {
  room.create_coven(
      {{"muc#roomconfig_membersonly", {"1"}}, {kLinked, {"inst:TRIN", "group:100656"}}});
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  room.join(kHecate, "coven@chat.shakespeare.lit/hecate");
  Stanzas out = room.configure(kCrone, kCoven, {{kLinked, {"group:100656"}}});
  EXPECT_THAT(out.at(0), IsResult());
  // Like any configuration change, 104 first; then the removal, by the owner who made it.
  Stanzas to_hag = sent_to(out, kHag);
  ASSERT_THAT(to_hag, SizeIs(2)) << str(out);
  EXPECT_THAT(to_hag[0], HasStatuses(std::vector<int>{104}));
  EXPECT_THAT(to_hag[1], HasStatuses(std::vector<int>{110, 321}));
  EXPECT_EQ(item_attr(to_hag[1], "affiliation"), "none");
  for (const auto& s : sent_to(out, kHecate)) {
    if (s.attr("from") == "coven@chat.shakespeare.lit/hecate")
      ADD_FAILURE() << "hecate is still a member through the group: " << str(s);
  }
  EXPECT_EQ(room.service().rooms().at(0).occupants, 2u);
}

// --- explicit affiliations win ---

TEST_F(LinkedRoom, KeepsExplicitAffiliationsWhateverTheDirectorySays) {
  trinity_room();
  // An explicit member and an admin who are also at Trinity.
  room.admin(kCrone, kCoven,
             "<item affiliation='member' jid='wiccarocks@shakespeare.lit' nick='secondwitch'/>"
             "<item affiliation='admin' jid='hag66@shakespeare.lit'/>");
  room.join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
  Stanzas in = room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  EXPECT_THAT(sent_to(in, kHag).back(), ::testing::Not(IsError("auth/registration-required")));
  Stanzas out = set_directory(directory({{"inst:TRIN", {}}}));
  EXPECT_THAT(out, SizeIs(0)) << "their own affiliations still admit them: " << str(out);
  Stanzas members = room.admin(kCrone, kCoven, "<item affiliation='member'/>", "get");
  const Element* q = members.at(0).find_child("query", commonroom::xmpp::ns::muc_admin);
  ASSERT_THAT(q->children("item", commonroom::xmpp::ns::muc_admin), SizeIs(1));
  EXPECT_EQ(q->children("item", commonroom::xmpp::ns::muc_admin)[0]->attr("jid"),
            "wiccarocks@shakespeare.lit");
  // Revoking the explicit membership of someone the link still covers leaves them in.
  set_directory(university());
  Stanzas revoked =
      room.admin(kCrone, kCoven, "<item affiliation='none' jid='wiccarocks@shakespeare.lit'/>");
  for (const auto& s : sent_to(revoked, kWicca)) {
    EXPECT_THAT(s, ::testing::Not(IsUnavailable()));
    EXPECT_THAT(s, HasItem("member", "participant"));
  }
}

TEST_F(LinkedRoom, ABanInTheRoomWinsOverTheLink) {
  trinity_room();
  room.admin(kCrone, kCoven, "<item affiliation='outcast' jid='hag66@shakespeare.lit'/>");
  EXPECT_THAT(room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch").at(0),
              IsError("auth/forbidden"));
}

TEST_F(LinkedRoom, AServiceWideBanWinsOverTheLink) {
  trinity_room();
  room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  Stanzas out = room.set_service_bans({ServiceBan{"hag66@shakespeare.lit", "spam", "abuse"}});
  EXPECT_THAT(sent_to(out, kHag).at(0), HasStatuses(std::vector<int>{110, 301}));
  EXPECT_THAT(room.join(kHag, "coven@chat.shakespeare.lit/thirdwitch").at(0),
              IsError("auth/forbidden"));
}

TEST_F(LinkedRoomWithAdmin, AServiceAdminInALinkedGroupStaysAnOwner) {
  trinity_room();
  ASSERT_THAT(room.configure(kCrone, kCoven, {{kLinked, {"inst:TRIN", "group:100656"}}}).at(0),
              IsResult());
  Stanzas in = room.join(kHecate, "coven@chat.shakespeare.lit/hecate");
  EXPECT_THAT(sent_to(in, kHecate).back().name(), "message");
  bool owner = false;
  for (const auto& s : sent_to(in, kHecate)) {
    if (s.attr("from") == "coven@chat.shakespeare.lit/hecate")
      owner = item_attr(s, "affiliation") == "owner";
  }
  EXPECT_TRUE(owner) << str(in);
}

// --- persistence ---

TEST_F(LinkedRoom, APersistentRoomKeepsItsLinksAcrossARestart) {
  room.create_coven({{"muc#roomconfig_persistentroom", {"1"}},
                     {"muc#roomconfig_membersonly", {"1"}},
                     {kLinked, {"inst:TRIN"}}});
  ASSERT_FALSE(room.effects().saves.empty());
  RoomSnapshot saved = room.effects().saves.back();
  EXPECT_EQ(saved.config.linked, (std::vector<std::string>{"inst:TRIN"}));
  EXPECT_TRUE(saved.affiliations.size() == 1) << "no linked member was written into the room";

  RoomHarness restarted(default_config(), std::make_shared<StaffLinkPolicy>());
  restarted.service().restore(saved);
  restarted.service().set_link_directory(university(), restarted.now);
  EXPECT_EQ(restarted.service().snapshot(std::string(kCoven)), saved);
  Stanzas in = restarted.join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  EXPECT_THAT(sent_to(in, kHag).at(0), IsAvailable()) << str(in);
}

// --- the directory structure ---

TEST(LinkDirectory, PreparesJidsAndAnswersMembershipByBareJid) {
  LinkDirectory::Builder b;
  b.add_members("inst:TRIN", "abc123@cam.ac.uk Xyz9@CAM.ac.uk abc123@cam.ac.uk not-a-jid");
  b.add_members("group:1", "abc123@cam.ac.uk");
  b.add_link("inst:EMPTY");
  LinkDirectory d = std::move(b).build();
  EXPECT_EQ(d.link_count(), 3u);
  EXPECT_EQ(d.people(), 2u);
  EXPECT_EQ(d.memberships(), 3u);
  EXPECT_EQ(d.rejected(), 1u);
  EXPECT_EQ(d.member_count("inst:TRIN"), 2u);
  EXPECT_TRUE(d.member_of_any({"inst:TRIN"}, "xyz9@cam.ac.uk"));
  EXPECT_FALSE(d.member_of_any({"group:1", "inst:EMPTY"}, "xyz9@cam.ac.uk"));
  EXPECT_TRUE(d.member_of_any({"inst:EMPTY", "group:1"}, "abc123@cam.ac.uk"));
  EXPECT_FALSE(d.member_of_any({"inst:NOPE"}, "abc123@cam.ac.uk"));
  EXPECT_TRUE(d.knows("inst:EMPTY"));
  EXPECT_EQ(d.canonical("inst:empty").value_or(""), "inst:EMPTY");
  EXPECT_FALSE(d.canonical("inst:nope"));
  EXPECT_GT(d.memory_bytes(), 0u);
}

TEST(LinkDirectory, ParsesLinksStrictly) {
  EXPECT_EQ(parse_link("inst:TRIN").value_or(""), "inst:TRIN");
  EXPECT_EQ(parse_link("Group:100656").value_or(""), "group:100656");
  EXPECT_EQ(parse_link("inst:CS-2_a.b").value_or(""), "inst:CS-2_a.b");
  for (const char* bad :
       {"TRIN", "inst:", "inst:a b", "college:TRIN", ":TRIN", "inst:TRIN\"", "inst:Ünï"}) {
    EXPECT_FALSE(parse_link(bad)) << bad;
  }
  EXPECT_FALSE(parse_link("group:" + std::string(65, '1')));
  EXPECT_TRUE(parse_link("group:" + std::string(64, '1')));
}
