#include <Poco/Net/HTMLForm.h>

#include "admin-web/abuse_desk.hpp"
#include "admin-web/pages/abuse_forms.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {
constexpr int kPageSize = 50;
}

// GET /abuse: step 1 of a complaint. The form, and with a case and a filter the results,
// newest first, each linking to its context; searching writes the audit row (store).
void abuse_search_page(PageRequest& request) {
  AbuseDesk* desk = request.site.abuse_desk;
  if (!desk)
    return send_error_page(request.response, 503, "No abuse log here",
                           "This service has no [database], so there is no log to search.");
  mstch::map context;
  std::string case_ref, refused;
  LogFilter filter;
  int status = 200;
  try {
    case_ref = case_of(request);
    filter = filter_of(request);
  } catch (const AbuseRefused& e) {
    refused = e.what();
  }
  add_filter_values(context, filter);
  context["case"] = case_ref;
  context["csrf"] = request.viewer->csrf_token;
  bool searched = false;
  if (refused.empty() && any_filter(filter)) {
    if (case_ref.empty()) {
      refused =
          "Type the case reference first. Every search is recorded with one, so that an auditor "
          "can later see why the log was read.";
    } else {
      try {
        const std::string after =
            form_value(request, "after", kMaxShortFieldBytes, "The page cursor");
        LogResults results =
            desk->search({request.viewer->principal, case_ref}, filter, after, kPageSize);
        mstch::array entries, occupants;
        for (const auto& e : results.entries) entries.push_back(entry_view(e, case_ref));
        for (const auto& o : results.occupants)
          occupants.push_back(mstch::map{
              {"occupant_id", o.occupant_id}, {"room", o.room}, {"bare_jid", o.bare_jid}});
        const std::string query = filter_query(filter, case_ref);
        context["entries"] = entries;
        context["count"] = std::to_string(results.entries.size());
        context["empty"] = results.entries.empty();
        context["occupants"] = occupants;
        context["next"] = results.next.empty()
                              ? std::string()
                              : "/abuse?" + query + "&after=" + url_part(results.next);
        context["first"] = after.empty() ? std::string() : "/abuse?" + query;
        searched = true;
      } catch (const AbuseRefused& e) {
        refused = e.what();
      }
    }
  } else if (refused.empty() && request.form.has("case")) {
    refused =
        "Give at least one thing to search for: words, a user, a room, a nick, an "
        "occupant-id or a time range.";
  }
  if (!refused.empty()) status = 400;
  context["refused"] = refused;
  context["searched"] = searched;
  send_page(request, "abuse_search", "Search the room log", context, status);
}

}  // namespace commonroom::admin_web
