// Registering with a room (§7.10, jabber:iq:register): an unaffiliated user becomes a
// member with a reserved nickname, which nobody else may then use (§7.2.8, conflict).
// x-commonroom#registration says how: `open` registers at once, `approval` sends the
// request to the room's owners and admins and registers the user when one of them approves
// (§9.9), `closed` takes no new registrations.
#include <chrono>
#include <variant>

#include "muc/engine.hpp"
#include "muc/event_detail.hpp"
#include "muc/features/feature.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

const std::string kRoomnick = "muc#register_roomnick";
const std::string kAllow = "muc#register_allow";
const std::string kJid = "muc#jid";
constexpr std::string_view kRegistrationVar = "x-commonroom#registration";

// The optional fields of the spec's registration form (§7.10 Example 64), passed to the
// admins who decide; with their labels and how long a value may be.
struct DetailField {
  std::string_view var;
  std::string_view label;
  bool multi;
  std::size_t max_bytes;
};
constexpr DetailField kDetails[] = {
    {"muc#register_first", "Given Name", false, 256},
    {"muc#register_last", "Family Name", false, 256},
    {"muc#register_url", "User URL", false, 512},
    {"muc#register_email", "Email Address", false, 256},
    {"muc#register_faqentry", "FAQ Entry", true, 2000},
};
constexpr std::size_t kMaxNickBytes = 1023;

// Requests nobody decided on are forgotten after this long: they hold personal details.
constexpr auto kRequestLifetime = std::chrono::hours(24 * 30);
// Bounds on what one room keeps and sends for approval.
constexpr std::size_t kMaxPendingRequests = 200;
constexpr std::size_t kMaxApprovers = 25;
constexpr std::size_t kMaxReminders = 20;  // forms sent to an admin entering the room
// A request submitted again sooner than this does not ask the admins again.
constexpr auto kRenotifyAfter = std::chrono::hours(1);

xmpp::StanzaError not_allowed(std::string text) {
  return xmpp::StanzaError::not_allowed(std::move(text));
}

xmpp::StanzaError closed_error() {
  return xmpp::StanzaError::service_unavailable("this room does not take registrations");
}

xmpp::FormField jid_field(std::string var, std::string value, std::string label) {
  xmpp::FormField f;
  f.var = std::move(var);
  f.type = xmpp::FieldType::jid_single;
  f.label = std::move(label);
  f.values.push_back(std::move(value));
  return f;
}

// The room's display name for messages and form titles.
std::string room_title(const Room& room) {
  return room.config().name.empty() ? std::string(room.jid().node()) : room.config().name;
}

// The owners' and admins' addresses to ask (§9.9): bare JIDs, so a server that stores
// messages for offline users keeps the request for them.
std::vector<xmpp::Jid> approvers(const Room& room) {
  std::vector<xmpp::Jid> out;
  for (const auto& [jid, e] : room.affiliations()) {
    if (e.affiliation < Affiliation::admin || jid.find('@') == std::string::npos) continue;
    auto parsed = xmpp::Jid::try_parse(jid);
    if (!parsed) continue;
    out.push_back(std::move(*parsed));
    if (out.size() == kMaxApprovers) break;
  }
  return out;
}

// A field for one of the optional details, holding `value`.
xmpp::FormField detail_field(const DetailField& d, std::string value) {
  xmpp::FormField f = text_field(std::string(d.var), std::move(value), std::string(d.label));
  if (d.multi) f.type = xmpp::FieldType::text_multi;
  return f;
}

// What the request gave for that detail, nullptr when nothing.
const std::string* detail_value(const RegistrationRequest& r, std::string_view var) {
  for (const auto& [v, value] : r.details) {
    if (v == var) return &value;
  }
  return nullptr;
}

// Reserved by, or in use as an occupant's nick by, someone other than `user`.
bool nick_taken(const Room& room, std::string_view nick, const xmpp::Jid& user) {
  const std::string* by = room.nick_reserved_by(nick);
  const Occupant* holder = room.occupant(nick);
  return (by && *by != user.bare_str()) || (holder && !holder->bare.same_bare(user));
}

xmpp::DataForm approval_form(const RegistrationRequest& r) {
  xmpp::DataForm form;
  form.type = xmpp::FormType::form;
  form.title = "Registration request";
  form.instructions.push_back(
      "To approve this registration request, select the \"Allow this person to register with "
      "the room?\" checkbox and click OK. To decline it, leave the checkbox clear and click OK. "
      "To skip this request, click the cancel button.");
  form.set_form_type(std::string(xmpp::ns::muc_register));
  // Not in the spec's example: the answer has to say whose request it decides.
  form.fields.push_back(jid_field(kJid, r.jid, "User ID"));
  for (const DetailField& d : kDetails) {
    if (const std::string* value = detail_value(r, d.var)) {
      form.fields.push_back(detail_field(d, *value));
    }
  }
  form.fields.push_back(text_field(kRoomnick, r.nick, "Desired Nickname"));
  form.fields.push_back(bool_field(kAllow, false, "Allow this person to register with the room?"));
  return form;
}

// The approval form as a message from the room (addressed by the caller or the fan-out).
xmpp::Element approval_message(const Room& room, const RegistrationRequest& r, std::string id) {
  xmpp::Element m("message", std::string(xmpp::ns::component_accept));
  m.set_attr("from", room.jid_str());
  m.set_attr("id", std::move(id));
  m.add_child(xmpp::to_element(approval_form(r)));
  return m;
}

// A plain message from the room to a user about their request.
xmpp::Element notice(const Room& room, const std::string& to, std::string id, std::string text) {
  xmpp::Element m("message", std::string(xmpp::ns::component_accept));
  m.set_attr("from", room.jid_str());
  m.set_attr("to", to);
  m.set_attr("id", std::move(id));
  m.add_text_child("body", std::move(text));
  return m;
}

// Makes `bare` a member with `nick` reserved (members and above keep their affiliation and
// only reserve the nick) and drops any request of theirs still waiting.
void register_member(Engine& engine, Ctx& ctx, Effects& sink, Room& room, const std::string& bare,
                     const std::string& nick, const std::string& reason,
                     const std::string& actor_nick);

// Where the sender stands with the room, read once for every kind of register request.
struct Standing {
  Affiliation affiliation;
  std::string bare;
  const AffiliationEntry* entry;  // their affiliation entry, nullptr when none
  Registration mode;
  bool registered;                     // they have a reserved nick
  bool needs_approval;                 // a submission waits for an admin
  bool may_register;                   // a submission can succeed at all
  const RegistrationRequest* pending;  // their request still waiting, if any
};

// Also forgets requests nobody decided on in time.
Standing read_standing(const Ctx& ctx, Room& room, Affiliation affiliation) {
  Standing s;
  s.affiliation = affiliation;
  s.bare = std::string(ctx.from.bare_str());
  s.entry = room.entry(s.bare);
  s.mode = room.config().registration;
  s.registered = s.entry && !s.entry->nick.empty();
  // Requests wait for an admin when the room says so; members and admins only reserve a
  // nick, which needs nobody's approval.
  s.needs_approval = s.mode == Registration::approval && s.affiliation < Affiliation::member;
  // In a members-only room open registration would bypass the member list admins keep.
  s.may_register =
      s.mode != Registration::closed &&
      (s.affiliation >= Affiliation::member || !room.config().members_only || s.needs_approval);
  room.drop_registration_requests_before(ctx.now - kRequestLifetime);
  s.pending = room.registration_request(s.bare);
  return s;
}

// Why this user may not register at all, if so (closed room, or members-only without
// approval).
std::optional<xmpp::StanzaError> registration_refused(const Standing& s) {
  if (s.mode == Registration::closed) return closed_error();
  if (!s.may_register) return not_allowed("ask an admin for membership of this members-only room");
  return std::nullopt;
}

// The registration form (§7.10 Example 64), filled with a waiting request's answers.
xmpp::DataForm registration_form(const Room& room, const Standing& s,
                                 const std::string& instructions) {
  xmpp::DataForm form;
  form.type = xmpp::FormType::form;
  form.title = room_title(room) + " registration";
  form.instructions.push_back(instructions);
  form.set_form_type(std::string(xmpp::ns::muc_register));
  if (s.needs_approval) {
    // Who is asking, for the admins who decide (§7.10 Example 64's optional fields).
    for (const DetailField& d : kDetails) {
      const std::string* given = s.pending ? detail_value(*s.pending, d.var) : nullptr;
      form.fields.push_back(detail_field(d, given ? *given : std::string()));
    }
  }
  xmpp::FormField nick =
      text_field(kRoomnick, s.pending ? s.pending->nick : std::string(), "Desired Nickname");
  nick.required = true;
  form.fields.push_back(std::move(nick));
  return form;
}

// get: the reserved nick of a registered user, else the form to fill (§7.10).
void answer_register_get(Engine& engine, Ctx& ctx, Room& room, const Standing& s) {
  xmpp::Element q("query", std::string(xmpp::ns::register_));
  if (s.registered) {
    q.add_child("registered");
    q.add_text_child("username", s.entry->nick);
    engine.result(ctx, std::move(q));
    return;
  }
  if (auto refused = registration_refused(s)) return engine.error(ctx, &room, std::move(*refused));
  std::string instructions =
      s.pending ? "Your request to register as " + s.pending->nick +
                      " is waiting for an admin of this room. Submit again to change it."
      : s.needs_approval
          ? "Choose the nickname to reserve in this room. An admin of the room will review "
            "your request."
          : "Choose the nickname to reserve in this room.";
  q.add_text_child("instructions", instructions);
  q.add_child(xmpp::to_element(registration_form(room, s, instructions)));
  engine.result(ctx, std::move(q));
}

// XEP-0077 cancellation: the reserved nick goes, and membership with it; a request still
// waiting is withdrawn.
void cancel_registration(Engine& engine, Ctx& ctx, Room& room, const Standing& s,
                         const std::string& actor_nick) {
  Effects later;
  bool withdrawn = room.drop_registration_request(s.bare);
  if (s.entry) {
    if (s.entry->affiliation == Affiliation::member) {
      engine.change_affiliation(ctx, later, later, room, s.bare, Affiliation::none,
                                "registration cancelled", std::string(), actor_nick);
    } else {
      room.set_affiliation(s.bare, s.entry->affiliation, s.entry->reason, std::string());
    }
  }
  if (s.entry || withdrawn) engine.persist(ctx, room);
  engine.result(ctx);
  Engine::append(ctx.out, std::move(later));
}

// A submitted registration form and the nickname it asks for, checked.
struct Submission {
  xmpp::DataForm form;
  std::string nick;
};
struct Cancelled {};

std::variant<Submission, Cancelled, xmpp::StanzaError> read_submission(Engine& engine, Ctx& ctx,
                                                                       const Room& room,
                                                                       const Standing& s,
                                                                       const xmpp::Element& query) {
  const xmpp::Element* x = query.find_child("x", xmpp::ns::data_forms);
  if (!x) return xmpp::StanzaError::bad_request("submit the registration form");
  xmpp::DataForm form = xmpp::parse_data_form(*x);
  if (form.type == xmpp::FormType::cancel) return Cancelled{};
  if (form.type != xmpp::FormType::submit || form.form_type() != xmpp::ns::muc_register) {
    return xmpp::StanzaError::bad_request("expected a submitted muc#register form");
  }
  std::string nick(form.value(kRoomnick).value_or(""));
  if (nick.empty()) return xmpp::StanzaError::bad_request(kRoomnick + " is required");
  if (auto refused = registration_refused(s)) return std::move(*refused);
  if (nick.size() > kMaxNickBytes) return xmpp::StanzaError::not_acceptable("nickname: too long");
  try {
    nick = xmpp::resourceprep(nick);
  } catch (const xmpp::JidError& e) {
    return xmpp::StanzaError::not_acceptable(std::string("nickname: ") + e.what());
  }
  bool rewritten = false;
  if (auto e = engine.check_nick(ctx, room.jid(), nick, rewritten)) return std::move(*e);
  if (nick_taken(room, nick, ctx.from)) {
    // §7.10: reserved (or in use) by someone else.
    return xmpp::StanzaError::conflict("that nickname is taken");
  }
  return Submission{std::move(form), std::move(nick)};
}

// The optional details a request for approval carries, each within its bound.
std::variant<std::vector<std::pair<std::string, std::string>>, xmpp::StanzaError> read_details(
    const xmpp::DataForm& form) {
  std::vector<std::pair<std::string, std::string>> details;
  for (const DetailField& d : kDetails) {
    std::string value;
    for (const std::string& v : form.values(d.var)) {
      if (!value.empty()) value += '\n';
      value += v;
    }
    if (value.empty()) continue;
    if (value.size() > d.max_bytes) {
      return xmpp::StanzaError::not_acceptable(std::string(d.var) + ": at most " +
                                               std::to_string(d.max_bytes) + " bytes");
    }
    details.emplace_back(d.var, std::move(value));
  }
  return details;
}

// approval mode: the request waits, and the owners and admins are asked (§9.9).
void request_approval(Engine& engine, Ctx& ctx, Room& room, const Standing& s,
                      Submission submission, const std::string& actor_nick) {
  auto details = read_details(submission.form);
  if (auto* e = std::get_if<xmpp::StanzaError>(&details)) {
    return engine.error(ctx, &room, std::move(*e));
  }
  RegistrationRequest request;
  request.jid = s.bare;
  request.nick = submission.nick;
  request.details = std::move(std::get<0>(details));
  if (!s.pending && room.registration_requests().size() >= kMaxPendingRequests) {
    engine.error(ctx, &room,
                 xmpp::StanzaError::resource_constraint(
                     "too many registration requests are waiting in this room; try "
                     "again later"));
    return;
  }
  request.requested_at = ctx.now;
  // Asking again with the same answers within the hour does not ask the admins again.
  bool ask = !s.pending || s.pending->nick != request.nick ||
             s.pending->details != request.details ||
             ctx.now - s.pending->notified_at >= kRenotifyAfter;
  request.notified_at = ask ? ctx.now : s.pending->notified_at;
  RoomEvent& ev = engine.event(ctx, room, RoomEventKind::registration_request);
  ev.actor_nick = actor_nick;
  ev.target = request.nick;
  // §7.10 Example 69: the request was received (not yet granted).
  engine.result(ctx);
  if (ask)
    engine.fanout(ctx.out, approval_message(room, request, engine.ids().next_id()),
                  approvers(room));
  room.put_registration_request(std::move(request));
  engine.persist(ctx, room);
}

void handle_register(Engine& engine, Ctx& ctx, Room& room) {
  Affiliation a = engine.affiliation(room, ctx.from);
  if (a == Affiliation::outcast) {
    engine.error(ctx, &room, xmpp::StanzaError::forbidden("you are banned from this room"));
    return;
  }
  const Standing s = read_standing(ctx, room, a);
  if (xmpp::iq_type(ctx.stanza) == xmpp::IqType::get)
    return answer_register_get(engine, ctx, room, s);
  const xmpp::Element& query = *ctx.stanza.find_child("query", xmpp::ns::register_);
  std::string actor_nick;
  if (const Occupant* o = room.occupant_of(ctx.from)) actor_nick = o->nick;
  if (query.find_child("remove", xmpp::ns::register_)) {
    return cancel_registration(engine, ctx, room, s, actor_nick);
  }
  auto read = read_submission(engine, ctx, room, s, query);
  if (auto* e = std::get_if<xmpp::StanzaError>(&read))
    return engine.error(ctx, &room, std::move(*e));
  if (std::holds_alternative<Cancelled>(read)) return engine.result(ctx);
  Submission& submission = std::get<Submission>(read);
  if (s.needs_approval) {
    return request_approval(engine, ctx, room, s, std::move(submission), actor_nick);
  }
  // The result first, then the room hears of the new member (§7.10's order).
  Effects later;
  register_member(engine, ctx, later, room, s.bare, submission.nick, "registered", actor_nick);
  engine.persist(ctx, room);
  engine.result(ctx);
  Engine::append(ctx.out, std::move(later));
}

void handle_registration_answer(Engine& engine, Ctx& ctx, Room& room, const xmpp::DataForm& form) {
  // An owner's or admin's answer to an approval form (§9.9); they need not be in the room.
  if (form.type == xmpp::FormType::cancel) return;  // skipped: the request stays
  if (engine.affiliation(room, ctx.from) < Affiliation::admin) {
    engine.error(
        ctx, &room,
        xmpp::StanzaError::forbidden("only owners and admins may decide registration requests"));
    return;
  }
  if (form.type != xmpp::FormType::submit) {
    engine.error(ctx, &room,
                 xmpp::StanzaError::bad_request("expected a submitted muc#register form"));
    return;
  }
  std::optional<bool> allow = form.bool_value(kAllow);
  std::string who(form.value(kJid).value_or(""));
  if (!allow || who.empty()) {
    engine.error(
        ctx, &room,
        xmpp::StanzaError::bad_request("the answer needs " + kJid + " and a boolean " + kAllow));
    return;
  }
  room.drop_registration_requests_before(ctx.now - kRequestLifetime);
  const RegistrationRequest* request = room.registration_request(who);
  if (!request) {
    engine.error(ctx, &room,
                 xmpp::StanzaError::item_not_found("no registration request from " + who +
                                                   " is waiting (decided already, withdrawn or "
                                                   "expired)"));
    return;
  }
  std::string actor_nick;
  if (const Occupant* o = room.occupant_of(ctx.from)) actor_nick = o->nick;
  const std::string title = room_title(room);
  if (!*allow) {
    RoomEvent& ev = engine.event(ctx, room, RoomEventKind::registration_declined);
    ev.actor_nick = actor_nick;
    ev.target = who;
    ev.detail = json_detail({{"nick", request->nick}});
    ctx.out.outbound.push_back(notice(
        room, who, engine.ids().next_id(),
        "Your request to register with " + title + " (" + room.jid_str() + ") was declined."));
    room.drop_registration_request(who);
    engine.persist(ctx, room);
    return;
  }
  // The admin may change the nickname in the form before approving.
  std::string nick(form.value(kRoomnick).value_or(request->nick));
  try {
    nick = xmpp::resourceprep(nick);
  } catch (const xmpp::JidError& e) {
    engine.error(ctx, &room,
                 xmpp::StanzaError::not_acceptable(std::string("nickname: ") + e.what()));
    return;
  }
  if (nick.empty()) nick = request->nick;
  xmpp::Jid user = xmpp::Jid::parse(who);
  Affiliation now = engine.affiliation(room, user);
  if (now == Affiliation::outcast) {
    room.drop_registration_request(who);
    engine.persist(ctx, room);
    engine.error(ctx, &room,
                 not_allowed(who + " has been banned since asking; the request is dropped"));
    return;
  }
  if (nick_taken(room, nick, user)) {
    // The request stays: the admin can approve it again with another nickname.
    engine.error(ctx, &room,
                 xmpp::StanzaError::conflict("the nickname " + nick +
                                             " is now taken; approve again with another "
                                             "muc#register_roomnick"));
    return;
  }
  // Tells the user too: presence in the room, an invitation to a members-only room, else 101.
  register_member(engine, ctx, ctx.out, room, who, nick, "registration approved", actor_nick);
  engine.persist(ctx, room);
}

void register_member(Engine& engine, Ctx& ctx, Effects& sink, Room& room, const std::string& bare,
                     const std::string& nick, const std::string& reason,
                     const std::string& actor_nick) {
  const AffiliationEntry* entry = room.entry(bare);
  Affiliation stored = entry ? entry->affiliation : Affiliation::none;
  if (stored < Affiliation::member) {
    engine.change_affiliation(ctx, sink, sink, room, bare, Affiliation::member, reason, nick,
                              actor_nick);
  } else {
    room.set_affiliation(bare, stored, entry->reason, nick);  // only the nick is new
  }
  room.drop_registration_request(bare);
}

class RegistrationFeature : public RoomFeature {
 public:
  std::string_view name() const override { return "registration"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    xmpp::FormField f = xmpp::FormField::list_single(
        std::string(kRegistrationVar), std::string(to_string(c.registration)),
        {{"At once", "open"}, {"After an admin approves", "approval"}, {"Not allowed", "closed"}},
        "Registering with the room (reserving a nickname, becoming a member)");
    f.desc =
        "In a members-only room, 'at once' is not open to non-members: they can only ask for "
        "approval.";
    out.push_back(std::move(f));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    const xmpp::FormField* f = form.field(kRegistrationVar);
    if (!f || f->values.empty()) return std::nullopt;
    auto r = registration_from_string(f->value());
    if (!r) {
      return std::string(kRegistrationVar) + ": expected open, approval or closed, got \"" +
             std::string(f->value()) + "\"";
    }
    next.registration = *r;
    return std::nullopt;
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.registration != b.registration;
  }
  void add_disco_features(const Room& room, const RoomServiceConfig&,
                          std::vector<std::string>& out) const override {
    if (room.config().registration != Registration::closed) {
      out.emplace_back(xmpp::ns::register_);
    }
  }
  std::optional<xmpp::StanzaError> check_join(const Room& room,
                                              const JoinAttempt& join) const override {
    const std::string* by = room.nick_reserved_by(join.nick);
    if (!by || *by == join.jid.bare_str()) return std::nullopt;
    return xmpp::StanzaError::conflict("that nickname is registered by someone else");
  }
  bool handle_iq(Engine& engine, Ctx& ctx, Room& room, const xmpp::Element& payload,
                 bool) const override {
    if (!payload.is("query", xmpp::ns::register_)) return false;
    handle_register(engine, ctx, room);
    return true;
  }
  bool handle_message(Engine& engine, Ctx& ctx, Room& room) const override {
    // An owner's or admin's answer to an approval form.
    const xmpp::Element* x = ctx.stanza.find_child("x", xmpp::ns::data_forms);
    if (!x) return false;
    xmpp::DataForm form = xmpp::parse_data_form(*x);
    if (form.form_type() != xmpp::ns::muc_register) return false;
    handle_registration_answer(engine, ctx, room, form);
    return true;
  }
};

}  // namespace

void remind_of_registrations(Engine& engine, Ctx& ctx, const Room& room, const xmpp::Jid& session) {
  // Approval forms go to bare JIDs, which a server without offline storage drops for an
  // admin who is not online; entering the room is when they see what still waits.
  std::size_t sent = 0;
  for (const auto& [jid, request] : room.registration_requests()) {
    if (request.requested_at < ctx.now - kRequestLifetime) continue;
    if (++sent > kMaxReminders) break;
    xmpp::Element m = approval_message(room, request, engine.ids().next_id());
    m.set_attr("to", session.full());
    ctx.out.outbound.push_back(std::move(m));
  }
}

const RoomFeature& registration_feature() {
  static const RegistrationFeature kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
