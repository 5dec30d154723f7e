#include "app/admin_room_commands.hpp"

#include <atomic>
#include <memory>

#include "app/admin_actor_policy.hpp"
#include "app/runtime.hpp"
#include "muc/effects.hpp"
#include "muc/room_service.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/payloads/data_form.hpp"

namespace commonroom::app {

namespace {

// A change that the engine does not answer within this is reported as failed to the page
// (it may still happen; the audit trail and the room log will show it).
constexpr std::chrono::seconds kEngineTimeout{10};

std::atomic<unsigned long> next_id{1};

// The text of an IQ error for the page: its <text/>, else its condition's name.
std::string error_text(const xmpp::Element& iq) {
  const xmpp::Element* error = iq.find_child("error", iq.xmlns());
  if (!error) return "the rooms engine refused the change";
  if (const xmpp::Element* text = error->find_child("text", xmpp::ns::stanzas)) return text->text();
  for (const auto& child : error->nodes())
    if (!child.is_text() && child.xmlns() == xmpp::ns::stanzas) return child.name();
  return "the rooms engine refused the change";
}

// The engine's answer to the IQ with this id, taken out: it is for the page, not the network.
std::optional<xmpp::Element> take_reply(muc::Effects& out, const std::string& id) {
  for (std::size_t i = 0; i < out.outbound.size(); ++i)
    if (out.outbound[i].name() == "iq" && out.outbound[i].attr("id") == id)
      return out.take_outbound(i);
  return std::nullopt;
}

// An error stanza the engine sent back to `session` (a refused join or message), taken out.
std::optional<xmpp::Element> take_error_to(muc::Effects& out, const std::string& session) {
  for (std::size_t i = 0; i < out.outbound.size(); ++i)
    if (out.outbound[i].attr("type") == "error" && out.outbound[i].attr("to") == session)
      return out.take_outbound(i);
  return std::nullopt;
}

// Nothing is sent to the admin web's actor: it has no XMPP session to receive it (the
// join sequence, presence updates and the like are for a client that is not there).
void drop_stanzas_to(muc::Effects& out, const std::string& actor_bare) {
  out.drop_to(xmpp::Jid::parse(actor_bare));
}

// (var, value) pairs as a submitted muc#roomconfig form; a repeated var has several values.
xmpp::DataForm submitted_config(const std::vector<std::pair<std::string, std::string>>& fields) {
  xmpp::DataForm form;
  form.type = xmpp::FormType::submit;
  form.set_form_type(std::string(xmpp::ns::muc_roomconfig));
  for (const auto& [var, value] : fields) {
    if (var == "FORM_TYPE") continue;
    if (xmpp::FormField* f = form.field(var)) {
      f->values.push_back(value);
      continue;
    }
    xmpp::FormField f;
    f.var = var;
    f.values = {value};
    form.fields.push_back(std::move(f));
  }
  return form;
}

xmpp::Element owner_iq(const std::string& type, const std::string& id, const std::string& from,
                       const std::string& room) {
  xmpp::Element iq("iq", std::string(xmpp::ns::component_accept));
  iq.set_attr("type", type).set_attr("id", id).set_attr("from", from).set_attr("to", room);
  return iq;
}

}  // namespace

std::string EngineRoomCommands::actor_jid(const std::string& principal) const {
  // XEP-0106: a proxy may name people by e-mail-like ids (spqr1@cam.ac.uk); escaped, they
  // are still one node of a valid JID.
  std::string node;
  for (char c : principal) {
    switch (c) {
      case ' ':
        node += "\\20";
        break;
      case '"':
        node += "\\22";
        break;
      case '&':
        node += "\\26";
        break;
      case '\'':
        node += "\\27";
        break;
      case '/':
        node += "\\2f";
        break;
      case ':':
        node += "\\3a";
        break;
      case '<':
        node += "\\3c";
        break;
      case '>':
        node += "\\3e";
        break;
      case '@':
        node += "\\40";
        break;
      case '\\':
        node += "\\5c";
        break;
      default:
        node += c;
    }
  }
  return node + "@" + actor_domain_;
}

EngineRoomCommands::EngineRoomCommands(Runtime& runtime, std::string rooms_domain)
    : runtime_(runtime),
      rooms_domain_(rooms_domain),
      actor_domain_("admin-web." + std::move(rooms_domain)) {}

std::optional<std::optional<xmpp::Element>> EngineRoomCommands::ask(const std::string& actor_jid,
                                                                    xmpp::Element iq,
                                                                    const std::string& id) {
  auto reply = std::make_shared<std::optional<xmpp::Element>>();
  bool ran = runtime_.run_on_rooms(
      [iq = std::move(iq), actor_jid, id, reply](muc::RoomService& rooms, AdminActorPolicy& policy,
                                                 std::chrono::system_clock::time_point now,
                                                 muc::Effects& out) {
        policy.set_actor(actor_jid);
        out = rooms.handle(iq, now);
        *reply = take_reply(out, id);
        drop_stanzas_to(out, actor_jid);
      },
      kEngineTimeout);
  if (!ran) return std::nullopt;
  return std::move(*reply);
}

admin_web::CommandResult EngineRoomCommands::run(const std::string& room, const std::string& actor,
                                                 xmpp::Element query) {
  const std::string actor_jid = this->actor_jid(actor);
  const std::string id = "admin-web-" + std::to_string(next_id++);
  xmpp::Element iq = owner_iq("set", id, actor_jid + "/web", room);
  iq.add_child(std::move(query));
  const auto reply = ask(actor_jid, std::move(iq), id);
  if (!reply) return {false, "the rooms service did not answer in time (is [muc] configured?)"};
  if (!*reply) return {false, "the rooms engine gave no answer"};
  if ((*reply)->attr("type") == "result") return {true, ""};
  return {false, error_text(**reply)};
}

std::optional<admin_web::LiveCounts> EngineRoomCommands::live_counts() {
  auto counts = std::make_shared<admin_web::LiveCounts>();
  bool ran = runtime_.run_on_rooms(
      [counts](muc::RoomService& rooms, AdminActorPolicy&, std::chrono::system_clock::time_point,
               muc::Effects&) {
        for (const auto& r : rooms.rooms()) {
          ++counts->rooms;
          if (!r.persistent) ++counts->temporary;
          counts->occupants += r.occupants;
        }
      },
      kEngineTimeout);
  if (!ran) return std::nullopt;
  return *counts;
}

std::optional<std::vector<admin_web::LiveRoom>> EngineRoomCommands::live_rooms() {
  auto found = std::make_shared<std::vector<admin_web::LiveRoom>>();
  bool ran = runtime_.run_on_rooms(
      [found](muc::RoomService& rooms, AdminActorPolicy&, std::chrono::system_clock::time_point,
              muc::Effects&) {
        for (auto& r : rooms.rooms())
          found->push_back({std::move(r.jid), std::move(r.name), r.occupants, r.persistent,
                            r.public_room, std::move(r.linked)});
      },
      kEngineTimeout);
  if (!ran) return std::nullopt;
  return std::move(*found);
}

std::optional<std::vector<admin_web::OccupantRow>> EngineRoomCommands::occupants(
    const std::string& room) {
  auto found = std::make_shared<std::optional<std::vector<muc::OccupantSummary>>>();
  bool ran = runtime_.run_on_rooms([room, found](muc::RoomService& rooms, AdminActorPolicy&,
                                                 std::chrono::system_clock::time_point,
                                                 muc::Effects&) { *found = rooms.occupants(room); },
                                   kEngineTimeout);
  if (!ran || !*found) return std::nullopt;
  std::vector<admin_web::OccupantRow> out;
  for (auto& o : **found)
    out.push_back(
        {std::move(o.nick), std::move(o.jid), std::move(o.role), std::move(o.affiliation)});
  return out;
}

admin_web::CommandResult EngineRoomCommands::configure(
    const std::string& room, const std::vector<std::pair<std::string, std::string>>& fields,
    const std::string& actor) {
  const xmpp::DataForm form = submitted_config(fields);
  xmpp::Element query("query", std::string(xmpp::ns::muc_owner));
  query.add_child(xmpp::to_element(form));
  return run(room, actor, std::move(query));
}

admin_web::CommandResult EngineRoomCommands::kick(const std::string& room, const std::string& nick,
                                                  const std::string& reason,
                                                  const std::string& actor) {
  xmpp::Element query("query", std::string(xmpp::ns::muc_admin));
  auto& item = query.add_child("item");
  item.set_attr("nick", nick).set_attr("role", "none");
  if (!reason.empty()) item.add_text_child("reason", reason);
  return run(room, actor, std::move(query));
}

admin_web::CommandResult EngineRoomCommands::set_affiliation(const std::string& room,
                                                             const std::string& jid,
                                                             const std::string& affiliation,
                                                             const std::string& reason,
                                                             const std::string& actor) {
  xmpp::Element query("query", std::string(xmpp::ns::muc_admin));
  auto& item = query.add_child("item");
  item.set_attr("jid", jid).set_attr("affiliation", affiliation);
  if (!reason.empty()) item.add_text_child("reason", reason);
  return run(room, actor, std::move(query));
}

admin_web::CommandResult EngineRoomCommands::destroy(const std::string& room,
                                                     const std::string& reason,
                                                     const std::string& actor) {
  xmpp::Element query("query", std::string(xmpp::ns::muc_owner));
  auto& d = query.add_child("destroy");
  if (!reason.empty()) d.add_text_child("reason", reason);
  return run(room, actor, std::move(query));
}

std::optional<std::vector<admin_web::ConfigField>> EngineRoomCommands::config_form(
    const std::string& room, const std::string& actor, std::string* error) {
  const std::string actor_jid = this->actor_jid(actor);
  const std::string id = "admin-web-" + std::to_string(next_id++);
  xmpp::Element iq = owner_iq("get", id, actor_jid + "/web", room);
  iq.add_child("query", std::string(xmpp::ns::muc_owner));
  const auto reply = ask(actor_jid, std::move(iq), id);
  if (!reply || !*reply) return std::nullopt;
  if ((*reply)->attr("type") != "result") {
    if (error) *error = error_text(**reply);
    return std::nullopt;
  }
  const xmpp::Element* query = (*reply)->find_child("query", xmpp::ns::muc_owner);
  const xmpp::Element* x = query ? query->find_child("x", xmpp::ns::data_forms) : nullptr;
  if (!x) return std::nullopt;
  std::vector<admin_web::ConfigField> fields;
  for (const auto& f : xmpp::parse_data_form(*x).fields) {
    admin_web::ConfigField field{
        f.var, std::string(xmpp::to_string(f.effective_type())), f.label, f.desc, f.values, {}};
    for (const auto& o : f.options) field.options.emplace_back(o.value, o.label);
    fields.push_back(std::move(field));
  }
  return fields;
}

admin_web::CommandResult EngineRoomCommands::create(
    const std::string& room, const std::string& nick,
    const std::vector<std::pair<std::string, std::string>>& fields, const std::string& actor) {
  const std::string actor_jid = this->actor_jid(actor);
  const std::string session = actor_jid + "/web";
  auto form = submitted_config(fields);
  if (xmpp::FormField* p = form.field("muc#roomconfig_persistentroom"))
    p->values = {"1"};
  else
    form.fields.push_back(xmpp::FormField::boolean("muc#roomconfig_persistentroom", true));
  auto result = std::make_shared<admin_web::CommandResult>();
  bool ran = runtime_.run_on_rooms(
      [room, nick, form, actor_jid, session, result](
          muc::RoomService& rooms, AdminActorPolicy& policy,
          std::chrono::system_clock::time_point now, muc::Effects& out) {
        policy.set_actor(actor_jid);
        if (rooms.occupants(room)) {
          *result = {false, room + " exists already; open its page to change it"};
          return;
        }
        // 1. The creating join (XEP-0045 §10.1.1): the policy's creation checks run here.
        xmpp::Element join("presence", std::string(xmpp::ns::component_accept));
        join.set_attr("from", session).set_attr("to", room + "/" + nick);
        join.add_child("x", std::string(xmpp::ns::muc));
        muc::Effects step = rooms.handle(join, now);
        if (auto refused = take_error_to(step, session)) {
          *result = {false, error_text(*refused)};
          out.append(std::move(step));
          drop_stanzas_to(out, actor_jid);
          return;
        }
        if (!rooms.occupants(room)) {
          *result = {false, "the rooms engine did not create " + room + " (is the address valid?)"};
          out.append(std::move(step));
          drop_stanzas_to(out, actor_jid);
          return;
        }
        out.append(std::move(step));
        // 2. The configuration form, submitted as the new owner (§10.1.3).
        const std::string id = "admin-web-" + std::to_string(next_id++);
        xmpp::Element iq = owner_iq("set", id, session, room);
        iq.add_child("query", std::string(xmpp::ns::muc_owner)).add_child(xmpp::to_element(form));
        step = rooms.handle(iq, now);
        auto reply = take_reply(step, id);
        out.append(std::move(step));
        if (reply && reply->attr("type") == "result") {
          *result = {true, ""};
          // The owners named in the form replaced the creator, who would stay on as a member
          // of a members-only room: the admin web is not a person to keep in the room's lists.
          const std::string drop_id = "admin-web-" + std::to_string(next_id++);
          xmpp::Element drop = owner_iq("set", drop_id, session, room);
          drop.add_child("query", std::string(xmpp::ns::muc_admin))
              .add_child("item")
              .set_attr("jid", actor_jid)
              .set_attr("affiliation", "none");
          step = rooms.handle(drop, now);
          take_reply(step, drop_id);
          out.append(std::move(step));
        } else {
          *result = {false, reply ? error_text(*reply) : "the rooms engine gave no answer"};
          // Cancelling the initial configuration destroys the still locked room (§10.1.3).
          const std::string cancel_id = "admin-web-" + std::to_string(next_id++);
          xmpp::Element cancel = owner_iq("set", cancel_id, session, room);
          xmpp::DataForm cancelled;
          cancelled.type = xmpp::FormType::cancel;
          cancel.add_child("query", std::string(xmpp::ns::muc_owner))
              .add_child(xmpp::to_element(cancelled));
          step = rooms.handle(cancel, now);
          take_reply(step, cancel_id);
          out.append(std::move(step));
        }
        // 3. The owner leaves; a persistent room stays, empty, as after any owner's exit.
        xmpp::Element leave("presence", std::string(xmpp::ns::component_accept));
        leave.set_attr("from", session)
            .set_attr("to", room + "/" + nick)
            .set_attr("type", "unavailable");
        out.append(rooms.handle(leave, now));
        drop_stanzas_to(out, actor_jid);
      },
      kEngineTimeout);
  if (!ran) return {false, "the rooms service did not answer in time (is [muc] configured?)"};
  return *result;
}

admin_web::CommandResult EngineRoomCommands::answer_registration(const std::string& room,
                                                                 const std::string& jid,
                                                                 bool approve,
                                                                 const std::string& nick,
                                                                 const std::string& actor) {
  const std::string actor_jid = this->actor_jid(actor);
  const std::string session = actor_jid + "/web";
  // The approval form a room admin's client submits (XEP-0045 §9.9, with muc#jid).
  xmpp::DataForm form;
  form.type = xmpp::FormType::submit;
  form.set_form_type(std::string(xmpp::ns::muc_register));
  form.fields.push_back(xmpp::FormField::text_single("muc#jid", jid));
  if (approve && !nick.empty())
    form.fields.push_back(xmpp::FormField::text_single("muc#register_roomnick", nick));
  form.fields.push_back(xmpp::FormField::boolean("muc#register_allow", approve));
  xmpp::Element message("message", std::string(xmpp::ns::component_accept));
  message.set_attr("from", session)
      .set_attr("to", room)
      .set_attr("id", "admin-web-" + std::to_string(next_id++));
  message.add_child(xmpp::to_element(form));
  auto result = std::make_shared<admin_web::CommandResult>(admin_web::CommandResult{true, ""});
  bool ran = runtime_.run_on_rooms(
      [message = std::move(message), actor_jid, session, room, result](
          muc::RoomService& rooms, AdminActorPolicy& policy,
          std::chrono::system_clock::time_point now, muc::Effects& out) {
        policy.set_actor(actor_jid);
        if (!rooms.occupants(room)) {
          *result = {false, room + " is not open now"};
          return;
        }
        out = rooms.handle(message, now);
        // Success has no answer to the sender; a refusal is an error message back.
        if (auto refused = take_error_to(out, session)) *result = {false, error_text(*refused)};
        drop_stanzas_to(out, actor_jid);
      },
      kEngineTimeout);
  if (!ran) return {false, "the rooms service did not answer in time (is [muc] configured?)"};
  return *result;
}

}  // namespace commonroom::app
