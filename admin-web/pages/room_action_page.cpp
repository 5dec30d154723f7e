#include <Poco/JSON/Object.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <sstream>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/room_commands.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

// POST /rooms/<jid>/<action>: one change, run by the rooms engine as if the signed-in user
// were the room's owner over XMPP, audited with them as the actor whatever the outcome.
void room_action_page(PageRequest& request) {
  const auto slash = request.rest.rfind('/');
  const std::string jid = slash == std::string::npos ? "" : request.rest.substr(0, slash);
  const std::string action = slash == std::string::npos ? "" : request.rest.substr(slash + 1);
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
  if (action == "configure") {
    std::vector<std::pair<std::string, std::string>> fields;
    auto take = [&](const char* name, const char* var) {
      if (f.has(name)) {
        fields.emplace_back(var, f.get(name));
        detail_json.set(name, f.get(name));
      }
    };
    take("name", "muc#roomconfig_roomname");
    take("description", "muc#roomconfig_roomdesc");
    take("members_only", "muc#roomconfig_membersonly");
    take("public_room", "muc#roomconfig_publicroom");
    take("moderated", "muc#roomconfig_moderatedroom");
    take("linked", "x-commonroom#linked");
    result = commands->configure(jid, fields, actor);
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
  request.site.store->audit(actor, "room." + action, jid, json.str());
  if (!result.ok) {
    send_error_page(request.response, 409, "Not changed",
                    "The rooms service refused this change to " + jid + ": " + result.error);
    return;
  }
  // 303: the browser follows with GET, so reloading the result page repeats nothing.
  const std::string location = action == "destroy" ? "/rooms?destroyed=" + url_part(jid)
                                                   : "/rooms/" + url_part(jid) + "?done=" + action;
  request.response.set("Location", location);
  send(request.response, 303, "text/plain; charset=utf-8", "See " + location + "\n");
}

}  // namespace commonroom::admin_web
