#include "muc/engine.hpp"

#include <algorithm>

#include "muc/event_detail.hpp"
#include "muc/features/feature.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/payloads/payload_error.hpp"
#include "xmpp/serializer.hpp"

namespace commonroom::muc {

namespace {

xmpp::ServiceDescription describe(Engine& engine, const RoomServiceConfig& config) {
  xmpp::ServiceDescription d;
  d.domain = config.domain;
  d.identity = xmpp::DiscoIdentity{"conference", "text", config.name, ""};
  d.features = {std::string(xmpp::ns::muc), std::string(xmpp::ns::muc_unique),
                std::string(xmpp::ns::muc_stable_id)};
  d.software_version = config.version;
  (void)engine;
  return d;
}

// Errors that say the occupant's session is gone (XEP-0045 §18.1.2 "Ghost Users" lists the
// delivery errors). As Prosody does, the errors a host server or client returns for a
// session that closed or failed locally count too; a bounce with no readable condition is
// taken as such a failure.
bool is_kickable_error(std::optional<xmpp::Condition> c) {
  using C = xmpp::Condition;
  if (!c) return true;
  return *c == C::gone || *c == C::internal_server_error || *c == C::item_not_found ||
         *c == C::jid_malformed || *c == C::recipient_unavailable || *c == C::redirect ||
         *c == C::remote_server_not_found || *c == C::remote_server_timeout ||
         *c == C::service_unavailable;
}

}  // namespace

Engine::Engine(RoomServiceConfig config, std::shared_ptr<const Policy> policy,
               std::shared_ptr<IdSource> ids)
    : config_(std::move(config)), policy_(std::move(policy)), ids_(std::move(ids)), basics_([this] {
        xmpp::ServiceDescription d = describe(*this, config_);
        d.items = [this](const xmpp::Jid& from, const xmpp::DiscoItems& request) {
          return service_items(from, request);
        };
        return d;
      }()) {}

const Room* Engine::find_room(std::string_view bare) const {
  auto it = rooms_.find(bare);
  return it == rooms_.end() ? nullptr : it->second.get();
}

std::vector<const Room*> Engine::rooms() const {
  std::vector<const Room*> out;
  out.reserve(rooms_.size());
  for (const auto& [jid, room] : rooms_) out.push_back(room.get());
  return out;
}

void Engine::restore(const RoomSnapshot& snapshot) {
  auto room = Room::from_snapshot(snapshot);
  std::string key = room->jid_str();
  rooms_[key] = std::move(room);
}

Effects Engine::handle(const xmpp::Element& stanza, TimePoint now) {
  Effects effects;
  xmpp::Routing routing = basics_.route(stanza);
  if (const auto* dropped = std::get_if<xmpp::Dropped>(&routing)) {
    effects.dropped.push_back(dropped->reason);
    return effects;
  }
  auto& routed = std::get<xmpp::Routed>(routing);
  Ctx ctx{stanza, routed.from, routed.to, now, effects};
  // The host server stamps 'from' with the sender's address, so nothing may arrive from
  // this service's own domain: such a stanza is spoofed or looped and is refused (the
  // error goes back through the host and, being an error, is never answered again).
  if (routed.from.domain() == basics_.domain().domain()) {
    if (auto reply = xmpp::refuse(stanza, xmpp::StanzaError::forbidden(
                                              "stanzas may not come from this service's domain"))) {
      effects.outbound.push_back(std::move(*reply));
    }
    effects.dropped.push_back("stanza from " + std::string(routed.from.full()) +
                              " claims this service's own domain");
    return effects;
  }
  try {
    if (routed.to.has_node()) {
      handle_room_stanza(ctx);
    } else if (routed.kind == xmpp::StanzaKind::iq &&
               stanza.find_child("unique", xmpp::ns::muc_unique)) {
      handle_service_iq(ctx);
    } else if (auto reply = basics_.answer(stanza, routed)) {
      effects.outbound.push_back(std::move(*reply));
    }
  } catch (const xmpp::PayloadError& e) {
    error(ctx, nullptr, xmpp::StanzaError::bad_request(e.what()));
  } catch (const xmpp::JidError& e) {
    error(ctx, nullptr, xmpp::StanzaError::jid_malformed(e.what()));
  } catch (const std::exception& e) {
    // A bug, not bad input: answer honestly and leave a trace rather than take the
    // service down for every room.
    error(ctx, nullptr, xmpp::StanzaError::internal_server_error());
    effects.dropped.push_back(std::string("internal error handling a stanza: ") + e.what());
  }
  return effects;
}

Effects Engine::shutdown(TimePoint now) {
  Effects effects;
  (void)now;
  for (auto& [jid, room] : rooms_) {
    for (const auto& [nick, o] : room->occupants()) {
      PresenceNote note;
      note.unavailable = true;
      note.codes = {332};
      presence_to_self(effects, *room, o, note);
    }
  }
  return effects;
}

void Engine::handle_room_stanza(Ctx& ctx) {
  auto it = rooms_.find(ctx.to.bare_str());
  Room* room = it == rooms_.end() ? nullptr : it->second.get();
  if (room && ctx.to.has_resource() && xmpp::is_error_or_result(ctx.stanza) &&
      xmpp::stanza_kind(ctx.stanza) == xmpp::StanzaKind::iq && relay_iq_answer(ctx, *room)) {
    return;
  }
  if (xmpp::is_error(ctx.stanza)) {
    handle_delivery_error(ctx, room);
    return;
  }
  switch (xmpp::stanza_kind(ctx.stanza)) {
    case xmpp::StanzaKind::presence:
      handle_presence(ctx, room);
      return;
    case xmpp::StanzaKind::iq:
      handle_room_iq(ctx, room);
      return;
    case xmpp::StanzaKind::message:
      // §17.2 rule 3: a room that does not exist or is still locked is item-not-found
      // (its creator, already inside, may talk in it).
      if (!room || (room->locked() && !room->occupant_of(ctx.from))) {
        error(ctx, room, xmpp::StanzaError::item_not_found("no such room"));
        return;
      }
      handle_message(ctx, *room);
      return;
    case xmpp::StanzaKind::other:
      return;
  }
}

bool Engine::handle_delivery_error(Ctx& ctx, Room* room) {
  if (!room) return false;
  Occupant* o = room->occupant_of(ctx.from);
  if (!o) return false;
  std::optional<xmpp::Condition> condition;
  if (const xmpp::Element* error_el = ctx.stanza.find_child("error", ctx.stanza.xmlns())) {
    try {
      condition = xmpp::parse_stanza_error(*error_el).condition;
    } catch (const xmpp::PayloadError&) {
    }
  }
  // An error presence from an occupant always ends its session in the room: its host
  // server has dropped the room from the session's directed presence, so no unavailable
  // will ever follow (XEP-0045 "Service removes user because of error response"). Errors
  // to messages and iqs the room routed count when they say the session is gone.
  bool presence = xmpp::stanza_kind(ctx.stanza) == xmpp::StanzaKind::presence;
  if (!presence && !is_kickable_error(condition)) return false;
  std::string cause = condition ? std::string(to_string(*condition)) : "no condition given";
  std::string nick = o->nick;
  if (o->sessions.size() > 1) {
    // One of several sessions: only that one leaves; the room sees no change.
    PresenceNote note;
    note.unavailable = true;
    note.codes = {333};
    note.visible_role = o->role;
    presence_to_self(ctx.out, *room, *o, note, &ctx.from);
    room->remove_session(nick, ctx.from);
    RoomEvent& ev = event(ctx, *room, RoomEventKind::exit);
    ev.actor_nick = nick;
    ev.body = "delivery error: " + cause;
    ev.detail = json_detail({{"cause", "delivery error"}, {"session", "one of several"}});
    return true;
  }
  Removal removal;
  removal.codes = {333};
  removal.reason = "delivery error: " + cause;
  remove_occupant(ctx, ctx.out, ctx.out, *room, nick, removal);
  drop_if_empty(ctx, *room);
  return true;
}

void Engine::handle_service_iq(Ctx& ctx) {
  // muc#unique (XEP-0045 before 1.25; the brief still wants it): a fresh room name.
  auto type = xmpp::iq_type(ctx.stanza);
  if (type != xmpp::IqType::get) {
    error(ctx, nullptr, xmpp::StanzaError::feature_not_implemented("muc#unique supports only get"));
    return;
  }
  std::string name;
  do {
    name = ids_->next_id();
  } while (rooms_.count(name + "@" + std::string(basics_.domain().domain())) != 0);
  xmpp::Element unique("unique", std::string(xmpp::ns::muc_unique));
  unique.add_text(name);
  result(ctx, std::move(unique));
}

// --- helpers ---

void Engine::send(Ctx& ctx, xmpp::Element stanza) {
  ctx.out.outbound.push_back(std::move(stanza));
}

void Engine::fanout(Effects& sink, const xmpp::Element& stanza, std::vector<xmpp::Jid> recipients) {
  if (recipients.empty()) return;
  Fanout f;
  f.stanza = std::make_shared<const xmpp::FanoutStanza>(stanza);
  f.recipients = std::move(recipients);
  f.position = sink.outbound.size();
  sink.fanouts.push_back(std::move(f));
}

void Engine::error(Ctx& ctx, const Room* room, xmpp::StanzaError e) {
  if (room && e.by.empty()) e.by = room->jid_str();
  const xmpp::Element* muc_x =
      ctx.stanza.name() == "presence" ? ctx.stanza.find_child("x", xmpp::ns::muc) : nullptr;
  if (muc_x && !muc_x->nodes().empty()) {
    // The error echoes the join's <x/> (§7.2.5's examples) but not the password in it.
    xmpp::Element echo = ctx.stanza;
    for (auto& node : echo.nodes()) {
      if (node.is("x", xmpp::ns::muc)) node.nodes().clear();
    }
    if (auto reply = xmpp::refuse(echo, e)) ctx.out.outbound.push_back(std::move(*reply));
    return;
  }
  if (auto reply = xmpp::refuse(ctx.stanza, e)) ctx.out.outbound.push_back(std::move(*reply));
}

void Engine::result(Ctx& ctx, std::optional<xmpp::Element> payload) {
  if (payload) {
    ctx.out.outbound.push_back(xmpp::make_iq_result(ctx.stanza, std::move(*payload)));
  } else {
    ctx.out.outbound.push_back(xmpp::make_iq_result(ctx.stanza));
  }
}

RoomEvent& Engine::event(Ctx& ctx, const Room& room, RoomEventKind kind, bool with_raw) {
  RoomEvent e;
  e.id = ids_->next_id();
  e.room = room.jid_str();
  e.occurred_at = ctx.now;
  e.kind = kind;
  e.actor_jid = std::string(ctx.from.full());
  if (const Occupant* o = room.occupant_of(ctx.from)) e.actor_nick = o->nick;
  if (with_raw) e.raw = xmpp::to_string(ctx.stanza);
  ctx.out.events.push_back(std::move(e));
  return ctx.out.events.back();
}

void Engine::persist(Ctx& ctx, const Room& room) {
  if (!room.config().persistent || room.locked()) return;
  auto& saves = ctx.out.saves;
  std::erase_if(saves, [&](const RoomSnapshot& s) { return s.jid == room.jid_str(); });
  saves.push_back(room.snapshot());
}

Affiliation Engine::affiliation(const Room& room, const xmpp::Jid& user) const {
  return affiliation_under(room, user, room.config().linked, links_.get());
}

Affiliation Engine::affiliation_under(const Room& room, const xmpp::Jid& user,
                                      const std::vector<std::string>& links,
                                      const LinkDirectory* directory) const {
  // A service-wide ban wins even over service administration: staff lock out a
  // compromised account, whoever it belongs to.
  if (bans_.find(user)) return Affiliation::outcast;
  if (policy_->is_service_admin(user)) return Affiliation::owner;
  Affiliation own = room.affiliation_of(user);
  if (own != Affiliation::none || links.empty() || !directory) return own;
  // Linked membership only fills the gap: an explicit affiliation (a ban included) wins.
  return directory->member_of_any(links, user.bare_str()) ? Affiliation::member : Affiliation::none;
}

bool Engine::traffic_refused(Ctx& ctx, const Room& room, Traffic kind, std::size_t bytes) {
  Verdict v = policy_->check_traffic(ctx.from, room.jid(), kind, bytes, ctx.now);
  if (v.allowed) return false;
  error(ctx, &room,
        xmpp::StanzaError::policy_violation(v.reason.empty() ? "the service's limits refuse this"
                                                             : v.reason));
  return true;
}

std::size_t Engine::rooms_owned_by(const xmpp::Jid& user, const Room* except) const {
  std::size_t n = 0;
  for (const auto& [jid, room] : rooms_) {
    if (room.get() == except) continue;
    const AffiliationEntry* e = room->entry(user.bare_str());
    if (e && e->affiliation == Affiliation::owner) ++n;
  }
  return n;
}

std::string Engine::occupant_id_for(const Room& room, const xmpp::Jid& user) const {
  return occupant_id_of(room.secret(), user.bare_str());
}

xmpp::Jid Engine::occupant_jid(const Room& room, std::string_view nick) const {
  return room.jid().with_resource(nick);
}

void Engine::append(Effects& into, Effects&& later) {
  into.append(std::move(later));
}

}  // namespace commonroom::muc
