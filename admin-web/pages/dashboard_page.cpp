#include <Poco/Net/HTTPServerResponse.h>

#include <algorithm>

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
    // From room_message_hours, which the abuse log keeps: 24 rows whatever its size.
    const auto hours = site.store->messages_per_hour(24);
    std::int64_t max = 1, total = 0;
    for (const auto& [hour, n] : hours) {
      max = std::max(max, n);
      total += n;
    }
    mstch::array rows;
    for (const auto& [hour, n] : hours)
      rows.push_back(mstch::map{{"hour", hour.substr(std::min<std::size_t>(hour.size(), 11))},
                                {"messages", std::to_string(n)},
                                {"max", std::to_string(max)}});
    context["hours"] = rows;
    context["hours_shown"] = !rows.empty();
    context["messages_total"] = std::to_string(total);
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
