// Service-wide bans: an outcast in every room, effective at once.
#include "muc/engine.hpp"
#include "muc/event_detail.hpp"

namespace commonroom::muc {

Effects Engine::set_service_bans(std::vector<ServiceBan> bans, TimePoint now) {
  bans_.assign(std::move(bans));
  Effects effects;
  if (bans_.empty()) return effects;
  // Not caused by a stanza: the events carry no raw stanza and the service as actor.
  const xmpp::Element no_stanza("presence");
  const xmpp::Jid& service = basics_.domain();
  Ctx ctx{no_stanza, service, service, now, effects};

  std::vector<std::string> emptied;
  for (auto& [key, room] : rooms_) {
    std::vector<std::pair<std::string, const ServiceBan*>> banned;
    for (const auto& [nick, o] : room->occupants()) {
      if (const ServiceBan* b = bans_.find(o.bare)) banned.emplace_back(nick, b);
    }
    if (banned.empty()) continue;
    for (const auto& [nick, ban] : banned) {
      const Occupant* o = room->occupant(nick);
      if (!o) continue;
      RoomEvent& ev = event(ctx, *room, RoomEventKind::ban, false);
      ev.actor_jid.clear();
      ev.actor_nick.clear();
      ev.target = std::string(o->bare.bare_str());
      ev.body = ban->reason;
      ev.detail =
          json_detail({{"scope", "service"}, {"subject", ban->subject}, {"by", ban->set_by}});
      std::size_t first_new = effects.events.size();
      // §9.1's removal of a banned occupant: 301 to itself and to everyone else.
      remove_occupant(ctx, effects, effects, *room, nick, Removal{{301}, "", ban->reason});
      for (std::size_t i = first_new; i < effects.events.size(); ++i) effects.events[i].raw.clear();
    }
    if (room->occupants().empty()) emptied.push_back(key);
  }
  for (const std::string& key : emptied) {
    auto it = rooms_.find(key);
    if (it != rooms_.end()) drop_if_empty(ctx, *it->second);
  }
  return effects;
}

}  // namespace commonroom::muc
