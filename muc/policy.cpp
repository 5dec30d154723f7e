#include "muc/policy.hpp"

namespace commonroom::muc {

Verdict Policy::may_create_room(const xmpp::Jid&, const xmpp::Jid&, bool) const {
  return Verdict::allow();
}

void Policy::default_config(const xmpp::Jid&, RoomConfig&) const {}

std::vector<xmpp::FormField> Policy::locked_fields(const xmpp::Jid&) const {
  return {};
}

Limits Policy::limits() const {
  return {};
}

NickDecision Policy::check_nick(const xmpp::Jid&, const xmpp::Jid&, std::string_view) const {
  return {};
}

bool Policy::is_service_admin(const xmpp::Jid&) const {
  return false;
}

}  // namespace commonroom::muc
