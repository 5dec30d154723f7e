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

Verdict Policy::check_creation(const CreationRequest& r) const {
  return may_create_room(r.creator, r.room, r.persistent);
}

NickDecision Policy::check_nick_in_room(const xmpp::Jid& user, const xmpp::Jid& room,
                                        std::string_view nick,
                                        const std::vector<std::string_view>&) const {
  return check_nick(user, room, nick);
}

Verdict Policy::may_enter(const xmpp::Jid&, const xmpp::Jid&, const RoomConfig&,
                          Affiliation) const {
  return Verdict::allow();
}

Verdict Policy::check_traffic(const xmpp::Jid&, const xmpp::Jid&, Traffic, std::size_t,
                              std::chrono::system_clock::time_point) const {
  return Verdict::allow();
}

Verdict Policy::may_link_room(const xmpp::Jid& user, const xmpp::Jid& room) const {
  return may_create_room(user, room, true);
}

bool Policy::is_service_admin(const xmpp::Jid&) const {
  return false;
}

}  // namespace commonroom::muc
