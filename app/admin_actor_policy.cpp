#include "app/admin_actor_policy.hpp"

namespace commonroom::app {

muc::Verdict AdminActorPolicy::may_create_room(const xmpp::Jid& creator, const xmpp::Jid& room,
                                               bool persistent) const {
  if (!actor_.empty() && creator.bare_str() == actor_) return muc::Verdict::allow();
  return inner_->may_create_room(creator, room, persistent);
}
void AdminActorPolicy::default_config(const xmpp::Jid& room, muc::RoomConfig& config) const {
  inner_->default_config(room, config);
}
std::vector<xmpp::FormField> AdminActorPolicy::locked_fields(const xmpp::Jid& room) const {
  return inner_->locked_fields(room);
}
muc::Limits AdminActorPolicy::limits() const {
  return inner_->limits();
}
muc::NickDecision AdminActorPolicy::check_nick(const xmpp::Jid& user, const xmpp::Jid& room,
                                               std::string_view nick) const {
  return inner_->check_nick(user, room, nick);
}
muc::Verdict AdminActorPolicy::check_creation(const muc::CreationRequest& request) const {
  return inner_->check_creation(request);
}
muc::NickDecision AdminActorPolicy::check_nick_in_room(
    const xmpp::Jid& user, const xmpp::Jid& room, std::string_view nick,
    const std::vector<std::string_view>& others) const {
  return inner_->check_nick_in_room(user, room, nick, others);
}
muc::Verdict AdminActorPolicy::may_enter(const xmpp::Jid& user, const xmpp::Jid& room,
                                         const muc::RoomConfig& config, muc::Affiliation a) const {
  return inner_->may_enter(user, room, config, a);
}
muc::Verdict AdminActorPolicy::check_traffic(const xmpp::Jid& user, const xmpp::Jid& room,
                                             muc::Traffic kind, std::size_t bytes,
                                             std::chrono::system_clock::time_point now) const {
  return inner_->check_traffic(user, room, kind, bytes, now);
}
muc::Verdict AdminActorPolicy::may_link_room(const xmpp::Jid& user, const xmpp::Jid& room) const {
  if (!actor_.empty() && user.bare_str() == actor_) return muc::Verdict::allow();
  return inner_->may_link_room(user, room);
}
bool AdminActorPolicy::is_service_admin(const xmpp::Jid& user) const {
  if (!actor_.empty() && user.bare_str() == actor_) return true;
  return inner_->is_service_admin(user);
}

}  // namespace commonroom::app
