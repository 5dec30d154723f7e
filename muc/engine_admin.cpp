// muc#admin (§8 moderator and §9 admin use cases): kick, voice, moderator status, bans,
// membership, admin and owner lists - requests for lists and changes to them.
#include "muc/engine.hpp"
#include "muc/event_detail.hpp"
#include "muc/features/feature.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

const std::string kAdminNs(xmpp::ns::muc_admin);

xmpp::StanzaError not_allowed(std::string text) {
  return xmpp::StanzaError(xmpp::Condition::not_allowed, xmpp::ErrorType::cancel, std::move(text));
}
xmpp::StanzaError forbidden(std::string text) {
  return xmpp::StanzaError(xmpp::Condition::forbidden, xmpp::ErrorType::auth, std::move(text));
}

// §8.2-8.5, §9.6-9.8 and the role table of §5.1.3.
std::optional<xmpp::StanzaError> role_change_error(Affiliation actor_aff, Role actor_role,
                                                   Affiliation target_aff, Role target_role,
                                                   Role wanted) {
  if (actor_role != Role::moderator && actor_aff < Affiliation::admin) {
    return forbidden("only moderators may change roles");
  }
  switch (wanted) {
    case Role::none:
      // §8.2: not by a moderator with a lower affiliation.
      if (target_aff > actor_aff)
        return not_allowed("you may not kick someone of higher affiliation");
      break;
    case Role::visitor:
      // §8.4: nobody takes voice from admins or owners, nor from a higher affiliation.
      if (target_aff >= Affiliation::admin)
        return not_allowed("admins and owners always have voice");
      if (target_aff > actor_aff)
        return not_allowed("you may not revoke voice from someone of higher affiliation");
      if (target_role == Role::moderator && actor_aff < Affiliation::admin) {
        return not_allowed("only admins and owners may revoke moderator status");
      }
      break;
    case Role::participant:
      if (target_role == Role::moderator) {
        // §9.7: revoking moderator status.
        if (actor_aff < Affiliation::admin)
          return forbidden("only admins and owners may revoke moderator status");
        if (target_aff >= Affiliation::admin)
          return not_allowed("admins and owners are always moderators");
      }
      break;
    case Role::moderator:
      if (actor_aff < Affiliation::admin)
        return forbidden("only admins and owners may grant moderator status");
      break;
  }
  return std::nullopt;
}

// §9 and §10: who may move a user from `current` to `wanted`.
std::optional<xmpp::StanzaError> affiliation_change_error(Affiliation actor, Affiliation current,
                                                          Affiliation wanted, bool self) {
  if (actor < Affiliation::admin)
    return forbidden("only admins and owners may change affiliations");
  // §9.1: banning oneself is a conflict.
  if (self && wanted == Affiliation::outcast) {
    return xmpp::StanzaError(xmpp::Condition::conflict, xmpp::ErrorType::cancel,
                             "you may not ban yourself");
  }
  if (actor < Affiliation::owner) {
    if (wanted >= Affiliation::admin)
      return forbidden("only owners may edit the admin and owner lists");
    // §9.1: an admin may not ban (or otherwise demote) an admin or an owner.
    if (current >= Affiliation::admin)
      return not_allowed("only owners may change an admin's or owner's affiliation");
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

}  // namespace

void Engine::handle_admin(Ctx& ctx, Room& room, const xmpp::Element& query, bool set) {
  auto items = query.children("item", xmpp::ns::muc_admin);
  Affiliation actor_aff = affiliation(room, ctx.from);
  const Occupant* actor = room.occupant_of(ctx.from);
  Role actor_role = actor ? actor->role : Role::none;
  std::string actor_nick = actor ? actor->nick : std::string();

  if (!set) {
    if (items.size() != 1) {
      error(ctx, &room, xmpp::StanzaError::bad_request("ask for one list at a time"));
      return;
    }
    const xmpp::Element& item = *items.front();
    bool by_aff = item.has_attr("affiliation"), by_role = item.has_attr("role");
    if (by_aff == by_role) {
      error(ctx, &room, xmpp::StanzaError::bad_request("ask for a list by affiliation or by role"));
      return;
    }
    xmpp::Element list("query", kAdminNs);
    if (by_aff) {
      auto a = affiliation_from_string(item.attr("affiliation"));
      if (!a || *a == Affiliation::none) {
        error(ctx, &room, xmpp::StanzaError::bad_request("no such affiliation list"));
        return;
      }
      bool allowed = false;
      switch (*a) {
        case Affiliation::outcast:
          allowed = actor_aff >= Affiliation::admin;
          break;
        case Affiliation::member:
          allowed = may_read_member_list(room.config(), actor_aff, actor_role);
          break;
        case Affiliation::admin:
        case Affiliation::owner:
          // §10.5/§10.8: owners; in non-anonymous rooms members may see them too.
          allowed = actor_aff == Affiliation::owner ||
                    (room.config().whois == Whois::anyone && actor_aff >= Affiliation::member);
          break;
        case Affiliation::none:
          break;
      }
      if (!allowed) {
        error(ctx, &room, forbidden("you may not see this list"));
        return;
      }
      for (const auto& [jid, e] : room.affiliations()) {
        if (e.affiliation != *a) continue;
        xmpp::Element& it = list.add_child("item");
        it.set_attr("affiliation", to_string(e.affiliation));
        it.set_attr("jid", jid);
        const Occupant* present = room.occupant_of_bare(jid);
        if (!e.nick.empty()) {
          it.set_attr("nick", e.nick);
        } else if (present && *a != Affiliation::outcast) {
          it.set_attr("nick", present->nick);
        }
        if (present && *a != Affiliation::outcast) it.set_attr("role", to_string(present->role));
        if (!e.reason.empty()) it.add_text_child("reason", e.reason);
      }
    } else {
      auto r = role_from_string(item.attr("role"));
      if (!r || *r == Role::none) {
        error(ctx, &room, xmpp::StanzaError::bad_request("no such role list"));
        return;
      }
      // §8.5: the voice list is for moderators; §9.8: the moderator list for admins.
      bool allowed = *r == Role::moderator
                         ? actor_aff >= Affiliation::admin
                         : actor_role == Role::moderator || actor_aff >= Affiliation::admin;
      if (!allowed) {
        error(ctx, &room, forbidden("you may not see this list"));
        return;
      }
      for (const auto& [nick, o] : room.occupants()) {
        if (o.role != *r) continue;
        xmpp::Element& it = list.add_child("item");
        it.set_attr("affiliation", to_string(affiliation(room, o.bare)));
        it.set_attr("jid", o.primary().jid.full());
        it.set_attr("nick", nick);
        it.set_attr("role", to_string(o.role));
      }
    }
    result(ctx, std::move(list));
    return;
  }

  if (items.empty()) {
    error(ctx, &room, xmpp::StanzaError::bad_request("no items to change"));
    return;
  }
  // Validate every item first: a request either applies whole or not at all (§9.2).
  std::vector<RoleChange> role_changes;
  std::vector<AffiliationChange> affiliation_changes;
  std::map<std::string, Affiliation> planned;  // bare -> affiliation after the request
  for (const xmpp::Element* item : items) {
    bool has_aff = item->has_attr("affiliation"), has_role = item->has_attr("role");
    if (has_aff && has_role) {
      // §17.4 rule 4.
      error(ctx, &room,
            xmpp::StanzaError::bad_request("change an affiliation or a role, not both"));
      return;
    }
    if (!has_aff && !has_role) {
      error(ctx, &room, xmpp::StanzaError::bad_request("an item needs an affiliation or a role"));
      return;
    }
    std::string reason = item->child_text("reason", xmpp::ns::muc_admin);
    if (has_role) {
      auto r = role_from_string(item->attr("role"));
      if (!r) {
        error(ctx, &room, xmpp::StanzaError::bad_request("unknown role"));
        return;
      }
      std::string nick(item->attr("nick"));
      if (nick.empty()) {
        error(ctx, &room,
              xmpp::StanzaError::bad_request("a role change names the occupant by nick"));
        return;
      }
      try {
        nick = xmpp::resourceprep(nick);
      } catch (const xmpp::JidError&) {
        nick.clear();  // no occupant can have it
      }
      const Occupant* target = room.occupant(nick);
      if (!target) {
        error(ctx, &room, xmpp::StanzaError::item_not_found("nobody has that nickname here"));
        return;
      }
      if (auto e = role_change_error(actor_aff, actor_role, affiliation(room, target->bare),
                                     target->role, *r)) {
        error(ctx, &room, std::move(*e));
        return;
      }
      role_changes.push_back({nick, *r, reason});
      continue;
    }
    auto a = affiliation_from_string(item->attr("affiliation"));
    if (!a) {
      error(ctx, &room, xmpp::StanzaError::bad_request("unknown affiliation"));
      return;
    }
    std::string bare;
    if (item->has_attr("jid")) {
      std::string why;
      auto jid = xmpp::Jid::try_parse(item->attr("jid"), &why);
      if (!jid) {
        error(ctx, &room, xmpp::StanzaError::jid_malformed(why));
        return;
      }
      // §17.4 rule 6: affiliations are per bare JID, whatever the client sent.
      bare = std::string(jid->bare_str());
    } else if (const Occupant* o = room.occupant(item->attr("nick")); o && item->has_attr("nick")) {
      bare = std::string(o->bare.bare_str());
    } else {
      error(ctx, &room, xmpp::StanzaError::bad_request("an affiliation change names a jid"));
      return;
    }
    bool domain_only = bare.find('@') == std::string::npos;
    if (domain_only && *a != Affiliation::outcast && *a != Affiliation::none) {
      error(ctx, &room, xmpp::StanzaError::bad_request("only bans may name a whole domain"));
      return;
    }
    const AffiliationEntry* entry = room.entry(bare);
    Affiliation current = entry ? entry->affiliation : Affiliation::none;
    if (auto it = planned.find(bare); it != planned.end()) current = it->second;
    if (auto e = affiliation_change_error(actor_aff, current, *a, bare == ctx.from.bare_str())) {
      error(ctx, &room, std::move(*e));
      return;
    }
    std::optional<std::string> nick;
    if (item->has_attr("nick") && *a >= Affiliation::member) {
      nick = std::string(item->attr("nick"));
      try {
        if (!nick->empty()) nick = xmpp::resourceprep(*nick);  // "" unsets it (§9.5)
      } catch (const xmpp::JidError& e) {
        error(ctx, &room, xmpp::StanzaError::jid_malformed(std::string("nick: ") + e.what()));
        return;
      }
      const std::string* by = room.nick_reserved_by(*nick);
      if (!nick->empty() && by && *by != bare) {
        error(ctx, &room,
              xmpp::StanzaError(xmpp::Condition::conflict, xmpp::ErrorType::cancel,
                                "that nickname is reserved by someone else"));
        return;
      }
    }
    planned[bare] = *a;
    affiliation_changes.push_back({bare, *a, reason, nick});
  }
  if (!affiliation_changes.empty()) {
    // §10.1: a room always has an owner; removing the last one is a conflict.
    std::size_t owners = 0, owners_before = room.count(Affiliation::owner);
    for (const auto& [jid, e] : room.affiliations()) {
      auto it = planned.find(jid);
      if ((it != planned.end() ? it->second : e.affiliation) == Affiliation::owner) ++owners;
    }
    for (const auto& [jid, a] : planned) {
      if (a == Affiliation::owner && !room.entry(jid)) ++owners;
    }
    if (owners == 0 && owners_before > 0) {
      error(ctx, &room,
            xmpp::StanzaError(xmpp::Condition::conflict, xmpp::ErrorType::cancel,
                              "a room must keep at least one owner"));
      return;
    }
    if (room.affiliations().size() + planned.size() > policy_->limits().max_affiliations) {
      error(ctx, &room,
            xmpp::StanzaError(xmpp::Condition::resource_constraint, xmpp::ErrorType::wait,
                              "too many affiliations"));
      return;
    }
  }
  // Apply: removed occupants hear of it first, then the requester gets the result, then
  // the rest of the room (§8.2's order).
  Effects later;
  for (const RoleChange& c : role_changes) {
    if (Occupant* o = room.occupant(c.nick)) {
      change_role(ctx, ctx.out, later, room, *o, c.role, actor_nick, c.reason);
    }
  }
  for (const AffiliationChange& c : affiliation_changes) {
    change_affiliation(ctx, ctx.out, later, room, c.jid, c.affiliation, c.reason, c.nick,
                       actor_nick);
  }
  result(ctx);
  append(ctx.out, std::move(later));
  if (!affiliation_changes.empty()) persist(ctx, room);
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
    if (room.config().members_only && now < Affiliation::member) {
      // §9.4: no longer a member of a members-only room: removed with 321.
      remove_occupant(ctx, self_sink, others, room, n, Removal{{321}, actor_nick, ""});
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
  // §9.5: a new member of a members-only room who is not here is invited.
  if (a == Affiliation::member && before < Affiliation::member && room.config().members_only &&
      affected.empty() && !domain_only) {
    send_invitation(ctx, others, room, bare, std::string(ctx.from.bare_str()), reason);
  } else if (affected.empty() && !domain_only && a != before) {
    // §17.5 (status 101): someone not in the room is told of their new affiliation.
    xmpp::Element m("message", std::string(xmpp::ns::component_accept));
    m.set_attr("from", room.jid_str());
    m.set_attr("to", bare);
    m.set_attr("id", ids_->next_id());
    std::string text =
        "Your affiliation with " + room.jid_str() + " is now " + std::string(to_string(a)) + ".";
    if (!reason.empty()) text += " Reason: " + reason;
    m.add_text_child("body", text);
    xmpp::Element& x = m.add_child("x", std::string(xmpp::ns::muc_user));
    xmpp::Element& item = x.add_child("item");
    item.set_attr("affiliation", std::string(to_string(a)));
    item.set_attr("jid", bare);
    if (!reason.empty()) item.add_text_child("reason", reason);
    x.add_child("status").set_attr("code", "101");
    others.outbound.push_back(std::move(m));
  }
}

void Engine::send_invitation(Ctx& ctx, Effects& sink, const Room& room, const std::string& to,
                             const std::string& inviter, const std::string& reason,
                             const xmpp::Element* cont) {
  xmpp::Element m("message", std::string(xmpp::ns::component_accept));
  m.set_attr("from", room.jid_str());
  m.set_attr("to", to);
  std::string_view id = ctx.stanza.attr("id");
  m.set_attr("id",
             ctx.stanza.name() == "message" && !id.empty() ? std::string(id) : ids_->next_id());
  xmpp::Element& x = m.add_child("x", std::string(xmpp::ns::muc_user));
  xmpp::Element& invite = x.add_child("invite");
  invite.set_attr("from", inviter);
  if (!reason.empty()) invite.add_text_child("reason", reason);
  if (cont) {
    // Only the thread id goes on, and only one of sensible length (XEP-0201 ids are short).
    constexpr std::size_t kMaxThreadBytes = 256;
    xmpp::Element& c = invite.add_child("continue");
    std::string_view thread = cont->attr("thread");
    if (!thread.empty() && thread.size() <= kMaxThreadBytes)
      c.set_attr("thread", std::string(thread));
  }
  // §7.8.2's SHOULD (the room adds its password) cannot be met: the room keeps only a hash
  // of it (decision 0036). The inviter, who knows it, tells the invitee.
  sink.outbound.push_back(std::move(m));
}

}  // namespace commonroom::muc
