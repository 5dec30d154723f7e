#include <Poco/Net/HTTPServerResponse.h>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/room_commands.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

void dashboard_page(PageRequest& request) {
  const SiteContext& site = request.site;
  mstch::array links;
  for (const auto& l : site.status())
    links.push_back(mstch::map{{"domain", l.domain},
                               {"connected", l.connected},
                               {"connects", std::to_string(l.connects)},
                               {"stanzas_in", std::to_string(l.stanzas_in)},
                               {"stanzas_out", std::to_string(l.stanzas_out)},
                               {"last_error", l.last_error}});
  mstch::map context{{"version", site.version},
                     {"links_empty", links.empty()},
                     {"links", links},
                     {"room_count", std::string()}};
  if (site.store) {
    auto count = site.store->room_count();
    if (count > 0) context["room_count"] = std::to_string(count);
  }
  if (site.room_commands)
    if (auto live = site.room_commands->live_counts())
      context["live"] = mstch::map{{"rooms", std::to_string(live->rooms)},
                                   {"temporary", std::to_string(live->temporary)},
                                   {"occupants", std::to_string(live->occupants)}};
  if (auto log = site.abuse_log_state())
    context["abuse_log"] = mstch::map{{"database_connected", log->database_connected},
                                      {"backlog_events", std::to_string(log->backlog_events)},
                                      {"backlog_bytes", std::to_string(log->backlog_bytes)},
                                      {"last_error", log->last_error}};
  if (auto sync = site.directory_sync_state())
    context["sync"] = mstch::map{{"people", std::to_string(sync->people)},
                                 {"last_status", sync->last_status},
                                 {"last_failure_message", sync->last_failure_message}};
  send_page(request, "dashboard", "Dashboard", context);
}

}  // namespace commonroom::admin_web
