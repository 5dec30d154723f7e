// muc#owner (§10): instant and reserved rooms, the configuration form, and destruction.
#include <set>
#include <variant>

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

// muc#owner <destroy/> as the muc#user <destroy/> occupants get, or why it is malformed
// (§10.9).
std::variant<UserDestroy, xmpp::StanzaError> read_destroy(const xmpp::Element& d) {
  UserDestroy destroy;
  if (d.has_attr("jid")) {
    std::string why;
    auto venue = xmpp::Jid::try_parse(d.attr("jid"), &why);
    if (!venue) return xmpp::StanzaError::jid_malformed("alternate venue: " + why);
    destroy.jid = venue->full();
  }
  destroy.reason = d.child_text("reason", xmpp::ns::muc_owner);
  if (const auto* pw = d.find_child("password", xmpp::ns::muc_owner)) destroy.password = pw->text();
  return destroy;
}

// What a submitted configuration form asks for: the new configuration and, when the form
// carries them, the full admin and owner lists.
struct ConfigRequest {
  RoomConfig next;
  std::optional<std::set<std::string>> admins, owners;
};

// Reads a submitted muc#roomconfig form against the room's current form, the locks and
// every feature's checks (§10.1.2-10.1.3). An instant room's empty form changes nothing.
std::variant<ConfigRequest, xmpp::StanzaError> read_config_request(const Engine& engine,
                                                                   const xmpp::Jid& submitter,
                                                                   const Room& room,
                                                                   const xmpp::DataForm& form) {
  auto not_acceptable = [](std::string text) {
    return xmpp::StanzaError::not_acceptable(std::move(text));
  };
  ConfigRequest request{room.config(), std::nullopt, std::nullopt};
  bool instant = true;
  for (const auto& f : form.fields) instant = instant && f.var == "FORM_TYPE";
  if (instant) return request;
  if (auto e = xmpp::validate_submission(form, engine.config_form(room))) {
    return not_acceptable(*e);
  }
  for (const xmpp::FormField& locked : engine.locked_fields(room.jid())) {
    const xmpp::FormField* f = form.field(locked.var);
    if (f && !same_values(f->values, locked.values)) {
      return not_acceptable(locked.var + (locked.desc.empty() ? " is fixed by the service's policy"
                                                              : " is fixed: " + locked.desc));
    }
  }
  Limits limits = engine.limits();
  for (const RoomFeature* f : room_features()) {
    if (auto e = f->read_config(form, limits, request.next)) return not_acceptable(*e);
  }
  engine.apply_locks(room.jid(), request.next);
  ConfigSubmission submission{submitter, room, room.config(), engine.policy(),
                              engine.link_directory()};
  for (const RoomFeature* f : room_features()) {
    if (auto e = f->vet_config(submission, request.next)) return std::move(*e);
  }
  if (auto e = read_jid_list(form, kRoomAdmins, request.admins)) return not_acceptable(*e);
  if (auto e = read_jid_list(form, kRoomOwners, request.owners)) return not_acceptable(*e);
  if (request.owners && request.owners->empty()) {
    return not_acceptable("a room must keep at least one owner");
  }
  return request;
}

// The full admin and owner lists replace the current ones (§10.1.3 note); an owner also
// listed as admin stays owner.
void sync_owner_lists(Engine& engine, Ctx& ctx, Room& room, const ConfigRequest& request,
                      const std::string& actor_nick) {
  const auto& admins = request.admins;
  const auto& owners = request.owners;
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
      engine.change_affiliation(
          ctx, ctx.out, ctx.out, room, jid,
          a == Affiliation::owner && admins && admins->count(jid) ? Affiliation::admin : fallback,
          "", std::nullopt, actor_nick);
    }
    for (const auto& jid : *wanted) {
      if (a == Affiliation::admin && owners && owners->count(jid)) continue;  // owner wins
      const AffiliationEntry* e = room.entry(jid);
      if (!e || e->affiliation != a) {
        engine.change_affiliation(ctx, ctx.out, ctx.out, room, jid, a, "", std::nullopt,
                                  actor_nick);
      }
    }
  };
  sync_list(owners, Affiliation::owner);
  sync_list(admins, Affiliation::admin);
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
          xmpp::StanzaError::forbidden("only owners may configure or destroy the room"));
    return;
  }
  if (!set) {
    xmpp::Element q("query", std::string(xmpp::ns::muc_owner));
    q.add_child(xmpp::to_element(config_form(room)));
    result(ctx, std::move(q));
    return;
  }
  if (const xmpp::Element* d = query.find_child("destroy", xmpp::ns::muc_owner)) {
    auto destroy = read_destroy(*d);
    if (auto* e = std::get_if<xmpp::StanzaError>(&destroy)) return error(ctx, &room, std::move(*e));
    // §10.9: occupants are told first, then the owner gets the result.
    destroy_room(ctx, room, std::get<UserDestroy>(destroy),
                 d->child_text("reason", xmpp::ns::muc_owner));
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
      destroy_room(ctx, room, UserDestroy{}, "initial configuration cancelled");
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
  auto read = read_config_request(*this, ctx.from, room, form);
  if (auto* e = std::get_if<xmpp::StanzaError>(&read)) return error(ctx, &room, std::move(*e));
  const ConfigRequest& request = std::get<ConfigRequest>(read);
  RoomConfig before = room.config();
  if (request.next.persistent && !before.persistent) {
    Verdict v = policy_->check_creation(
        CreationRequest{.creator = ctx.from,
                        .room = room.jid(),
                        .persistent = true,
                        .rooms_owned = rooms_owned_by(ctx.from, &room),
                        .rooms_total = rooms_.size() - 1,
                        .service_admin = policy_->is_service_admin(ctx.from)});
    if (!v.allowed) {
      error(ctx, &room,
            xmpp::StanzaError::not_acceptable(v.reason.empty() ? "you may not make rooms persistent"
                                                               : v.reason));
      return;
    }
  }
  bool initial = room.locked();
  room.set_config(request.next);
  room.set_locked(false);
  result(ctx);
  std::string actor_nick;
  if (const Occupant* o = room.occupant_of(ctx.from)) actor_nick = o->nick;
  sync_owner_lists(*this, ctx, room, request, actor_nick);
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
    if (f->announced_by_104()) other_change = true;
  }
  if (other_change) codes.push_back(104);
  if (!codes.empty() && !initial) {
    // §10.2.1: a message from the room carrying only status codes.
    xmpp::Element m("message", std::string(xmpp::ns::component_accept));
    m.set_attr("from", room.jid_str());
    m.set_attr("id", ids_->next_id());
    m.set_attr("type", "groupchat");
    UserX x;
    std::sort(codes.begin(), codes.end());
    x.status_codes = std::move(codes);
    m.add_child(to_element(x));
    fanout(ctx.out, m, room.all_sessions());
  }
  // Features act on their own changes (members-only's 322, linked membership's 321).
  for (const RoomFeature* f : room_features()) f->config_changed(*this, ctx, room, before);
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
