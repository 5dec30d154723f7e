// The admin web's actor is a service admin for the one request it runs, and nobody else is.
#include "app/admin_actor_policy.hpp"

#include <gtest/gtest.h>

#include "xmpp/jid.hpp"

namespace commonroom::app {
namespace {

TEST(AdminActorPolicy, OnlyTheActorOfTheCurrentRequestIsAServiceAdmin) {
  AdminActorPolicy policy(std::make_shared<muc::PermissivePolicy>());
  const auto actor = xmpp::Jid::parse("ops@admin-web.conference.cam.example/web");
  const auto room = xmpp::Jid::parse("jcr@conference.cam.example");
  EXPECT_FALSE(policy.is_service_admin(actor));
  policy.set_actor("ops@admin-web.conference.cam.example");
  EXPECT_TRUE(policy.is_service_admin(actor));
  EXPECT_TRUE(policy.may_link_room(actor, room).allowed);
  EXPECT_FALSE(policy.is_service_admin(xmpp::Jid::parse("mallory@cam.example/x")));
  policy.set_actor("");
  EXPECT_FALSE(policy.is_service_admin(actor)) << "the request is over";
}

}  // namespace
}  // namespace commonroom::app
