#include <Poco/JSON/Object.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/room_commands.hpp"
#include "admin-web/room_scope.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {

// Size limits for what people type here (the engine has its own, usually smaller, limits).
constexpr std::size_t kMaxAddressBytes = 256;
constexpr std::size_t kMaxTextBytes = 1024;
constexpr std::size_t kMaxLines = 50;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : "\n") + v;
  return out;
}

// What the viewer typed, kept so a refused form comes back filled in.
struct NewRoomForm {
  std::string address, name, description, linked, owners;
  bool members_only = false, public_room = true;
};

mstch::array yes_no(bool value) {
  return mstch::array{
      mstch::map{{"value", std::string("1")}, {"label", std::string("yes")}, {"selected", value}},
      mstch::map{{"value", std::string("0")}, {"label", std::string("no")}, {"selected", !value}}};
}

void show_form(PageRequest& request, const NewRoomForm& f, const std::string& refused, int status) {
  auto scopes = request.viewer->room_scopes();
  std::string scope_text;
  if (scopes)
    for (const auto& s : *scopes) scope_text += (scope_text.empty() ? "" : ", ") + s;
  mstch::map context{{"csrf", request.viewer->csrf_token},
                     {"domain", request.site.room_commands->rooms_domain()},
                     {"address", f.address},
                     {"name", f.name},
                     {"description", f.description},
                     {"linked", f.linked},
                     {"owners", f.owners},
                     {"members_only", yes_no(f.members_only)},
                     {"public_room", yes_no(f.public_room)},
                     {"refused", refused},
                     {"scoped", scopes.has_value()},
                     {"scopes", scope_text}};
  send_page(request, "new_room", "Create a room", context, status);
}

}  // namespace

// GET /rooms/new: the form; POST /rooms/new: creates the room through the rooms engine as
// its owner would over XMPP, audited with the signed-in user as the actor.
void new_room_page(PageRequest& request) {
  RoomCommands* commands = request.site.room_commands;
  if (!commands) {
    send_error_page(request.response, 409, "Rooms are read-only here",
                    "This service runs no rooms service ([muc]), so rooms cannot be created.");
    return;
  }
  const auto& form = request.form;
  NewRoomForm f;
  if (request.http.getMethod() != Poco::Net::HTTPRequest::HTTP_POST) {
    // The creator's own chat address is the usual first owner.
    if (auto me = request.site.store->person(request.viewer->principal)) f.owners = me->jid;
    show_form(request, f, "", 200);
    return;
  }
  f.address = lower(form.get("address", ""));
  f.name = form.get("name", "");
  f.description = form.get("description", "");
  f.linked = form.get("linked", "");
  f.owners = form.get("owners", "");
  f.members_only = form.get("members_only", "0") == "1";
  f.public_room = form.get("public_room", "1") == "1";
  const auto links = list_entries(f.linked);
  const auto owners = list_entries(f.owners);
  std::string problem;
  if (f.address.empty())
    problem = "give the room an address (the part before @).";
  else if (f.address.size() > kMaxAddressBytes)
    problem = "the address is longer than 256 bytes.";
  else if (f.address.find_first_of("@/ \t\r\n\"&'<>:") != std::string::npos)
    problem = "an address may not contain spaces or any of @ / \" & ' < > :";
  else if (f.name.size() > kMaxTextBytes || f.description.size() > kMaxTextBytes)
    problem = "the name and the description are limited to 1024 bytes each.";
  else if (links.size() > kMaxLines || owners.size() > kMaxLines)
    problem = "at most 50 links and 50 owners.";
  else if (owners.empty())
    problem =
        "give at least one owner: the chat address (JID) of someone who will look after "
        "the room from their XMPP client.";
  const std::string jid = f.address + "@" + commands->rooms_domain();
  if (problem.empty()) problem = links_outside_scope(*request.viewer, jid, links);
  if (!problem.empty()) {
    show_form(request, f, "The room was not created: " + problem, 400);
    return;
  }
  std::vector<std::pair<std::string, std::string>> fields{
      {"muc#roomconfig_roomname", f.name},
      {"muc#roomconfig_roomdesc", f.description},
      {"muc#roomconfig_membersonly", f.members_only ? "1" : "0"},
      {"muc#roomconfig_publicroom", f.public_room ? "1" : "0"},
      {"x-commonroom#linked", joined(links)}};
  for (const auto& o : owners) fields.emplace_back("muc#roomconfig_roomowners", o);
  const std::string& actor = request.viewer->principal;
  CommandResult result = commands->create(jid, actor, fields, actor);
  Poco::JSON::Object detail;
  detail.set("name", f.name);
  detail.set("linked", joined(links));
  detail.set("owners", joined(owners));
  detail.set("members_only", f.members_only);
  detail.set("public_room", f.public_room);
  detail.set("ok", result.ok);
  if (!result.ok) detail.set("error", result.error);
  std::ostringstream json;
  detail.stringify(json);
  request.site.store->audit(actor, "room.create", jid, json.str());
  if (!result.ok) {
    show_form(request, f, "The rooms service refused to create " + jid + ": " + result.error, 409);
    return;
  }
  // The room is saved to PostgreSQL on the rooms' writer thread; the room page reads it from
  // there, so wait (briefly) until it is.
  for (int i = 0; i < 40 && !request.site.store->room(jid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const std::string location = "/rooms/" + url_part(jid) + "?done=create";
  request.response.set("Location", location);
  send(request.response, 303, "text/plain; charset=utf-8", "See " + location + "\n");
}

}  // namespace commonroom::admin_web
