#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/room_commands.hpp"
#include "admin-web/room_config_form.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {

// A stored setting as people read it: JSON strings without their quotes and escapes.
std::string plain(const std::string& json) {
  if (json.size() < 2 || json.front() != '"') return json;
  try {
    // Wrapped in an array: the parser wants a document, not a bare string.
    auto array = Poco::JSON::Parser().parse("[" + json + "]").extract<Poco::JSON::Array::Ptr>();
    return array->getElement<std::string>(0);
  } catch (const Poco::Exception&) {
    return json;
  }
}

// What the last change did, in the words of someone who just made it.
std::string done_message(const std::string& done, const std::string& who) {
  if (done == "configure")
    return "The configuration is saved; people in the room were told it changed.";
  if (done == "kick") return "The occupant was removed.";
  if (done == "affiliation") return "The affiliation is changed.";
  if (done == "create")
    return "The room is created. Its owners and members can enter it now from their chat "
           "client; change anything below.";
  if (done == "approve")
    return "The registration request of " + who + " is approved: they are a member now.";
  if (done == "decline")
    return "The registration request of " + who + " is declined; they were told so.";
  return "";
}

}  // namespace

void room_page(PageRequest& request) {
  RoomCommands* commands = request.site.room_commands;
  auto detail = request.site.store->room(request.rest);
  std::optional<std::vector<OccupantRow>> present;
  // A temporary room is only in the engine; those who see every room may open it.
  if (!detail && commands && !request.viewer->room_scopes()) {
    present = commands->occupants(request.rest);
    if (present) {
      detail = RoomDetail{};
      detail->room.jid = request.rest;
    }
  }
  // A room manager learns nothing about rooms outside their scope, not even that they exist.
  if (!detail || !request.viewer->may_see_room(detail->room)) {
    send_error_page(request.response, 404, "No such room",
                    "There is no stored room " + request.rest + " that you manage.");
    return;
  }
  const RoomRow& r = detail->room;
  mstch::array config, affiliations, occupants;
  for (const auto& [key, value] : detail->config)
    config.push_back(mstch::map{{"key", key}, {"value", plain(value)}});
  mstch::array requests;
  for (const auto& q : detail->registration_requests)
    requests.push_back(mstch::map{{"jid", q.jid},
                                  {"nick", q.nick},
                                  {"requested_at", q.requested_at},
                                  {"jid_url", url_part(r.jid)},
                                  {"csrf", request.viewer->csrf_token}});
  for (const auto& a : detail->affiliations)
    affiliations.push_back(mstch::map{
        {"jid", a.jid}, {"affiliation", a.affiliation}, {"nick", a.nick}, {"reason", a.reason}});
  const bool stored = !present.has_value();
  if (commands && stored) present = commands->occupants(r.jid);
  if (present)
    for (const auto& o : *present)
      occupants.push_back(mstch::map{
          {"nick", o.nick}, {"jid", o.jid}, {"role", o.role}, {"affiliation", o.affiliation}});
  // The engine's own configuration form, as the room's owner would get it over XMPP.
  std::string form_error;
  std::optional<std::vector<ConfigField>> form;
  if (commands) form = commands->config_form(r.jid, request.viewer->principal, &form_error);
  const std::string done = request.form.get("done", "");
  const std::string who = request.form.get("who", "");
  mstch::map context{{"requests", requests},
                     {"any_requests", !requests.empty()},
                     {"stored", stored},
                     {"jid", r.jid},
                     {"jid_url", url_part(r.jid)},
                     {"name", r.name},
                     {"subject", r.subject},
                     {"created_at", r.created_at},
                     {"created_by", r.created_by},
                     {"linked_any", !r.linked.empty()},
                     {"linked", string_list(r.linked)},
                     {"config_form", form ? config_form_view(*form) : mstch::array{}},
                     {"has_config_form", form.has_value()},
                     {"config_form_error", form_error},
                     {"config", config},
                     {"affiliations", affiliations},
                     {"no_affiliations", affiliations.empty()},
                     {"live", present.has_value()},
                     {"occupants", occupants},
                     {"no_occupants", occupants.empty()},
                     {"actions", commands != nullptr},
                     {"csrf", request.viewer->csrf_token},
                     {"done", done_message(done, who)}};
  send_page(request, "room", "Room " + (r.name.empty() ? r.jid : r.name), context);
}

}  // namespace commonroom::admin_web
