#include <Poco/Net/HTMLForm.h>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/room_commands.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {
constexpr int kPageSize = 50;
}

void rooms_page(PageRequest& request) {
  RoomQuery query;
  query.text = request.form.get("q", "");
  query.after = request.form.get("after", "");
  query.limit = kPageSize + 1;  // one more tells whether there is a next page
  query.scopes = request.viewer->room_scopes();
  auto rows = request.site.store->rooms(query);
  const bool more = static_cast<int>(rows.size()) > kPageSize;
  if (more) rows.pop_back();
  mstch::array rooms;
  for (const auto& r : rows)
    rooms.push_back(mstch::map{{"jid", r.jid},
                               {"jid_url", url_part(r.jid)},
                               {"name", r.name},
                               {"subject", r.subject},
                               {"public_room", r.public_room},
                               {"members_only", r.members_only},
                               {"password_protected", r.password_protected},
                               {"linked", string_list(r.linked)},
                               {"created_at", r.created_at},
                               {"created_by", r.created_by}});
  mstch::map context{{"destroyed", request.form.get("destroyed", "")},
                     {"q", query.text},
                     {"q_url", url_part(query.text)},
                     {"rooms", rooms},
                     {"empty", rows.empty()},
                     {"next", more ? url_part(rows.back().jid) : std::string()}};
  // Temporary rooms live only in the engine: listed on the first page for those who see every
  // room (a room manager's rooms are persistent ones, linked or named).
  mstch::array temporary;
  if (!query.scopes && query.after.empty() && request.site.room_commands)
    if (auto live = request.site.room_commands->live_rooms())
      for (const auto& r : *live) {
        if (r.persistent) continue;
        if (!query.text.empty() && r.jid.find(query.text) == std::string::npos &&
            r.name.find(query.text) == std::string::npos)
          continue;
        temporary.push_back(mstch::map{{"jid", r.jid},
                                       {"jid_url", url_part(r.jid)},
                                       {"name", r.name},
                                       {"occupants", std::to_string(r.occupants)},
                                       {"public_room", r.public_room}});
      }
  context["can_create"] = request.site.room_commands != nullptr;
  context["temporary"] = temporary;
  context["any_temporary"] = !temporary.empty();
  if (query.scopes) {
    std::string scopes;
    for (const auto& s : *query.scopes) scopes += (scopes.empty() ? "" : ", ") + s;
    context["scoped"] = true;
    context["scopes"] = scopes;
  }
  send_page(request, "rooms", "Rooms", context);
}

}  // namespace commonroom::admin_web
