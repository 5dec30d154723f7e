// muc#admin (§8 moderator and §9 admin use cases): kick, voice, moderator status, bans,
// membership, admin and owner lists - requests for lists and changes to them.
#include <map>
#include <variant>

#include "muc/engine.hpp"
#include "muc/event_detail.hpp"
#include "muc/features/feature.hpp"
#include "muc/payloads/admin_query.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/payloads/payload_error.hpp"

namespace commonroom::muc {

namespace {

// §8.2-8.5, §9.6-9.8 and the role table of §5.1.3.
std::optional<xmpp::StanzaError> role_change_error(Affiliation actor_aff, Role actor_role,
                                                   Affiliation target_aff, Role target_role,
                                                   Role wanted) {
  if (actor_role != Role::moderator && actor_aff < Affiliation::admin) {
    return xmpp::StanzaError::forbidden("only moderators may change roles");
  }
  switch (wanted) {
    case Role::none:
      // §8.2: not by a moderator with a lower affiliation.
      if (target_aff > actor_aff)
        return xmpp::StanzaError::not_allowed("you may not kick someone of higher affiliation");
      break;
    case Role::visitor:
      // §8.4: nobody takes voice from admins or owners, nor from a higher affiliation.
      if (target_aff >= Affiliation::admin)
        return xmpp::StanzaError::not_allowed("admins and owners always have voice");
      if (target_aff > actor_aff)
        return xmpp::StanzaError::not_allowed(
            "you may not revoke voice from someone of higher affiliation");
      if (target_role == Role::moderator && actor_aff < Affiliation::admin) {
        return xmpp::StanzaError::not_allowed("only admins and owners may revoke moderator status");
      }
      break;
    case Role::participant:
      if (target_role == Role::moderator) {
        // §9.7: revoking moderator status.
        if (actor_aff < Affiliation::admin)
          return xmpp::StanzaError::forbidden("only admins and owners may revoke moderator status");
        if (target_aff >= Affiliation::admin)
          return xmpp::StanzaError::not_allowed("admins and owners are always moderators");
      }
      break;
    case Role::moderator:
      if (actor_aff < Affiliation::admin)
        return xmpp::StanzaError::forbidden("only admins and owners may grant moderator status");
      break;
  }
  return std::nullopt;
}

// §9 and §10: who may move a user from `current` to `wanted`.
std::optional<xmpp::StanzaError> affiliation_change_error(Affiliation actor, Affiliation current,
                                                          Affiliation wanted, bool self) {
  if (actor < Affiliation::admin)
    return xmpp::StanzaError::forbidden("only admins and owners may change affiliations");
  // §9.1: banning oneself is a conflict.
  if (self && wanted == Affiliation::outcast) {
    return xmpp::StanzaError::conflict("you may not ban yourself");
  }
  if (actor < Affiliation::owner) {
    if (wanted >= Affiliation::admin)
      return xmpp::StanzaError::forbidden("only owners may edit the admin and owner lists");
    // §9.1: an admin may not ban (or otherwise demote) an admin or an owner.
    if (current >= Affiliation::admin)
      return xmpp::StanzaError::not_allowed(
          "only owners may change an admin's or owner's affiliation");
  }
  return std::nullopt;
}

struct RoleChange {
  std::string nick;
  Role role;
  std::string reason;
};
struct AffiliationChange {
  std::string jid;  // bare JID or domain
  Affiliation affiliation;
  std::string reason;
  std::optional<std::string> nick;
};
// What a muc#admin set will do once every item passed its checks.
struct AdminPlan {
  std::vector<RoleChange> roles;
  std::vector<AffiliationChange> affiliations;
  std::map<std::string, Affiliation> planned;  // bare -> affiliation after the request
};

// Who is asking: their affiliation, role and nick in the room.
struct Actor {
  Affiliation affiliation;
  Role role;
  std::string nick;
};

// §9.5, §8.5, §9.8, §10.5, §10.8: the list an item asks for, or why not.
std::variant<AdminQuery, xmpp::StanzaError> admin_list(const Engine& engine, const Room& room,
                                                       const AdminQuery& request,
                                                       const Actor& actor) {
  if (request.items.size() != 1)
    return xmpp::StanzaError::bad_request("ask for one list at a time");
  const AdminItem& item = request.items.front();
  if (item.affiliation.has_value() == item.role.has_value()) {
    return xmpp::StanzaError::bad_request("ask for a list by affiliation or by role");
  }
  AdminQuery list;
  if (item.affiliation) {
    Affiliation a = *item.affiliation;
    if (a == Affiliation::none) return xmpp::StanzaError::bad_request("no such affiliation list");
    bool allowed = false;
    switch (a) {
      case Affiliation::outcast:
        allowed = actor.affiliation >= Affiliation::admin;
        break;
      case Affiliation::member:
        allowed = may_read_member_list(room.config(), actor.affiliation, actor.role);
        break;
      case Affiliation::admin:
      case Affiliation::owner:
        // §10.5/§10.8: owners; in non-anonymous rooms members may see them too.
        allowed =
            actor.affiliation == Affiliation::owner ||
            (room.config().whois == Whois::anyone && actor.affiliation >= Affiliation::member);
        break;
      case Affiliation::none:
        break;
    }
    if (!allowed) return xmpp::StanzaError::forbidden("you may not see this list");
    for (const auto& [jid, e] : room.affiliations()) {
      if (e.affiliation != a) continue;
      AdminItem& it = list.items.emplace_back();
      it.affiliation = e.affiliation;
      it.jid = jid;
      const Occupant* present = room.occupant_of_bare(jid);
      if (!e.nick.empty()) {
        it.nick = e.nick;
      } else if (present && a != Affiliation::outcast) {
        it.nick = present->nick;
      }
      if (present && a != Affiliation::outcast) it.role = present->role;
      it.reason = e.reason;
    }
    return list;
  }
  Role r = *item.role;
  if (r == Role::none) return xmpp::StanzaError::bad_request("no such role list");
  // §8.5: the voice list is for moderators; §9.8: the moderator list for admins.
  bool allowed = r == Role::moderator
                     ? actor.affiliation >= Affiliation::admin
                     : actor.role == Role::moderator || actor.affiliation >= Affiliation::admin;
  if (!allowed) return xmpp::StanzaError::forbidden("you may not see this list");
  for (const auto& [nick, o] : room.occupants()) {
    if (o.role != r) continue;
    AdminItem& it = list.items.emplace_back();
    it.affiliation = engine.affiliation(room, o.bare);
    it.jid = std::string(o.primary().jid.full());
    it.nick = nick;
    it.role = o.role;
  }
  return list;
}

// One role item of a set (§8.2-8.5, §9.6-9.7).
std::variant<RoleChange, xmpp::StanzaError> plan_role_change(const Engine& engine, const Room& room,
                                                             const AdminItem& item,
                                                             const Actor& actor) {
  if (!item.nick || item.nick->empty()) {
    return xmpp::StanzaError::bad_request("a role change names the occupant by nick");
  }
  std::string nick = *item.nick;
  try {
    nick = xmpp::resourceprep(nick);
  } catch (const xmpp::JidError&) {
    nick.clear();  // no occupant can have it
  }
  const Occupant* target = room.occupant(nick);
  if (!target) return xmpp::StanzaError::item_not_found("nobody has that nickname here");
  if (auto e =
          role_change_error(actor.affiliation, actor.role, engine.affiliation(room, target->bare),
                            target->role, *item.role)) {
    return std::move(*e);
  }
  return RoleChange{nick, *item.role, item.reason};
}

// One affiliation item of a set (§9.1-9.5, §10.3-10.7); `planned` holds the items before it.
std::variant<AffiliationChange, xmpp::StanzaError> plan_affiliation_change(
    const Room& room, const AdminItem& item, const Actor& actor, const xmpp::Jid& requester,
    const std::map<std::string, Affiliation>& planned) {
  Affiliation a = *item.affiliation;
  std::string bare;
  if (item.jid) {
    std::string why;
    auto jid = xmpp::Jid::try_parse(*item.jid, &why);
    if (!jid) return xmpp::StanzaError::jid_malformed(why);
    // §17.4 rule 6: affiliations are per bare JID, whatever the client sent.
    bare = std::string(jid->bare_str());
  } else if (const Occupant* o = room.occupant(item.nick.value_or("")); o && item.nick) {
    bare = std::string(o->bare.bare_str());
  } else {
    return xmpp::StanzaError::bad_request("an affiliation change names a jid");
  }
  bool domain_only = bare.find('@') == std::string::npos;
  if (domain_only && a != Affiliation::outcast && a != Affiliation::none) {
    return xmpp::StanzaError::bad_request("only bans may name a whole domain");
  }
  const AffiliationEntry* entry = room.entry(bare);
  Affiliation current = entry ? entry->affiliation : Affiliation::none;
  if (auto it = planned.find(bare); it != planned.end()) current = it->second;
  if (auto e =
          affiliation_change_error(actor.affiliation, current, a, bare == requester.bare_str())) {
    return std::move(*e);
  }
  std::optional<std::string> nick;
  if (item.nick && a >= Affiliation::member) {
    nick = *item.nick;
    try {
      if (!nick->empty()) nick = xmpp::resourceprep(*nick);  // "" unsets it (§9.5)
    } catch (const xmpp::JidError& e) {
      return xmpp::StanzaError::jid_malformed(std::string("nick: ") + e.what());
    }
    const std::string* by = room.nick_reserved_by(*nick);
    if (!nick->empty() && by && *by != bare) {
      return xmpp::StanzaError::conflict("that nickname is reserved by someone else");
    }
  }
  return AffiliationChange{bare, a, item.reason, nick};
}

// Checks every item of a set before anything changes: a request either applies whole or not
// at all (§9.2).
std::variant<AdminPlan, xmpp::StanzaError> plan_admin_changes(const Engine& engine,
                                                              const Room& room,
                                                              const AdminQuery& request,
                                                              const Actor& actor,
                                                              const xmpp::Jid& requester) {
  if (request.items.empty()) return xmpp::StanzaError::bad_request("no items to change");
  AdminPlan plan;
  for (const AdminItem& item : request.items) {
    if (item.affiliation && item.role) {
      // §17.4 rule 4.
      return xmpp::StanzaError::bad_request("change an affiliation or a role, not both");
    }
    if (!item.affiliation && !item.role) {
      return xmpp::StanzaError::bad_request("an item needs an affiliation or a role");
    }
    if (item.role) {
      auto change = plan_role_change(engine, room, item, actor);
      if (auto* e = std::get_if<xmpp::StanzaError>(&change)) return std::move(*e);
      plan.roles.push_back(std::get<RoleChange>(std::move(change)));
      continue;
    }
    auto change = plan_affiliation_change(room, item, actor, requester, plan.planned);
    if (auto* e = std::get_if<xmpp::StanzaError>(&change)) return std::move(*e);
    AffiliationChange& c =
        plan.affiliations.emplace_back(std::get<AffiliationChange>(std::move(change)));
    plan.planned[c.jid] = c.affiliation;
  }
  if (plan.affiliations.empty()) return plan;
  // §10.1: a room always has an owner; removing the last one is a conflict.
  std::size_t owners = 0, owners_before = room.count(Affiliation::owner);
  for (const auto& [jid, e] : room.affiliations()) {
    auto it = plan.planned.find(jid);
    if ((it != plan.planned.end() ? it->second : e.affiliation) == Affiliation::owner) ++owners;
  }
  for (const auto& [jid, a] : plan.planned) {
    if (a == Affiliation::owner && !room.entry(jid)) ++owners;
  }
  if (owners == 0 && owners_before > 0) {
    return xmpp::StanzaError::conflict("a room must keep at least one owner");
  }
  if (room.affiliations().size() + plan.planned.size() > engine.limits().max_affiliations) {
    return xmpp::StanzaError::resource_constraint("too many affiliations");
  }
  return plan;
}

}  // namespace

void Engine::handle_admin(Ctx& ctx, Room& room, const xmpp::Element& query, bool set) {
  AdminQuery request;
  try {
    request = parse_admin_query(query);
  } catch (const xmpp::PayloadError& e) {
    error(ctx, &room, xmpp::StanzaError::bad_request(e.what()));
    return;
  }
  const Occupant* present = room.occupant_of(ctx.from);
  Actor actor{affiliation(room, ctx.from), present ? present->role : Role::none,
              present ? present->nick : std::string()};
  if (!set) {
    auto list = admin_list(*this, room, request, actor);
    if (auto* e = std::get_if<xmpp::StanzaError>(&list)) return error(ctx, &room, std::move(*e));
    result(ctx, to_element(std::get<AdminQuery>(list)));
    return;
  }
  auto planned = plan_admin_changes(*this, room, request, actor, ctx.from);
  if (auto* e = std::get_if<xmpp::StanzaError>(&planned)) return error(ctx, &room, std::move(*e));
  const AdminPlan& plan = std::get<AdminPlan>(planned);
  // Apply: removed occupants hear of it first, then the requester gets the result, then
  // the rest of the room (§8.2's order).
  Effects later;
  for (const RoleChange& c : plan.roles) {
    if (Occupant* o = room.occupant(c.nick)) {
      change_role(ctx, ctx.out, later, room, *o, c.role, actor.nick, c.reason);
    }
  }
  for (const AffiliationChange& c : plan.affiliations) {
    change_affiliation(ctx, ctx.out, later, room, c.jid, c.affiliation, c.reason, c.nick,
                       actor.nick);
  }
  result(ctx);
  append(ctx.out, std::move(later));
  if (!plan.affiliations.empty()) persist(ctx, room);
  drop_if_empty(ctx, room);  // an outside admin may have removed a temporary room's last occupant
}

void Engine::change_role(Ctx& ctx, Effects& self_sink, Effects& others, Room& room, Occupant& o,
                         Role role, const std::string& actor_nick, const std::string& reason) {
  Role old = o.role;
  std::string nick = o.nick;
  std::string target(o.primary().jid.full());
  if (role == Role::none) {
    RoomEvent& ev = event(ctx, room, RoomEventKind::kick);
    ev.target = target;
    ev.body = reason;
    ev.detail = json_detail({{"target_nick", nick}});
    remove_occupant(ctx, self_sink, others, room, nick, Removal{{307}, actor_nick, reason});
    return;
  }
  if (old == role) return;
  o.role = role;
  RoomEvent& ev = event(ctx, room, RoomEventKind::role_change);
  ev.target = target;
  ev.body = reason;
  ev.detail =
      json_detail({{"target_nick", nick}, {"from", to_string(old)}, {"to", to_string(role)}});
  PresenceNote note;
  note.reason = reason;
  presence_to_self(self_sink, room, o, note);
  const RoleSet& shown = room.config().presence_broadcast;
  if (shown.contains(role)) {
    presence_to_others(others, room, o, note);
  } else if (shown.contains(old)) {
    // Now of a role whose presence is not broadcast: the others see it leave.
    PresenceNote gone;
    gone.unavailable = true;
    gone.visible_role = old;
    presence_to_others(others, room, o, gone);
  }
}

void Engine::change_affiliation(Ctx& ctx, Effects& self_sink, Effects& others, Room& room,
                                const std::string& bare, Affiliation a, const std::string& reason,
                                std::optional<std::string> nick, const std::string& actor_nick) {
  const AffiliationEntry* entry = room.entry(bare);
  Affiliation before = entry ? entry->affiliation : Affiliation::none;
  room.set_affiliation(bare, a, reason, nick);
  RoomEvent& ev =
      event(ctx, room,
            a == Affiliation::outcast ? RoomEventKind::ban : RoomEventKind::affiliation_change);
  ev.target = bare;
  ev.body = reason;
  ev.detail = json_detail({{"from", to_string(before)}, {"to", to_string(a)}});

  bool domain_only = bare.find('@') == std::string::npos;
  std::vector<std::string> affected;
  for (const auto& [n, o] : room.occupants()) {
    if (domain_only ? o.bare.domain() == bare : o.bare.bare_str() == bare) affected.push_back(n);
  }
  for (const std::string& n : affected) {
    Occupant* o = room.occupant(n);
    if (!o) continue;
    Affiliation now = affiliation(room, o->bare);
    if (now == Affiliation::outcast) {
      // §9.1: banned occupants are removed with 301.
      remove_occupant(ctx, self_sink, others, room, n, Removal{{301}, actor_nick, reason});
      continue;
    }
    if (auto code = removal_after_affiliation_change(room, now)) {
      remove_occupant(ctx, self_sink, others, room, n, Removal{{*code}, actor_nick, ""});
      continue;
    }
    Role role = o->role;
    if (now >= Affiliation::admin) {
      role = Role::moderator;
    } else if (before >= Affiliation::admin && role == Role::moderator) {
      role = default_role(now, room.config().moderated);
    } else if (now == Affiliation::member && role == Role::visitor) {
      role = Role::participant;  // §5.1.3: members have voice
    }
    o->role = role;
    PresenceNote note;
    note.reason = reason;
    presence_to_self(self_sink, room, *o, note);
    presence_to_others(others, room, *o, note);
  }
  if (!affected.empty() || domain_only) return;
  // Someone not in the room: a feature may tell them (an invitation to a members-only room,
  // §9.5), else they are told of their new affiliation.
  for (const RoomFeature* f : room_features()) {
    if (f->tell_absent_user(*this, ctx, others, room, bare, before, a, reason)) return;
  }
  if (a != before) {
    // §17.5 (status 101): someone not in the room is told of their new affiliation.
    xmpp::Element m("message", std::string(xmpp::ns::component_accept));
    m.set_attr("from", room.jid_str());
    m.set_attr("to", bare);
    m.set_attr("id", ids_->next_id());
    std::string text =
        "Your affiliation with " + room.jid_str() + " is now " + std::string(to_string(a)) + ".";
    if (!reason.empty()) text += " Reason: " + reason;
    m.add_text_child("body", text);
    UserX x;
    UserItem& item = x.items.emplace_back();
    item.affiliation = a;
    item.jid = bare;
    item.reason = reason;
    x.status_codes = {101};
    m.add_child(to_element(x));
    others.outbound.push_back(std::move(m));
  }
}

std::optional<int> Engine::removal_after_affiliation_change(const Room& room,
                                                            Affiliation now) const {
  for (const RoomFeature* f : room_features()) {
    if (auto code = f->removal_after_affiliation_change(room, now)) return code;
  }
  return std::nullopt;
}

void Engine::send_invitation(Ctx& ctx, Effects& sink, const Room& room, const std::string& to,
                             const std::string& inviter, const std::string& reason,
                             const std::optional<Continuation>& cont) {
  xmpp::Element m("message", std::string(xmpp::ns::component_accept));
  m.set_attr("from", room.jid_str());
  m.set_attr("to", to);
  std::string_view id = ctx.stanza.attr("id");
  m.set_attr("id",
             ctx.stanza.name() == "message" && !id.empty() ? std::string(id) : ids_->next_id());
  UserX x;
  UserInvite& invite = x.invites.emplace_back();
  invite.from = inviter;
  invite.reason = reason;
  if (cont) {
    // Only the thread id goes on, and only one of sensible length (XEP-0201 ids are short).
    constexpr std::size_t kMaxThreadBytes = 256;
    const std::string thread = cont->thread.value_or("");
    invite.continuation.emplace();
    if (!thread.empty() && thread.size() <= kMaxThreadBytes) invite.continuation->thread = thread;
  }
  // No <password/>: the room keeps only its hash (features/password.cpp).
  m.add_child(to_element(x));
  sink.outbound.push_back(std::move(m));
}

}  // namespace commonroom::muc
