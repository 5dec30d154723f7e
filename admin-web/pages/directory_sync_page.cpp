#include <Poco/Net/HTMLForm.h>

#include "admin-web/admin_store.hpp"
#include "admin-web/directory_actions.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {
constexpr int kRuns = 50;

// What the last change on this page did, in plain words.
std::string done_message(const std::string& done, const std::string& uid,
                         const std::string& started) {
  if (started == "full" || started == "incremental")
    return "A" + std::string(started == "full" ? " full" : "n incremental") +
           " sync from LDAP has started. It is listed below as running until it ends; reload "
           "this page to see its result.";
  if (done == "opted-out")
    return uid +
           " is out of the directory now: searches no longer find them, and no sync "
           "brings them back.";
  if (done == "opted-out-before") return uid + " had opted out before; the note is updated.";
  if (done == "opted-in")
    return uid + "'s opt-out is lifted; they reappear with the next full sync.";
  if (done == "not-opted-out") return uid + " had not opted out; nothing changed.";
  return "";
}

}  // namespace

// The LDAP sync as it went, and who opted out; admins run a sync or change opt-outs here (as
// `commonroom directory sync` and `commonroom directory opt-out` do).
void directory_sync_page(PageRequest& request) {
  mstch::array runs, opt_outs;
  for (const auto& r : request.site.store->sync_runs(kRuns))
    runs.push_back(mstch::map{{"kind", r.kind},
                              {"started_at", r.started_at},
                              {"finished_at", r.finished_at},
                              {"status", r.status},
                              {"failed", r.status == "failed"},
                              {"people_seen", std::to_string(r.people_seen)},
                              {"added", std::to_string(r.added)},
                              {"updated", std::to_string(r.updated)},
                              {"removed", std::to_string(r.removed)},
                              {"rejected", std::to_string(r.rejected)},
                              {"error", r.error}});
  for (const auto& o : request.site.store->opt_outs())
    opt_outs.push_back(mstch::map{{"uid", o.uid},
                                  {"opted_out_at", o.opted_out_at},
                                  {"note", o.note},
                                  {"csrf", request.viewer->csrf_token}});
  mstch::map context{
      {"runs", runs},
      {"no_runs", runs.empty()},
      {"opt_outs", opt_outs},
      {"no_opt_outs", opt_outs.empty()},
      {"manage", request.site.directory_actions != nullptr && request.viewer->may(Access::admin)},
      {"running",
       request.site.directory_actions != nullptr && request.site.directory_actions->sync_running()},
      {"csrf", request.viewer->csrf_token},
      {"done", done_message(request.form.get("done", ""), request.form.get("uid", ""),
                            request.form.get("started", ""))}};
  if (auto sync = request.site.directory_sync_state())
    context["state"] =
        mstch::map{{"people", std::to_string(sync->people)}, {"last_status", sync->last_status}};
  send_page(request, "directory_sync", "Directory sync", context);
}

}  // namespace commonroom::admin_web
