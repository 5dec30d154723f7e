#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

void room_page(PageRequest& request) {
  auto detail = request.site.store->room(request.rest);
  // A room manager learns nothing about rooms outside their scope, not even that they exist.
  if (!detail || !request.viewer->may_see_room(detail->room)) {
    send_error_page(request.response, 404, "No such room",
                    "There is no stored room " + request.rest + " that you manage.");
    return;
  }
  const RoomRow& r = detail->room;
  mstch::array config, affiliations;
  for (const auto& [key, value] : detail->config)
    config.push_back(mstch::map{{"key", key}, {"value", value}});
  for (const auto& a : detail->affiliations)
    affiliations.push_back(mstch::map{
        {"jid", a.jid}, {"affiliation", a.affiliation}, {"nick", a.nick}, {"reason", a.reason}});
  mstch::map context{{"jid", r.jid},
                     {"name", r.name},
                     {"subject", r.subject},
                     {"created_at", r.created_at},
                     {"created_by", r.created_by},
                     {"linked_any", !r.linked.empty()},
                     {"linked", string_list(r.linked)},
                     {"config", config},
                     {"affiliations", affiliations},
                     {"no_affiliations", affiliations.empty()}};
  send_page(request, "room", "Room " + (r.name.empty() ? r.jid : r.name), context);
}

}  // namespace commonroom::admin_web
