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
    : runtime_(runtime), actor_domain_("admin-web." + std::move(rooms_domain)) {}

admin_web::CommandResult EngineRoomCommands::run(const std::string& room, const std::string& actor,
                                                 xmpp::Element query) {
  const std::string actor_jid = this->actor_jid(actor);
  const std::string id = "admin-web-" + std::to_string(next_id++);
  xmpp::Element iq("iq", std::string(xmpp::ns::component_accept));
  iq.set_attr("type", "set")
      .set_attr("id", id)
      .set_attr("from", actor_jid + "/web")
      .set_attr("to", room);
  iq.add_child(std::move(query));
  auto reply = std::make_shared<std::optional<xmpp::Element>>();
  bool ran = runtime_.run_on_rooms(
      [iq = std::move(iq), actor_jid, id, reply](muc::RoomService& rooms, AdminActorPolicy& policy,
                                                 std::chrono::system_clock::time_point now,
                                                 muc::Effects& out) {
        policy.set_actor(actor_jid);
        out = rooms.handle(iq, now);
        // The answer is for this page, not for the XMPP network.
        for (auto it = out.outbound.begin(); it != out.outbound.end(); ++it) {
          if (it->name() == "iq" && it->attr("id") == id) {
            *reply = std::move(*it);
            const auto position = static_cast<std::size_t>(it - out.outbound.begin());
            out.outbound.erase(it);
            for (auto& f : out.fanouts)
              if (f.position > position) --f.position;
            for (auto& r : out.runs)
              if (r.position > position) --r.position;
            break;
          }
        }
      },
      kEngineTimeout);
  if (!ran) return {false, "the rooms service did not answer in time (is [muc] configured?)"};
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
          found->push_back(
              {std::move(r.jid), std::move(r.name), r.occupants, r.persistent, r.public_room});
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
  xmpp::DataForm form;
  form.type = xmpp::FormType::submit;
  form.set_form_type(std::string(xmpp::ns::muc_roomconfig));
  for (const auto& [var, value] : fields) {
    xmpp::FormField f;
    f.var = var;
    f.values = {value};
    form.fields.push_back(std::move(f));
  }
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

}  // namespace commonroom::app
