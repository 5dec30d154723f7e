#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {
constexpr int kRuns = 50;
}

// The LDAP sync as it went, and who opted out (read-only: `commonroom directory sync` and
// `commonroom directory opt-out` change them).
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
    opt_outs.push_back(
        mstch::map{{"uid", o.uid}, {"opted_out_at", o.opted_out_at}, {"note", o.note}});
  mstch::map context{{"runs", runs},
                     {"no_runs", runs.empty()},
                     {"opt_outs", opt_outs},
                     {"no_opt_outs", opt_outs.empty()}};
  if (auto sync = request.site.directory_sync_state())
    context["state"] =
        mstch::map{{"people", std::to_string(sync->people)}, {"last_status", sync->last_status}};
  send_page(request, "directory_sync", "Directory sync", context);
}

}  // namespace commonroom::admin_web
