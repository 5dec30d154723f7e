#include <gtest/gtest.h>

#include "muc/payloads/admin_query.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/payloads/payload_error.hpp"
#include "xmpp/serializer.hpp"

using namespace commonroom;
using namespace commonroom::muc;

namespace {

AdminItem item(std::optional<Affiliation> affiliation, std::optional<Role> role,
               std::optional<std::string> jid, std::optional<std::string> nick,
               std::string reason = "") {
  AdminItem it;
  it.affiliation = affiliation;
  it.role = role;
  it.jid = std::move(jid);
  it.nick = std::move(nick);
  it.reason = std::move(reason);
  return it;
}

AdminQuery parse(const std::string& xml) {
  return parse_admin_query(xmpp::parse_element(xml));
}

std::string problem(const std::string& xml) {
  try {
    parse(xml);
  } catch (const xmpp::PayloadError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << xml;
  return {};
}

}  // namespace

TEST(AdminQuery, ReadsAKickAndABan) {
  // XEP-0045 Example 75 (kick) and Example 112 (ban).
  AdminQuery kick = parse(R"(<query xmlns='http://jabber.org/protocol/muc#admin'>
      <item nick='pistol' role='none'><reason>Avaunt, you cullion!</reason></item>
    </query>)");
  ASSERT_EQ(kick.items.size(), 1u);
  EXPECT_EQ(kick.items[0].role, Role::none);
  EXPECT_EQ(kick.items[0].nick, "pistol");
  EXPECT_FALSE(kick.items[0].affiliation);
  EXPECT_FALSE(kick.items[0].jid);
  EXPECT_EQ(kick.items[0].reason, "Avaunt, you cullion!");

  AdminQuery ban = parse(R"(<query xmlns='http://jabber.org/protocol/muc#admin'>
      <item affiliation='outcast' jid='earlofcambridge@shakespeare.lit'/>
    </query>)");
  ASSERT_EQ(ban.items.size(), 1u);
  EXPECT_EQ(ban.items[0].affiliation, Affiliation::outcast);
  EXPECT_EQ(ban.items[0].jid, "earlofcambridge@shakespeare.lit");
  EXPECT_FALSE(ban.items[0].nick);
  EXPECT_EQ(ban.items[0].reason, "");
}

TEST(AdminQuery, AnEmptyNickIsNotAMissingOne) {
  // §9.5: an empty nick on a member item unsets the reservation.
  AdminQuery q = parse(R"(<query xmlns='http://jabber.org/protocol/muc#admin'>
      <item affiliation='member' jid='hag66@shakespeare.lit' nick=''/>
    </query>)");
  ASSERT_EQ(q.items.size(), 1u);
  EXPECT_EQ(q.items[0].nick, "");
}

TEST(AdminQuery, RefusesValuesXep0045DoesNotDefine) {
  EXPECT_EQ(problem(R"(<query xmlns='http://jabber.org/protocol/muc#admin'>
      <item affiliation='king' jid='a@b'/></query>)"),
            "unknown affiliation");
  EXPECT_EQ(problem(R"(<query xmlns='http://jabber.org/protocol/muc#admin'>
      <item role='jester' nick='x'/></query>)"),
            "unknown role");
  EXPECT_NE(problem("<query xmlns='http://jabber.org/protocol/muc#owner'/>"), "");
}

TEST(AdminQuery, IgnoresItemsOfOtherNamespaces) {
  AdminQuery q = parse(R"(<query xmlns='http://jabber.org/protocol/muc#admin'>
      <item xmlns='urn:example' role='none' nick='x'/></query>)");
  EXPECT_TRUE(q.items.empty());
}

TEST(AdminQuery, ListItemsSerializeInTheOrderTheRoomSendsThem) {
  AdminQuery list;
  list.items.push_back(item(Affiliation::member, Role::participant, "hag66@shakespeare.lit",
                            "thirdwitch", "a witch"));
  list.items.push_back(
      item(Affiliation::outcast, std::nullopt, "troll@shakespeare.lit", std::nullopt));
  EXPECT_EQ(xmpp::to_string(to_element(list)),
            "<query xmlns='http://jabber.org/protocol/muc#admin'>"
            "<item affiliation='member' jid='hag66@shakespeare.lit' nick='thirdwitch' "
            "role='participant'><reason>a witch</reason></item>"
            "<item affiliation='outcast' jid='troll@shakespeare.lit'/></query>");
}

TEST(AdminQuery, RoundTrips) {
  AdminQuery q;
  q.items.push_back(item(std::nullopt, Role::visitor, std::nullopt, "pistol", "be quiet"));
  q.items.push_back(
      item(Affiliation::admin, std::nullopt, "wiccarocks@shakespeare.lit", std::nullopt));
  q.items.push_back(item(Affiliation::member, std::nullopt, "hag66@shakespeare.lit", ""));
  EXPECT_EQ(parse_admin_query(to_element(q)), q);
  EXPECT_EQ(parse_admin_query(to_element(AdminQuery{})), AdminQuery{});
}
