// Service discovery: a room's disco#info (features + muc#roominfo) and disco#items, the
// reserved-nick node, and the service's list of public rooms.
#include <algorithm>

#include "muc/engine.hpp"
#include "muc/features/feature.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

void Engine::room_disco_info(Ctx& ctx, const Room& room, const xmpp::Element& query) {
  std::string_view node = query.attr("node");
  if (node == "x-roomuser-item") {
    // §7.12: the user's reserved nick as the identity name; empty when none.
    xmpp::DiscoInfo info;
    info.node = std::string(node);
    if (const AffiliationEntry* e = room.entry(ctx.from.bare_str()); e && !e->nick.empty()) {
      info.identities.push_back({"conference", "text", e->nick, ""});
    }
    result(ctx, xmpp::to_element(info));
    return;
  }
  if (node == "http://jabber.org/protocol/muc#traffic") {
    // §18.1.1: a room that discards no namespaces answers service-unavailable.
    error(ctx, &room, xmpp::StanzaError::service_unavailable());
    return;
  }
  if (!node.empty()) {
    error(ctx, &room, xmpp::StanzaError::item_not_found("no such node"));
    return;
  }
  xmpp::DiscoInfo info;
  const RoomConfig& c = room.config();
  info.identities.push_back(
      {"conference", "text", c.name.empty() ? std::string(room.jid().node()) : c.name, ""});
  info.features.emplace_back(xmpp::ns::muc);
  for (const RoomFeature* f : room_features()) f->add_disco_features(room, config_, info.features);
  xmpp::DataForm roominfo;
  roominfo.type = xmpp::FormType::result;
  roominfo.set_form_type(std::string(xmpp::ns::muc_roominfo));
  if (!c.name.empty()) {
    roominfo.fields.push_back(text_field("muc#roomconfig_roomname", c.name, "Room name"));
  }
  for (const RoomFeature* f : room_features()) f->add_roominfo_fields(room, roominfo.fields);
  info.extensions.push_back(std::move(roominfo));
  result(ctx, xmpp::to_element(info));
}

void Engine::room_disco_items(Ctx& ctx, const Room& room, const xmpp::Element& query) {
  if (!query.attr("node").empty()) {
    error(ctx, &room, xmpp::StanzaError::item_not_found("no such node"));
    return;
  }
  xmpp::DiscoItems items;
  // §6.5: occupants see who is there anyway; others only when the service says so.
  bool show = room.occupant_of(ctx.from) != nullptr ||
              (config_.occupants_public && room.config().public_room);
  if (show) {
    for (const auto& [nick, o] : room.occupants()) {
      items.items.push_back(xmpp::DiscoItem{occupant_jid(room, nick), "", ""});
    }
  }
  result(ctx, xmpp::to_element(items));
}

xmpp::DiscoItemsAnswer Engine::service_items(const xmpp::Jid&, const xmpp::DiscoItems& request) {
  if (!request.node.empty()) return xmpp::StanzaError::item_not_found("no such node");
  // §6.3: public rooms only (hidden and still-locked rooms are not listed), in JID order.
  std::vector<xmpp::DiscoItem> all;
  for (const auto& [jid, room] : rooms_) {
    if (room->locked() || !room->config().public_room) continue;
    all.push_back(xmpp::DiscoItem{room->jid(), "", room->config().name});
  }
  xmpp::DiscoItems out;
  if (!request.rsm) {
    out.items = std::move(all);
    return out;
  }
  // XEP-0059 paging, by room JID.
  const xmpp::RsmSet& rq = *request.rsm;
  auto position_of = [&](const std::string& jid) -> std::optional<size_t> {
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i].jid.full() == jid) return i;
    }
    return std::nullopt;
  };
  size_t n = all.size();
  size_t max = rq.max.value_or(static_cast<uint32_t>(n));
  size_t begin = 0, end = n;
  if (rq.after) {
    auto p = position_of(*rq.after);
    if (!p) return xmpp::StanzaError::item_not_found("no such item to page after");
    begin = *p + 1;
    end = std::min(n, begin + max);
  } else if (rq.before) {
    if (!rq.before->empty()) {
      auto p = position_of(*rq.before);
      if (!p) return xmpp::StanzaError::item_not_found("no such item to page before");
      end = *p;
    }
    begin = end > max ? end - max : 0;
  } else {
    begin = std::min<size_t>(rq.index.value_or(0), n);
    end = std::min(n, begin + max);
  }
  xmpp::RsmSet set;
  set.count = static_cast<uint32_t>(n);
  if (max > 0 && begin < end) {
    out.items.assign(all.begin() + static_cast<std::ptrdiff_t>(begin),
                     all.begin() + static_cast<std::ptrdiff_t>(end));
    set.first = std::string(out.items.front().jid.full());
    set.first_index = static_cast<uint32_t>(begin);
    set.last = std::string(out.items.back().jid.full());
  }
  out.rsm = std::move(set);
  return out;
}

}  // namespace commonroom::muc
