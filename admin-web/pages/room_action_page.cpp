#include <Poco/JSON/Object.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <sstream>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/room_commands.hpp"
#include "admin-web/room_config_form.hpp"
#include "admin-web/room_scope.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

// POST /rooms/<jid>/<action>: one change, run by the rooms engine as if the signed-in user
// were the room's owner over XMPP, audited with them as the actor whatever the outcome.
void room_action_page(PageRequest& request) {
  const auto slash = request.rest.rfind('/');
  const std::string jid = slash == std::string::npos ? "" : request.rest.substr(0, slash);
  std::string action = slash == std::string::npos ? "" : request.rest.substr(slash + 1);
  auto detail = jid.empty() ? std::nullopt : request.site.store->room(jid);
  // A temporary room (only in the engine) is for those who see every room.
  const bool temporary = !detail && !jid.empty() && request.site.room_commands &&
                         !request.viewer->room_scopes() &&
                         request.site.room_commands->occupants(jid).has_value();
  if (!temporary && (!detail || !request.viewer->may_see_room(detail->room))) {
    send_error_page(request.response, 404, "No such room",
                    "There is no stored room " + jid + " that you manage.");
    return;
  }
  RoomCommands* commands = request.site.room_commands;
  if (!commands) {
    send_error_page(request.response, 409, "Rooms are read-only here",
                    "This service runs no rooms service ([muc]), so rooms cannot be changed.");
    return;
  }
  const auto& f = request.form;
  const std::string& actor = request.viewer->principal;
  const std::string reason = f.get("reason", "");
  Poco::JSON::Object detail_json;
  CommandResult result;
  std::string location_extra;
  if (action == "configure") {
    // Read against the engine's own form, so exactly its fields are taken.
    std::string form_error, problem;
    auto definition = commands->config_form(jid, actor, &form_error);
    if (!definition) {
      send_error_page(request.response, 409, "Not changed",
                      "The rooms service did not give the configuration form of " + jid +
                          (form_error.empty() ? "." : ": " + form_error));
      return;
    }
    auto fields = submitted_config(*definition, f, problem);
    if (!problem.empty()) {
      send_error_page(request.response, 413, "Not changed", "Nothing was saved: " + problem);
      return;
    }
    for (const auto& field : *definition)
      for (const auto& [var, value] : fields)
        if (var == field.var) {
          // The audit trail shows what was asked for, but never a room password.
          const std::string shown = secret_field(field) ? std::string("(set)") : value;
          if (detail_json.has(var))
            detail_json.set(var, detail_json.getValue<std::string>(var) + "\n" + shown);
          else
            detail_json.set(var, shown);
        }
    // A room manager keeps the room inside their scope (they could not see it otherwise).
    for (const auto& [var, value] : fields)
      if (var == "x-commonroom#linked") {
        std::vector<std::string> links;
        for (const auto& [v, line] : fields)
          if (v == var)
            for (auto& e : list_entries(line)) links.push_back(std::move(e));
        if (auto why = links_outside_scope(*request.viewer, jid, links); !why.empty()) {
          send_error_page(request.response, 403, "Not changed", "Nothing was saved: " + why);
          return;
        }
        break;
      }
    result = commands->configure(jid, fields, actor);
  } else if (action == "registration") {
    const std::string who = f.get("jid", ""), decision = f.get("decision", ""),
                      nick = f.get("nick", "");
    if ((decision != "approve" && decision != "decline") || who.empty() || who.size() > 3071 ||
        nick.size() > 1023) {
      send_error_page(request.response, 400, "Not changed",
                      "Say whose request (jid) and whether to approve or decline it.");
      return;
    }
    detail_json.set("jid", who);
    detail_json.set("decision", decision);
    if (decision == "approve") detail_json.set("nick", nick);
    result = commands->answer_registration(jid, who, decision == "approve", nick, actor);
    action = decision;  // "approve" or "decline" for the page after
    location_extra = "&who=" + url_part(who);
  } else if (action == "kick") {
    detail_json.set("nick", f.get("nick", ""));
    detail_json.set("reason", reason);
    result = commands->kick(jid, f.get("nick", ""), reason, actor);
  } else if (action == "affiliation") {
    detail_json.set("jid", f.get("jid", ""));
    detail_json.set("affiliation", f.get("affiliation", ""));
    detail_json.set("reason", reason);
    result =
        commands->set_affiliation(jid, f.get("jid", ""), f.get("affiliation", ""), reason, actor);
  } else if (action == "destroy") {
    detail_json.set("reason", reason);
    result = commands->destroy(jid, reason, actor);
  } else {
    send_error_page(request.response, 404, "Not found", "There is no such room action.");
    return;
  }
  detail_json.set("ok", result.ok);
  if (!result.ok) detail_json.set("error", result.error);
  std::ostringstream json;
  detail_json.stringify(json);
  const std::string audited =
      action == "approve" || action == "decline" ? "room.registration_" + action : "room." + action;
  request.site.store->audit(actor, audited, jid, json.str());
  if (!result.ok) {
    send_error_page(request.response, 409, "Not changed",
                    "The rooms service refused this change to " + jid + ": " + result.error);
    return;
  }
  // 303: the browser follows with GET, so reloading the result page repeats nothing.
  const std::string location = action == "destroy"
                                   ? "/rooms?destroyed=" + url_part(jid)
                                   : "/rooms/" + url_part(jid) + "?done=" + action + location_extra;
  request.response.set("Location", location);
  send(request.response, 303, "text/plain; charset=utf-8", "See " + location + "\n");
}

}  // namespace commonroom::admin_web
