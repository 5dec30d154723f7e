#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

void person_page(PageRequest& request) {
  auto p = request.site.store->person(request.rest);
  if (!p) {
    send_error_page(
        request.response, 404, "No such person",
        "The directory has nobody with CRSid " + request.rest + " (or they have opted out).");
    return;
  }
  mstch::map context{{"uid", p->uid},
                     {"jid", p->jid},
                     {"display_name", p->display_name},
                     {"mail", p->mail},
                     {"title", p->title},
                     {"affiliation", p->affiliation},
                     {"institutions", string_list(p->institutions)},
                     {"synced_at", p->synced_at}};
  send_page(request, "person", p->display_name.empty() ? p->uid : p->display_name, context);
}

}  // namespace commonroom::admin_web
