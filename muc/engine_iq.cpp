// IQs to a room (disco, admin, owner, registration, ping, moderation, archive) and to an
// occupant JID (XEP-0410 self-ping; anything else is passed to that occupant).
#include "muc/engine.hpp"
#include "muc/features/feature.hpp"
#include "muc/muc_errors.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

void Engine::handle_room_iq(Ctx& ctx, Room* room) {
  auto type = xmpp::iq_type(ctx.stanza);
  if (type == xmpp::IqType::result) return;  // we send no requests that expect answers
  if (!type) {
    error(ctx, room, xmpp::StanzaError::bad_request("iq type must be get, set, result or error"));
    return;
  }
  if (!ctx.stanza.has_attr("id")) {
    error(ctx, room, xmpp::StanzaError::bad_request("iq has no id"));
    return;
  }
  auto payloads = ctx.stanza.child_elements();
  if (payloads.size() != 1) {
    error(ctx, room,
          xmpp::StanzaError::bad_request("an iq get or set must contain exactly one payload"));
    return;
  }
  const xmpp::Element& q = *payloads.front();
  // A room that does not exist, or is locked to everyone but its owners, answers nothing
  // but item-not-found (§7.10 for registration, §10.1.1 for locked rooms).
  if (!room || (room->locked() && affiliation(*room, ctx.from) != Affiliation::owner)) {
    error(ctx, room, xmpp::StanzaError::item_not_found("no such room"));
    return;
  }
  if (ctx.to.has_resource()) {
    handle_occupant_iq(ctx, *room);
    return;
  }
  bool get = type == xmpp::IqType::get;
  const std::string& ns = q.xmlns();
  auto wrong = [&](std::string_view what) {
    error(ctx, room, xmpp::StanzaError::feature_not_implemented(std::string(what)));
  };
  if (ns == xmpp::ns::disco_info) {
    if (q.name() != "query" || !get) return wrong("disco#info supports only get of <query/>");
    room_disco_info(ctx, *room, q);
  } else if (ns == xmpp::ns::disco_items) {
    if (q.name() != "query" || !get) return wrong("disco#items supports only get of <query/>");
    room_disco_items(ctx, *room, q);
  } else if (ns == xmpp::ns::muc_admin && q.name() == "query") {
    handle_admin(ctx, *room, q, !get);
  } else if (ns == xmpp::ns::muc_owner && q.name() == "query") {
    handle_owner(ctx, *room, q, !get);
  } else if (ns == xmpp::ns::ping) {
    if (q.name() != "ping" || !get) return wrong("urn:xmpp:ping supports only get of <ping/>");
    result(ctx);
  } else {
    // Registration, moderation, the archive: the feature that owns the payload answers.
    for (const RoomFeature* f : room_features()) {
      if (f->handle_iq(*this, ctx, *room, q, get)) return;
    }
    error(ctx, room, xmpp::StanzaError::service_unavailable());
  }
}

void Engine::handle_occupant_iq(Ctx& ctx, Room& room) {
  const xmpp::Element& q = *ctx.stanza.child_elements().front();
  const Occupant* sender = room.occupant_of(ctx.from);
  bool ping = q.is("ping", xmpp::ns::ping);
  if (ping && sender && sender->nick == ctx.to.resource()) {
    // XEP-0410 §3.3 (self-ping optimization): the room answers for the client.
    result(ctx);
    return;
  }
  if (!sender) {
    if (ping) {
      // XEP-0410: "not joined" is not-acceptable.
      error(ctx, &room, muc_not_acceptable("you are not in this room"));
      return;
    }
    // §6.6: a non-occupant may not query an occupant.
    bool disco = q.xmlns() == xmpp::ns::disco_info || q.xmlns() == xmpp::ns::disco_items;
    error(ctx, &room,
          disco ? xmpp::StanzaError::bad_request("you are not in this room")
                : muc_not_acceptable("you are not in this room"));
    return;
  }
  const Occupant* target = room.occupant(ctx.to.resource());
  if (!target) {
    error(ctx, &room, xmpp::StanzaError::item_not_found("nobody has that nickname here"));
    return;
  }
  // §17.4 rule 3: the room passes the iq on without revealing either real JID. vCards live
  // on the user's server, so they go to the bare JID (as clients ask for avatars this way).
  bool vcard = q.xmlns() == "vcard-temp";
  std::string responder(vcard ? target->bare.bare_str() : target->primary().jid.full());
  PendingIq pending{ids_->next_id(),
                    std::string(ctx.from.full()),
                    std::string(ctx.stanza.attr("id")),
                    sender->nick,
                    responder,
                    target->nick};
  xmpp::Element forwarded = ctx.stanza;
  forwarded.set_xmlns(std::string(xmpp::ns::component_accept));
  forwarded.set_attr("from", occupant_jid(room, sender->nick).full());
  forwarded.set_attr("to", responder);
  forwarded.set_attr("id", pending.id);
  room.remember_iq(std::move(pending), policy_->limits().max_pending_iqs);
  send(ctx, std::move(forwarded));
}

bool Engine::relay_iq_answer(Ctx& ctx, Room& room) {
  auto pending = room.take_iq(ctx.stanza.attr("id"), ctx.from);
  if (!pending) return false;
  // The answer must come back to the nick that asked; if it has gone, nobody gets it.
  if (ctx.to.resource() != pending->requester_nick) return true;
  xmpp::Element answer = ctx.stanza;
  answer.set_xmlns(std::string(xmpp::ns::component_accept));
  answer.set_attr("from", occupant_jid(room, pending->target_nick).full());
  answer.set_attr("to", pending->requester);
  answer.set_attr("id", pending->requester_id);
  send(ctx, std::move(answer));
  return true;
}

}  // namespace commonroom::muc
