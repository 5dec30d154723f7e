// Registering with a room (§7.10, jabber:iq:register): an unaffiliated user becomes a
// member with a reserved nickname, which nobody else may then use (§7.2.8, conflict).
#include "muc/engine.hpp"
#include "muc/features/feature.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

const std::string kRoomnick = "muc#register_roomnick";

class Registration : public RoomFeature {
 public:
  std::string_view name() const override { return "registration"; }
  void add_disco_features(const Room&, std::vector<std::string>& out) const override {
    out.emplace_back(xmpp::ns::register_);
  }
  std::optional<xmpp::StanzaError> check_join(const Room& room,
                                              const JoinAttempt& join) const override {
    const std::string* by = room.nick_reserved_by(join.nick);
    if (!by || *by == join.jid.bare_str()) return std::nullopt;
    return xmpp::StanzaError(xmpp::Condition::conflict, xmpp::ErrorType::cancel,
                             "that nickname is registered by someone else");
  }
};

xmpp::StanzaError not_allowed(std::string text) {
  return xmpp::StanzaError(xmpp::Condition::not_allowed, xmpp::ErrorType::cancel, std::move(text));
}

}  // namespace

void Engine::handle_register(Ctx& ctx, Room& room) {
  const xmpp::Element& query = *ctx.stanza.find_child("query", xmpp::ns::register_);
  bool get = xmpp::iq_type(ctx.stanza) == xmpp::IqType::get;
  Affiliation a = affiliation(room, ctx.from);
  std::string bare(ctx.from.bare_str());
  const AffiliationEntry* entry = room.entry(bare);
  if (a == Affiliation::outcast) {
    error(ctx, &room,
          xmpp::StanzaError(xmpp::Condition::forbidden, xmpp::ErrorType::auth,
                            "you are banned from this room"));
    return;
  }
  // In a members-only room registering would bypass the member list admins keep.
  bool may_register = a >= Affiliation::member || !room.config().members_only;
  if (get) {
    xmpp::Element q("query", std::string(xmpp::ns::register_));
    if (entry && !entry->nick.empty()) {
      q.add_child("registered");
      q.add_text_child("username", entry->nick);
      result(ctx, std::move(q));
      return;
    }
    if (!may_register) {
      error(ctx, &room, not_allowed("ask an admin for membership of this members-only room"));
      return;
    }
    q.add_text_child("instructions", "Choose the nickname to reserve in this room.");
    xmpp::DataForm form;
    form.type = xmpp::FormType::form;
    std::string title =
        room.config().name.empty() ? std::string(room.jid().node()) : room.config().name;
    form.title = title + " registration";
    form.instructions.push_back(
        "Please provide the following information to register with this room.");
    form.set_form_type(std::string(xmpp::ns::muc_register));
    xmpp::FormField nick = text_field(kRoomnick, "", "Desired Nickname");
    nick.required = true;
    form.fields.push_back(std::move(nick));
    q.add_child(xmpp::to_element(form));
    result(ctx, std::move(q));
    return;
  }
  std::string actor_nick;
  if (const Occupant* o = room.occupant_of(ctx.from)) actor_nick = o->nick;
  if (query.find_child("remove", xmpp::ns::register_)) {
    // XEP-0077 cancellation: the reserved nick goes, and membership with it.
    Effects later;
    if (entry) {
      if (entry->affiliation == Affiliation::member) {
        change_affiliation(ctx, later, later, room, bare, Affiliation::none,
                           "registration cancelled", std::string(), actor_nick);
      } else {
        room.set_affiliation(bare, entry->affiliation, entry->reason, std::string());
      }
      persist(ctx, room);
    }
    result(ctx);
    append(ctx.out, std::move(later));
    return;
  }
  const xmpp::Element* x = query.find_child("x", xmpp::ns::data_forms);
  if (!x) {
    error(ctx, &room, xmpp::StanzaError::bad_request("submit the registration form"));
    return;
  }
  xmpp::DataForm form = xmpp::parse_data_form(*x);
  if (form.type == xmpp::FormType::cancel) {
    result(ctx);
    return;
  }
  if (form.type != xmpp::FormType::submit || form.form_type() != xmpp::ns::muc_register) {
    error(ctx, &room, xmpp::StanzaError::bad_request("expected a submitted muc#register form"));
    return;
  }
  std::string nick(form.value(kRoomnick).value_or(""));
  if (nick.empty()) {
    error(ctx, &room, xmpp::StanzaError::bad_request(kRoomnick + " is required"));
    return;
  }
  if (!may_register) {
    error(ctx, &room, not_allowed("ask an admin for membership of this members-only room"));
    return;
  }
  try {
    nick = xmpp::resourceprep(nick);
  } catch (const xmpp::JidError& e) {
    error(ctx, &room, xmpp::StanzaError::not_acceptable(std::string("nickname: ") + e.what()));
    return;
  }
  bool rewritten = false;
  if (auto e = check_nick(ctx, room.jid(), nick, rewritten)) {
    error(ctx, &room, std::move(*e));
    return;
  }
  const std::string* by = room.nick_reserved_by(nick);
  const Occupant* holder = room.occupant(nick);
  if ((by && *by != bare) || (holder && !holder->bare.same_bare(ctx.from))) {
    // §7.10: reserved (or in use) by someone else.
    error(ctx, &room,
          xmpp::StanzaError(xmpp::Condition::conflict, xmpp::ErrorType::cancel,
                            "that nickname is taken"));
    return;
  }
  // The result first, then the room hears of the new member (§7.10's order).
  Effects later;
  Affiliation stored = entry ? entry->affiliation : Affiliation::none;
  if (stored < Affiliation::member) {
    change_affiliation(ctx, later, later, room, bare, Affiliation::member, "registered", nick,
                       actor_nick);
  } else {
    room.set_affiliation(bare, stored, entry->reason, nick);
  }
  persist(ctx, room);
  result(ctx);
  append(ctx.out, std::move(later));
}

const RoomFeature& registration_feature() {
  static const Registration kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
