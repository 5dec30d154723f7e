// Messages through a room: groupchat (reflected once to everyone, §7.4), private messages
// (§7.5), and the normal messages that carry invitations and voice requests.
#include "muc/engine.hpp"
#include "muc/event_detail.hpp"
#include "muc/features/feature.hpp"
#include "muc/muc_errors.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/payloads/data_form.hpp"

namespace commonroom::muc {

namespace {

// The client's message as the room reflects it: addressed from the occupant JID, in the
// component namespace, without ids only the room may set.
xmpp::Element reflected(const xmpp::Element& in, const xmpp::Jid& from, std::string_view room) {
  xmpp::Element msg = in;
  msg.set_xmlns(std::string(xmpp::ns::component_accept));
  for (auto& node : msg.nodes()) {
    if (!node.is_text() && node.xmlns() == xmpp::ns::client) {
      node.set_xmlns(std::string(xmpp::ns::component_accept));
    }
  }
  msg.remove_attr("to");
  msg.set_attr("from", from.full());
  strip_ids(msg, room);
  return msg;
}

}  // namespace

void Engine::handle_message(Ctx& ctx, Room& room) {
  if (ctx.to.has_resource()) {
    private_message(ctx, room);
    return;
  }
  std::string_view type = ctx.stanza.attr("type");
  if (type == "groupchat") {
    groupchat(ctx, room);
    return;
  }
  // Invitations, voice requests, registration answers: the feature that owns it handles it.
  for (const RoomFeature* f : room_features()) {
    if (f->handle_message(*this, ctx, room)) return;
  }
  if (ctx.stanza.find_child("body", ctx.stanza.xmlns())) {
    // §17.2 rule 1: messages to everyone must be of type groupchat.
    error(ctx, &room, xmpp::StanzaError::bad_request("messages to the room must be groupchat"));
  }
  // Anything else (receipts, chat states to the bare room) has nobody to go to.
}

void Engine::groupchat(Ctx& ctx, Room& room) {
  Occupant* o = room.occupant_of(ctx.from);
  if (!o) {
    error(ctx, &room, muc_not_acceptable("you are not in this room"));
    return;
  }
  const std::string& ns = ctx.stanza.xmlns();
  bool has_body = ctx.stanza.find_child("body", ns) != nullptr;
  bool has_subject = ctx.stanza.find_child("subject", ns) != nullptr;
  bool has_thread = ctx.stanza.find_child("thread", ns) != nullptr;
  if (has_subject && !has_body && !has_thread) {
    handle_subject(ctx, room, *o);
    return;
  }
  if (traffic_refused(ctx, room, Traffic::message, ctx.stanza.child_text("body", ns).size())) {
    return;
  }
  if (o->role < Role::participant) {
    // §7.4: visitors have no voice.
    error(ctx, &room,
          xmpp::StanzaError::forbidden("visitors may not speak in this room; ask for voice"));
    return;
  }
  xmpp::Element msg = reflected(ctx.stanza, occupant_jid(room, o->nick), room.jid_str());
  std::string stanza_id;
  if (has_body) {
    // Archived messages carry the room's XEP-0359 id (MAM and moderation refer to it).
    stanza_id = ids_->next_id();
    add_stanza_id(msg, room.jid_str(), stanza_id);
  }
  add_occupant_id(msg, o->occupant_id);
  // §7.4: reflect the client's id; a message without one gets one, the same for all.
  if (!msg.has_attr("id")) msg.set_attr("id", stanza_id.empty() ? ids_->next_id() : stanza_id);
  if (has_body) {
    RoomEvent& ev = event(ctx, room, RoomEventKind::groupchat);
    ev.actor_nick = o->nick;
    ev.stanza_id = stanza_id;
    ev.body = ctx.stanza.child_text("body", ns);
  }
  fanout(ctx.out, msg, room.all_sessions());
  if (has_body) {
    room.add_history(
        HistoryEntry{std::make_shared<const xmpp::Element>(std::move(msg)), ctx.now, stanza_id});
  }
}

void Engine::private_message(Ctx& ctx, Room& room) {
  if (ctx.stanza.attr("type") == "groupchat") {
    // §7.5: the recipient would take it for a message to everyone.
    error(ctx, &room,
          xmpp::StanzaError::bad_request("a private message may not be of type groupchat"));
    return;
  }
  Occupant* sender = room.occupant_of(ctx.from);
  if (!sender) {
    error(ctx, &room, muc_not_acceptable("only occupants may send private messages"));
    return;
  }
  if (traffic_refused(ctx, room, Traffic::message,
                      ctx.stanza.child_text("body", ctx.stanza.xmlns()).size())) {
    return;
  }
  const Occupant* target = room.occupant(ctx.to.resource());
  if (!target) {
    error(ctx, &room, xmpp::StanzaError::item_not_found("nobody has that nickname here"));
    return;
  }
  if (auto veto = private_message_veto(room.config(), sender->role)) {
    error(ctx, &room, std::move(*veto));
    return;
  }
  xmpp::Element msg = reflected(ctx.stanza, occupant_jid(room, sender->nick), room.jid_str());
  // §7.5: the room adds <x xmlns='...muc#user'/> so carbons can tell it is a MUC PM.
  if (!msg.find_child("x", xmpp::ns::muc_user)) msg.add_child("x", std::string(xmpp::ns::muc_user));
  add_occupant_id(msg, sender->occupant_id);
  if (const std::string body = ctx.stanza.child_text("body", ctx.stanza.xmlns()); !body.empty()) {
    RoomEvent& ev = event(ctx, room, RoomEventKind::private_message);
    ev.actor_nick = sender->nick;
    ev.target = std::string(target->primary().jid.full());
    ev.body = body;
    ev.detail = json_detail({{"target_nick", target->nick}});
  }
  // Delivered to every session of the recipient's nick (§7.2.8 recommends all).
  std::vector<xmpp::Jid> to;
  for (const Session& s : target->sessions) to.push_back(s.jid);
  fanout(ctx.out, msg, std::move(to));
}

}  // namespace commonroom::muc
