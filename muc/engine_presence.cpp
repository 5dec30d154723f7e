// Occupant presence: entering (and creating) rooms, status and nick changes, leaving, and
// the presence broadcasts every role and affiliation change reuses.
#include <algorithm>

#include "muc/engine.hpp"
#include "muc/event_detail.hpp"
#include "muc/features/feature.hpp"
#include "muc/muc_errors.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

const std::string kComponentNs(xmpp::ns::component_accept);

// The children of a presence a client sent, as the room reflects them: no MUC payloads
// (§17.3 rule 6), no occupant-id (XEP-0421 §4: only the room sets it), no addressing.
std::vector<xmpp::Element> clean_presence(const xmpp::Element& p) {
  xmpp::Element out("presence", kComponentNs);
  for (const xmpp::Element& node : p.nodes()) {
    if (node.is_text()) continue;
    const std::string& ns = node.xmlns();
    if (ns == xmpp::ns::muc || ns == xmpp::ns::muc_user || ns == xmpp::ns::occupant_id) continue;
    xmpp::Element child = node;
    if (ns == xmpp::ns::client) child.set_xmlns(kComponentNs);
    out.add_child(std::move(child));
  }
  return std::move(out.nodes());
}

// Status codes in ascending order, each once.
std::vector<int> status_codes(std::vector<int> codes) {
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  return codes;
}

bool only_spaces(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' '; });
}

}  // namespace

// --- presence building and broadcast ---

bool Engine::may_see_jids(const Room& room, const Occupant& viewer) const {
  return room.config().whois == Whois::anyone || viewer.role == Role::moderator;
}

xmpp::Element Engine::occupant_presence(const Room& room, const Occupant& o,
                                        const PresenceNote& note, bool with_jid,
                                        const xmpp::Jid* self_session) const {
  xmpp::Element p;
  if (note.unavailable) {
    p = xmpp::Element("presence", kComponentNs);
    p.set_attr("type", "unavailable");
    if (note.exit_presence) {
      // A custom exit message (§7.14) is passed on; nothing else of the client's.
      for (const xmpp::Element* status :
           note.exit_presence->children("status", note.exit_presence->xmlns())) {
        p.add_text_child("status", status->text());
      }
    }
  } else {
    p = xmpp::Element("presence", kComponentNs);
    p.nodes() = o.primary().presence;
  }
  p.set_attr("from", occupant_jid(room, o.nick).full());
  if (!note.id.empty()) p.set_attr("id", note.id);

  // The stanza the room sends most: written piece by piece, in to_element(UserX)'s order.
  xmpp::Element x = empty_user_x();
  UserItem item;
  item.affiliation = note.destroy ? Affiliation::none : affiliation(room, o.bare);
  if (with_jid) item.jid = self_session ? self_session->full() : o.primary().jid.full();
  if (!note.new_nick.empty()) item.nick = note.new_nick;
  item.role = note.unavailable ? Role::none : o.role;
  if (!note.actor_nick.empty()) item.actor = UserActor{std::nullopt, note.actor_nick};
  item.reason = note.reason;
  add_item(x, item);
  if (note.destroy) add_destroy(x, *note.destroy);
  std::vector<int> codes = note.codes;
  if (self_session) {
    codes.push_back(110);
    codes.insert(codes.end(), note.self_codes.begin(), note.self_codes.end());
  }
  add_status_codes(x, status_codes(std::move(codes)));
  p.add_child(std::move(x));
  add_occupant_id(p, o.occupant_id);
  return p;
}

void Engine::presence_to_self(Effects& sink, const Room& room, const Occupant& o,
                              const PresenceNote& note, const xmpp::Jid* only_session,
                              std::size_t serialize_with_more) {
  for (const Session& s : o.sessions) {
    if (only_session && !(s.jid == *only_session)) continue;
    xmpp::Element p = occupant_presence(room, o, note, true, &s.jid);
    p.set_attr("to", s.jid.full());
    if (serialize_with_more > 0) {
      sink.add_serialized(p, serialize_with_more);
    } else {
      sink.outbound.push_back(std::move(p));
    }
  }
}

void Engine::presence_to_others(Effects& sink, const Room& room, const Occupant& o,
                                const PresenceNote& note) {
  Role visible = note.visible_role.value_or(o.role);
  if (!room.config().presence_broadcast.contains(visible)) return;
  std::vector<xmpp::Jid> with_jid, without_jid;
  for (const auto& [nick, other] : room.occupants()) {
    if (nick == o.nick) continue;
    auto& list = may_see_jids(room, other) ? with_jid : without_jid;
    for (const Session& s : other.sessions) list.push_back(s.jid);
  }
  if (!with_jid.empty()) {
    fanout(sink, occupant_presence(room, o, note, true, nullptr), std::move(with_jid));
  }
  if (!without_jid.empty()) {
    fanout(sink, occupant_presence(room, o, note, false, nullptr), std::move(without_jid));
  }
}

void Engine::broadcast_presence(Effects& sink, const Room& room, const Occupant& o,
                                const PresenceNote& note, bool self_first) {
  if (self_first) presence_to_self(sink, room, o, note);
  presence_to_others(sink, room, o, note);
  if (!self_first) presence_to_self(sink, room, o, note);
}

void Engine::remove_occupant(Ctx& ctx, Effects& self_sink, Effects& others, Room& room,
                             const std::string& nick, const Removal& removal) {
  const Occupant* o = room.occupant(nick);
  if (!o) return;
  Occupant gone = *o;
  // The log shows every departure as an exit of the occupant, whatever caused it.
  std::string_view cause = "removed";
  if (!removal.codes.empty()) {
    switch (removal.codes.front()) {
      case 301:
        cause = "banned";
        break;
      case 307:
        cause = "kicked";
        break;
      case 321:
        cause = "affiliation change";
        break;
      case 322:
        cause = "room made members-only";
        break;
      case 333:
        cause = "delivery error";
        break;
      default:
        break;
    }
  }
  RoomEvent& ev = event(ctx, room, RoomEventKind::exit);
  ev.actor_jid = std::string(gone.primary().jid.full());
  ev.actor_nick = gone.nick;
  ev.body = removal.reason;
  ev.detail = json_detail({{"cause", cause}, {"by", removal.actor_nick}});
  room.remove_occupant(nick);
  PresenceNote note;
  note.unavailable = true;
  note.codes = removal.codes;
  note.actor_nick = removal.actor_nick;
  note.reason = removal.reason;
  note.visible_role = gone.role;
  presence_to_self(self_sink, room, gone, note);
  presence_to_others(others, room, gone, note);
}

void Engine::send_join_sequence(Ctx& ctx, const Room& room, const Occupant& o,
                                const xmpp::Jid& session, const std::vector<int>& self_codes,
                                const xmpp::Element* history, bool announce) {
  // 1. Everyone else already in the room (whose role's presence is broadcast), serialized
  // as built: one presence tree at a time instead of one per occupant.
  bool see = may_see_jids(room, o);
  std::size_t left = room.occupants().size();
  for (const auto& [nick, other] : room.occupants()) {
    --left;
    if (nick == o.nick || !room.config().presence_broadcast.contains(other.role)) continue;
    xmpp::Element p = occupant_presence(room, other, PresenceNote{}, see, nullptr);
    p.set_attr("to", session.full());
    ctx.out.add_serialized(p, left);
  }
  PresenceNote note;
  note.id = std::string(ctx.stanza.attr("id"));
  if (announce) presence_to_others(ctx.out, room, o, note);
  // 2. Self-presence, last of the roster so the client knows the roster is complete.
  // From here to the end of the join the stanzas are serialized as built, one run: a host
  // with our module takes it as one text (decision 0086), as it does the roster.
  note.self_codes = self_codes;
  presence_to_self(ctx.out, room, o, note, &session, room.history().size() + 1);
  // 3. History, 4. subject.
  send_history(ctx, room, session, history);
  send_subject(ctx, room, session);
}

// --- entering ---

std::optional<xmpp::StanzaError> Engine::check_nick(Ctx& ctx, const xmpp::Jid& room,
                                                    std::string& nick, bool& rewritten) const {
  rewritten = false;
  // §17.1: no empty or invisible nicknames (resourceprep already refused other spaces).
  if (only_spaces(nick)) {
    return xmpp::StanzaError::jid_malformed("a nickname may not be blank");
  }
  Limits limits = policy_->limits();
  if (nick.size() > limits.max_nick_bytes) {
    return xmpp::StanzaError::not_acceptable("nicknames are limited to " +
                                             std::to_string(limits.max_nick_bytes) + " bytes");
  }
  // Nicks other users hold, for policies that refuse look-alikes (the user's own nick and
  // other sessions do not count).
  std::vector<std::string_view> others;
  if (const Room* r = find_room(room.bare_str())) {
    for (const auto& [held, o] : r->occupants()) {
      if (!o.bare.same_bare(ctx.from)) others.push_back(held);
    }
  }
  NickDecision d = policy_->check_nick_in_room(ctx.from, room, nick, others);
  switch (d.kind) {
    case NickDecision::Kind::accept:
      break;
    case NickDecision::Kind::reject:
      return muc_not_acceptable(d.reason.empty() ? "this nickname is not allowed" : d.reason);
    case NickDecision::Kind::conflict:
      return xmpp::StanzaError::conflict(d.reason.empty() ? "that nickname is in use" : d.reason);
    case NickDecision::Kind::rewrite:
      if (d.nick != nick) {
        try {
          nick = xmpp::resourceprep(d.nick);
        } catch (const xmpp::JidError&) {
          return xmpp::StanzaError::internal_server_error(
              "the nickname policy gave an invalid nick");
        }
        if (nick.empty() || only_spaces(nick)) {
          return xmpp::StanzaError::internal_server_error("the nickname policy gave an empty nick");
        }
        rewritten = true;
      }
      break;
  }
  return std::nullopt;
}

void Engine::refuse_non_occupant(Ctx& ctx) {
  // §7.2.18: presence without <x xmlns='...muc'/> from a non-occupant is a groupchat 1.0
  // join or a client that lost sync; an explicit kick tells it to rejoin properly.
  xmpp::Element p("presence", kComponentNs);
  p.set_attr("from", ctx.to.full());
  p.set_attr("to", ctx.from.full());
  p.set_attr("type", "unavailable");
  UserX x;
  UserItem& item = x.items.emplace_back();
  item.affiliation = Affiliation::none;
  item.role = Role::none;
  item.reason = "You are not in the room.";
  x.status_codes = {110, 307, 333};
  p.add_child(to_element(x));
  send(ctx, std::move(p));
}

void Engine::handle_presence(Ctx& ctx, Room* room) {
  std::string_view type = ctx.stanza.attr("type");
  const xmpp::Element* muc_x = ctx.stanza.find_child("x", xmpp::ns::muc);
  if (type.empty()) {
    if (!ctx.to.has_resource()) {
      // §7.2.1: entering needs a nickname.
      xmpp::StanzaError e(xmpp::Condition::jid_malformed, xmpp::ErrorType::modify,
                          "enter a room as room@service/nickname");
      e.by = std::string(ctx.to.bare_str());
      error(ctx, nullptr, std::move(e));
      return;
    }
    if (!room || !room->occupant_of(ctx.from)) {
      if (const ServiceBan* ban = bans_.find(ctx.from)) {
        // Neither a new room nor an existing one: the ban covers the whole service.
        std::string text = "you are banned from this service";
        if (!ban->reason.empty()) text += ": " + ban->reason;
        error(ctx, room, xmpp::StanzaError::forbidden(text));
        return;
      }
    }
    if (!room) {
      if (!muc_x) {
        refuse_non_occupant(ctx);
        return;
      }
      create_room(ctx, muc_x);
      return;
    }
    Occupant* o = room->occupant_of(ctx.from);
    if (!o) {
      if (!muc_x) {
        refuse_non_occupant(ctx);
        return;
      }
      join(ctx, *room, muc_x);
      return;
    }
    if (o->nick != ctx.to.resource()) {
      change_nick(ctx, *room, *o);
    } else if (muc_x) {
      resync(ctx, *room, *o, muc_x);
    } else {
      change_status(ctx, *room, *o);
    }
    return;
  }
  if (type == "unavailable") {
    // §17.3 rule 5: unavailable presence from a non-occupant is silently ignored, as is
    // one addressed to a nick the session does not hold (left over after a nick change).
    // Addressed to the bare room it is a leave too: aioxmpp leaves that way, and Prosody
    // and ejabberd treat it so; ignoring it would leave the user in the room unseen.
    if (!room) return;
    Occupant* o = room->occupant_of(ctx.from);
    if (!o || (ctx.to.has_resource() && o->nick != ctx.to.resource())) return;
    exit(ctx, *room, *o);
  }
  // Probes and subscriptions are not joins or exits (§17.3 rules 1-2): no answer.
}

void Engine::create_room(Ctx& ctx, const xmpp::Element* muc_x) {
  xmpp::Jid room_jid = ctx.to.bare();
  std::string nick(ctx.to.resource());
  bool rewritten = false;
  if (auto e = check_nick(ctx, room_jid, nick, rewritten)) {
    e->by = std::string(room_jid.full());
    error(ctx, nullptr, std::move(*e));
    return;
  }
  RoomConfig config = config_.room_defaults;
  policy_->default_config(room_jid, config);
  apply_locks(room_jid, config);
  Verdict v = policy_->check_creation(
      CreationRequest{.creator = ctx.from,
                      .room = room_jid,
                      .persistent = config.persistent,
                      .rooms_owned = rooms_owned_by(ctx.from),
                      .rooms_total = rooms_.size(),
                      .service_admin = policy_->is_service_admin(ctx.from)});
  if (!v.allowed) {
    // §10.1.1: restricted creation is not-allowed.
    xmpp::StanzaError e(xmpp::Condition::not_allowed, xmpp::ErrorType::cancel,
                        v.reason.empty() ? "you may not create rooms here" : v.reason);
    e.by = std::string(room_jid.full());
    error(ctx, nullptr, std::move(e));
    return;
  }
  auto owned = std::make_unique<Room>(room_jid, config, ids_->new_secret(), ctx.now,
                                      std::string(ctx.from.bare_str()));
  Room& room = *owned;
  rooms_[room.jid_str()] = std::move(owned);
  room.set_affiliation(std::string(ctx.from.bare_str()), Affiliation::owner, "");
  // Locked until the owner accepts the default configuration or submits one (§10.1.1).
  room.set_locked(true);
  Occupant& o = room.add_occupant(nick, ctx.from, Role::moderator, occupant_id_for(room, ctx.from));
  room.add_session(o, Session{ctx.from, clean_presence(ctx.stanza)});

  std::vector<int> codes{201};
  for (const RoomFeature* f : room_features()) f->add_join_codes(room.config(), codes);
  if (rewritten) codes.push_back(210);
  RoomEvent& created = event(ctx, room, RoomEventKind::room_created);
  created.actor_nick = nick;
  created.detail = json_detail({{"persistent", config.persistent ? "true" : "false"}});
  RoomEvent& joined = event(ctx, room, RoomEventKind::join, false);
  joined.actor_nick = nick;
  send_join_sequence(ctx, room, o, ctx.from, codes,
                     muc_x ? muc_x->find_child("history", xmpp::ns::muc) : nullptr, false);
}

void Engine::join(Ctx& ctx, Room& room, const xmpp::Element* muc_x) {
  Affiliation a = affiliation(room, ctx.from);
  if (room.locked() && a != Affiliation::owner) {
    // §7.2.10: until configured, the room does not officially exist.
    error(ctx, &room, xmpp::StanzaError::item_not_found("this room is being set up"));
    return;
  }
  if (a == Affiliation::outcast) {
    error(ctx, &room, xmpp::StanzaError::forbidden("you are banned from this room"));
    return;
  }
  if (Verdict v = policy_->may_enter(ctx.from, room.jid(), room.config(), a); !v.allowed) {
    error(
        ctx, &room,
        xmpp::StanzaError::forbidden(v.reason.empty() ? "you may not enter this room" : v.reason));
    return;
  }
  std::string nick(ctx.to.resource());
  bool rewritten = false;
  if (auto e = check_nick(ctx, room.jid(), nick, rewritten)) {
    error(ctx, &room, std::move(*e));
    return;
  }
  Occupant* existing = room.occupant(nick);
  if (existing && !existing->bare.same_bare(ctx.from)) {
    error(ctx, &room, xmpp::StanzaError::conflict("that nickname is in use"));
    return;
  }
  std::string password;
  const xmpp::Element* pw = muc_x->find_child("password", xmpp::ns::muc);
  if (pw) password = pw->text();
  Limits limits = policy_->limits();
  JoinAttempt attempt{ctx.from, nick, a, pw ? &password : nullptr, limits, existing == nullptr};
  for (const RoomFeature* check : join_checks()) {
    if (auto e = check->check_join(room, attempt)) {
      error(ctx, &room, std::move(*e));
      return;
    }
  }
  const xmpp::Element* history = muc_x->find_child("history", xmpp::ns::muc);
  std::vector<int> codes;
  for (const RoomFeature* f : room_features()) f->add_join_codes(room.config(), codes);
  if (rewritten) codes.push_back(210);

  if (existing) {
    // Multi-session nick (§7.2.8): another resource of the same user joins the nick; the
    // room sees no change, the new session gets the full join sequence.
    room.add_session(*existing, Session{ctx.from, clean_presence(ctx.stanza)});
    RoomEvent& ev = event(ctx, room, RoomEventKind::join);
    ev.actor_nick = nick;
    ev.detail = json_detail({{"session", "additional"}});
    send_join_sequence(ctx, room, *existing, ctx.from, codes, history, false);
    return;
  }
  Occupant& o = room.add_occupant(nick, ctx.from, default_role(a, room.config().moderated),
                                  occupant_id_for(room, ctx.from));
  room.add_session(o, Session{ctx.from, clean_presence(ctx.stanza)});
  RoomEvent& ev = event(ctx, room, RoomEventKind::join);
  ev.actor_nick = nick;
  ev.detail = json_detail({{"role", to_string(o.role)}, {"affiliation", to_string(a)}});
  send_join_sequence(ctx, room, o, ctx.from, codes, history, true);
  if (a >= Affiliation::admin) remind_of_registrations(*this, ctx, room, ctx.from);
}

void Engine::resync(Ctx& ctx, Room& room, Occupant& o, const xmpp::Element* muc_x) {
  // §7.2.1 / §17.3 rule 3: a join from a session already in the room lost sync; it gets
  // the join sequence again, the room a presence update only if something changed.
  Session* s = o.session(ctx.from);
  std::vector<xmpp::Element> fresh = clean_presence(ctx.stanza);
  bool changed = !(s->presence == fresh);
  bool primary = &o.sessions.front() == s;
  s->presence = std::move(fresh);
  std::vector<int> codes;
  for (const RoomFeature* f : room_features()) f->add_join_codes(room.config(), codes);
  send_join_sequence(ctx, room, o, ctx.from, codes, muc_x->find_child("history", xmpp::ns::muc),
                     false);
  if (changed && primary) presence_to_others(ctx.out, room, o, PresenceNote{});
}

void Engine::change_status(Ctx& ctx, Room& room, Occupant& o) {
  if (traffic_refused(ctx, room, Traffic::presence, 0)) return;
  Session* s = o.session(ctx.from);
  s->presence = clean_presence(ctx.stanza);
  PresenceNote note;
  note.id = std::string(ctx.stanza.attr("id"));
  if (&o.sessions.front() != s) {
    // Another session of a multi-session nick: the room keeps showing the primary one.
    presence_to_self(ctx.out, room, o, note, &ctx.from);
    return;
  }
  broadcast_presence(ctx.out, room, o, note, false);
  RoomEvent& ev = event(ctx, room, RoomEventKind::status_change);
  ev.actor_nick = o.nick;
  ev.body = ctx.stanza.child_text("status", ctx.stanza.xmlns());
  ev.detail = json_detail({{"show", ctx.stanza.child_text("show", ctx.stanza.xmlns())}});
}

void Engine::change_nick(Ctx& ctx, Room& room, Occupant& o) {
  if (o.sessions.size() > 1) {
    // One nick shared by several clients cannot move from just one of them.
    error(ctx, &room, muc_not_acceptable("leave from your other clients before changing nick"));
    return;
  }
  std::string nick(ctx.to.resource());
  bool rewritten = false;
  if (auto e = check_nick(ctx, room.jid(), nick, rewritten)) {
    error(ctx, &room, std::move(*e));
    return;
  }
  if (nick == o.nick) {
    // The policy mapped the new nick back onto the current one: only a status update.
    change_status(ctx, room, o);
    return;
  }
  if (traffic_refused(ctx, room, Traffic::presence, 0)) return;
  const std::string* reserved_by = room.nick_reserved_by(nick);
  if (room.occupant(nick) || (reserved_by && *reserved_by != o.bare.bare_str())) {
    // §7.6: in use, or reserved by another member.
    error(ctx, &room, xmpp::StanzaError::conflict("that nickname is in use or reserved"));
    return;
  }
  std::string old = o.nick;
  PresenceNote gone;
  gone.unavailable = true;
  gone.codes = {303};
  gone.new_nick = nick;
  gone.visible_role = o.role;
  gone.id = std::string(ctx.stanza.attr("id"));
  broadcast_presence(ctx.out, room, o, gone, false);
  Occupant& moved = room.rename(old, nick);
  moved.sessions.front().presence = clean_presence(ctx.stanza);
  PresenceNote here;
  here.id = gone.id;
  if (rewritten) here.self_codes = {210};
  broadcast_presence(ctx.out, room, moved, here, false);
  RoomEvent& ev = event(ctx, room, RoomEventKind::nick_change);
  ev.actor_nick = old;
  ev.target = nick;
  ev.detail = json_detail({{"from", old}, {"to", nick}});
}

void Engine::exit(Ctx& ctx, Room& room, Occupant& o) {
  std::string nick = o.nick;
  PresenceNote note;
  note.unavailable = true;
  note.exit_presence = &ctx.stanza;
  note.visible_role = o.role;
  if (o.sessions.size() > 1) {
    presence_to_self(ctx.out, room, o, note, &ctx.from);
    room.remove_session(nick, ctx.from);
    RoomEvent& ev = event(ctx, room, RoomEventKind::exit);
    ev.actor_nick = nick;
    ev.detail = json_detail({{"session", "one of several"}});
    return;
  }
  RoomEvent& ev = event(ctx, room, RoomEventKind::exit);
  ev.actor_nick = nick;
  ev.body = ctx.stanza.child_text("status", ctx.stanza.xmlns());
  Occupant gone = o;
  room.remove_occupant(nick);
  const UserDestroy destroy{};
  if (room.locked() && room.occupants().empty()) {
    // §10.1.3: the creator left before configuring: the room is destroyed, and says so.
    note.destroy = &destroy;
  }
  presence_to_self(ctx.out, room, gone, note);
  presence_to_others(ctx.out, room, gone, note);
  drop_if_empty(ctx, room);
}

void Engine::drop_if_empty(Ctx& ctx, Room& room) {
  if (!room.occupants().empty()) return;
  if (room.config().persistent && !room.locked()) return;
  RoomEvent& ev = event(ctx, room, RoomEventKind::room_destroyed, false);
  ev.actor_jid.clear();
  ev.detail = json_detail({{"cause", room.locked() ? "never configured" : "last occupant left"}});
  if (room.config().persistent) ctx.out.deletions.push_back(room.jid_str());
  std::string key = room.jid_str();  // a copy: the room (and its jid) dies in erase()
  rooms_.erase(key);
}

void Engine::destroy_room(Ctx& ctx, Room& room, const UserDestroy& destroy, std::string reason) {
  // §10.9: one unavailable presence per occupant, carrying <destroy/>; no broadcast.
  for (const auto& [nick, o] : room.occupants()) {
    PresenceNote note;
    note.unavailable = true;
    note.destroy = &destroy;
    presence_to_self(ctx.out, room, o, note);
  }
  RoomEvent& ev = event(ctx, room, RoomEventKind::room_destroyed);
  ev.body = std::move(reason);
  ev.detail = json_detail({{"alternate", destroy.jid.value_or("")}});
  ctx.out.deletions.push_back(room.jid_str());
  std::erase_if(ctx.out.saves, [&](const RoomSnapshot& s) { return s.jid == room.jid_str(); });
  std::string key = room.jid_str();  // a copy: the room (and its jid) dies in erase()
  rooms_.erase(key);
}

}  // namespace commonroom::muc
