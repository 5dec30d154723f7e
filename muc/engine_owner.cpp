// muc#owner (§10): instant and reserved rooms, the configuration form, and destruction.
#include <set>

#include "muc/engine.hpp"
#include "muc/event_detail.hpp"
#include "muc/features/feature.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

const std::string kRoomAdmins = "muc#roomconfig_roomadmins";
const std::string kRoomOwners = "muc#roomconfig_roomowners";

// Two submitted values are the same setting (booleans "1" and "true" are).
bool same_values(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    auto x = xmpp::parse_form_boolean(a[i]), y = xmpp::parse_form_boolean(b[i]);
    if (!x || !y || *x != *y) return false;
  }
  return true;
}

xmpp::FormField jid_list(std::string var, const Room& room, Affiliation a, std::string label) {
  xmpp::FormField f;
  f.var = std::move(var);
  f.type = xmpp::FieldType::jid_multi;
  f.label = std::move(label);
  for (const auto& [jid, e] : room.affiliations()) {
    if (e.affiliation == a) f.values.push_back(jid);
  }
  return f;
}

// Reads a full admin/owner list (muc#roomconfig_roomadmins/roomowners); bare JIDs.
std::optional<std::string> read_jid_list(const xmpp::DataForm& form, const std::string& var,
                                         std::optional<std::set<std::string>>& out) {
  const xmpp::FormField* f = form.field(var);
  if (!f) return std::nullopt;
  std::set<std::string> jids;
  for (const std::string& v : f->values) {
    if (v.empty()) continue;
    std::string why;
    auto jid = xmpp::Jid::try_parse(v, &why);
    if (!jid || !jid->has_node())
      return var + ": \"" + v + "\" is not a user's JID" + (why.empty() ? "" : ": " + why);
    jids.insert(std::string(jid->bare_str()));
  }
  out = std::move(jids);
  return std::nullopt;
}

}  // namespace

xmpp::DataForm Engine::config_form(const Room& room) const {
  xmpp::DataForm form;
  form.type = xmpp::FormType::form;
  form.title = "Configuration for \"" + std::string(room.jid().node()) + "\" Room";
  form.instructions.push_back(room.locked()
                                  ? "Your room has been created. Submit this form to open it, "
                                    "or cancel to destroy it."
                                  : "Complete this form to modify the configuration of your room.");
  form.set_form_type(std::string(xmpp::ns::muc_roomconfig));
  Limits limits = policy_->limits();
  for (const RoomFeature* f : room_features())
    f->add_config_fields(room.config(), limits, form.fields);
  // No `fixed` instruction fields (decision 0024): their text travels as the <desc/> of the
  // field it explains, which clients that echo the whole form back cannot trip over.
  form.fields.push_back(jid_list(kRoomAdmins, room, Affiliation::admin, "Room Admins"));
  form.fields.back().desc = "People who administer the room, one JID per line.";
  form.fields.push_back(jid_list(kRoomOwners, room, Affiliation::owner, "Room Owners"));
  form.fields.back().desc = "Additional owners of the room, one JID per line.";
  // Settings the policy (or the service) fixes are shown with their only possible value.
  for (const xmpp::FormField& locked : locked_fields(room.jid())) {
    xmpp::FormField* f = form.field(locked.var);
    if (!f) continue;
    f->values = locked.values;
    if (!f->options.empty()) {
      std::erase_if(f->options, [&](const xmpp::FormOption& o) {
        return std::find(locked.values.begin(), locked.values.end(), o.value) ==
               locked.values.end();
      });
    }
    f->desc = locked.desc.empty() ? "Fixed by the service's policy" : locked.desc;
  }
  return form;
}

std::vector<xmpp::FormField> Engine::locked_fields(const xmpp::Jid& room) const {
  auto locked = policy_->locked_fields(room);
  if (!config_.logged) lock_logging_off(locked);
  return locked;
}

void Engine::apply_locks(const xmpp::Jid& room, RoomConfig& config) const {
  auto locked = locked_fields(room);
  if (locked.empty()) return;
  xmpp::DataForm form;
  form.type = xmpp::FormType::submit;
  form.fields = std::move(locked);
  Limits limits = policy_->limits();
  for (const RoomFeature* f : room_features()) f->read_config(form, limits, config);
}

void Engine::handle_owner(Ctx& ctx, Room& room, const xmpp::Element& query, bool set) {
  if (affiliation(room, ctx.from) != Affiliation::owner) {
    // §10.2 / §10.9.
    error(ctx, &room,
          xmpp::StanzaError(xmpp::Condition::forbidden, xmpp::ErrorType::auth,
                            "only owners may configure or destroy the room"));
    return;
  }
  if (!set) {
    xmpp::Element q("query", std::string(xmpp::ns::muc_owner));
    q.add_child(xmpp::to_element(config_form(room)));
    result(ctx, std::move(q));
    return;
  }
  if (const xmpp::Element* d = query.find_child("destroy", xmpp::ns::muc_owner)) {
    xmpp::Element destroy("destroy", std::string(xmpp::ns::muc_user));
    if (d->has_attr("jid")) {
      std::string why;
      auto venue = xmpp::Jid::try_parse(d->attr("jid"), &why);
      if (!venue) {
        error(ctx, &room, xmpp::StanzaError::jid_malformed("alternate venue: " + why));
        return;
      }
      destroy.set_attr("jid", venue->full());
    }
    std::string reason = d->child_text("reason", xmpp::ns::muc_owner);
    if (!reason.empty()) destroy.add_text_child("reason", reason);
    if (const auto* pw = d->find_child("password", xmpp::ns::muc_owner)) {
      destroy.add_text_child("password", pw->text());
    }
    // §10.9: occupants are told first, then the owner gets the result.
    destroy_room(ctx, room, &destroy, reason);
    result(ctx);
    return;
  }
  const xmpp::Element* x = query.find_child("x", xmpp::ns::data_forms);
  if (!x) {
    error(ctx, &room,
          xmpp::StanzaError::bad_request("expected a configuration form or <destroy/>"));
    return;
  }
  xmpp::DataForm form = xmpp::parse_data_form(*x);
  if (form.type == xmpp::FormType::cancel) {
    result(ctx);
    if (room.locked()) {
      // §10.1.3: cancelling the initial configuration destroys the room.
      xmpp::Element destroy("destroy", std::string(xmpp::ns::muc_user));
      destroy_room(ctx, room, &destroy, "initial configuration cancelled");
    }
    return;
  }
  if (form.type != xmpp::FormType::submit) {
    error(ctx, &room, xmpp::StanzaError::bad_request("submit or cancel the configuration form"));
    return;
  }
  if (!form.form_type().empty() && form.form_type() != xmpp::ns::muc_roomconfig) {
    error(ctx, &room, xmpp::StanzaError::bad_request("expected a muc#roomconfig form"));
    return;
  }
  auto not_acceptable = [&](std::string text) {
    error(ctx, &room,
          xmpp::StanzaError(xmpp::Condition::not_acceptable, xmpp::ErrorType::modify,
                            std::move(text)));
  };
  RoomConfig before = room.config();
  RoomConfig next = before;
  std::optional<std::set<std::string>> admins, owners;
  bool instant = true;
  for (const auto& f : form.fields) instant = instant && f.var == "FORM_TYPE";
  if (!instant) {
    // §10.1.2 instant rooms send an empty form; anything else is checked field by field.
    if (auto e = xmpp::validate_submission(form, config_form(room))) return not_acceptable(*e);
    for (const xmpp::FormField& locked : locked_fields(room.jid())) {
      const xmpp::FormField* f = form.field(locked.var);
      if (f && !same_values(f->values, locked.values)) {
        return not_acceptable(locked.var + (locked.desc.empty()
                                                ? " is fixed by the service's policy"
                                                : " is fixed: " + locked.desc));
      }
    }
    Limits limits = policy_->limits();
    for (const RoomFeature* f : room_features()) {
      if (auto e = f->read_config(form, limits, next)) return not_acceptable(*e);
    }
    apply_locks(room.jid(), next);
    ConfigSubmission submission{ctx.from, room, before, *policy_, links_.get()};
    for (const RoomFeature* f : room_features()) {
      if (auto e = f->vet_config(submission, next)) {
        error(ctx, &room, std::move(*e));
        return;
      }
    }
    if (auto e = read_jid_list(form, kRoomAdmins, admins)) return not_acceptable(*e);
    if (auto e = read_jid_list(form, kRoomOwners, owners)) return not_acceptable(*e);
    if (owners && owners->empty()) return not_acceptable("a room must keep at least one owner");
  }
  if (next.persistent && !before.persistent) {
    Verdict v = policy_->check_creation(
        CreationRequest{.creator = ctx.from,
                        .room = room.jid(),
                        .persistent = true,
                        .rooms_owned = rooms_owned_by(ctx.from, &room),
                        .rooms_total = rooms_.size() - 1,
                        .service_admin = policy_->is_service_admin(ctx.from)});
    if (!v.allowed) {
      return not_acceptable(v.reason.empty() ? "you may not make rooms persistent" : v.reason);
    }
  }
  bool initial = room.locked();
  room.set_config(next);
  room.set_locked(false);
  result(ctx);
  // The full admin and owner lists replace the current ones (§10.1.3 note).
  std::string actor_nick;
  if (const Occupant* o = room.occupant_of(ctx.from)) actor_nick = o->nick;
  auto sync_list = [&](const std::optional<std::set<std::string>>& wanted, Affiliation a) {
    if (!wanted) return;
    std::vector<std::string> drop;
    for (const auto& [jid, e] : room.affiliations()) {
      if (e.affiliation == a && !wanted->count(jid)) drop.push_back(jid);
    }
    Affiliation fallback = room.config().members_only ? Affiliation::member : Affiliation::none;
    for (const auto& jid : drop) {
      bool owner_too = owners && owners->count(jid);
      if (a == Affiliation::admin && owner_too) continue;
      change_affiliation(
          ctx, ctx.out, ctx.out, room, jid,
          a == Affiliation::owner && admins && admins->count(jid) ? Affiliation::admin : fallback,
          "", std::nullopt, actor_nick);
    }
    for (const auto& jid : *wanted) {
      if (a == Affiliation::admin && owners && owners->count(jid)) continue;  // owner wins
      const AffiliationEntry* e = room.entry(jid);
      if (!e || e->affiliation != a) {
        change_affiliation(ctx, ctx.out, ctx.out, room, jid, a, "", std::nullopt, actor_nick);
      }
    }
  };
  sync_list(owners, Affiliation::owner);
  sync_list(admins, Affiliation::admin);
  apply_config_change(ctx, room, before, initial);
}

void Engine::apply_config_change(Ctx& ctx, Room& room, const RoomConfig& before, bool initial) {
  const RoomConfig& after = room.config();
  std::vector<int> codes;
  std::string changed;
  bool other_change = false;
  for (const RoomFeature* f : room_features()) {
    f->add_change_codes(before, after, codes);
    if (!f->changed(before, after)) continue;
    if (!changed.empty()) changed += ',';
    changed += f->name();
    if (f->name() != "logging" && f->name() != "whois") other_change = true;
  }
  if (other_change) codes.push_back(104);
  if (!codes.empty() && !initial) {
    // §10.2.1: a message from the room carrying only status codes.
    xmpp::Element m("message", std::string(xmpp::ns::component_accept));
    m.set_attr("from", room.jid_str());
    m.set_attr("id", ids_->next_id());
    m.set_attr("type", "groupchat");
    xmpp::Element& x = m.add_child("x", std::string(xmpp::ns::muc_user));
    std::sort(codes.begin(), codes.end());
    for (int c : codes) x.add_child("status").set_attr("code", std::to_string(c));
    fanout(ctx.out, m, room.all_sessions());
  }
  if (after.members_only && !before.members_only) {
    // §10.2: non-members leave a room that became members-only, with 322.
    std::vector<std::string> out;
    for (const auto& [nick, o] : room.occupants()) {
      if (affiliation(room, o.bare) < Affiliation::member) out.push_back(nick);
    }
    for (const auto& nick : out)
      remove_occupant(ctx, ctx.out, ctx.out, room, nick, Removal{{322}, "", ""});
  }
  if (after.linked != before.linked) {
    // Occupants admitted by a link that is gone leave a members-only room (321); the others
    // see their affiliation change (features/linked_membership.cpp).
    std::map<std::string, Affiliation> was;
    for (const auto& [nick, o] : room.occupants())
      was[nick] = affiliation_under(room, o.bare, before.linked, links_.get());
    const Occupant* actor = room.occupant_of(ctx.from);
    apply_linked_changes(ctx, room, was, actor ? actor->nick : std::string());
  }
  RoomEvent& ev = event(ctx, room, RoomEventKind::config_change);
  ev.detail = json_detail({{"changed", changed}, {"initial", initial ? "true" : "false"}});
  if (after.persistent) {
    persist(ctx, room);
  } else if (before.persistent) {
    ctx.out.deletions.push_back(room.jid_str());
  }
  drop_if_empty(ctx, room);
}

}  // namespace commonroom::muc
