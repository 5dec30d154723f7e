#include <Poco/JSON/Object.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <sstream>

#include "admin-web/admin_store.hpp"
#include "admin-web/directory_actions.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

// POST /directory/sync: starts the same sync as `commonroom directory sync [--full]`; the
// sync page shows it running and then its result. Audited.
void directory_sync_now_page(PageRequest& request) {
  DirectoryActions* actions = request.site.directory_actions;
  if (!actions) {
    send_error_page(request.response, 409, "No directory sync here",
                    "This service has no [database], so it keeps no directory to sync.");
    return;
  }
  const bool full = request.form.get("kind", "incremental") == "full";
  DirectoryActionResult result = actions->start_sync(full);
  Poco::JSON::Object detail;
  detail.set("kind", full ? "full" : "incremental");
  detail.set("ok", result.ok);
  if (!result.ok) detail.set("error", result.message);
  std::ostringstream json;
  detail.stringify(json);
  request.site.store->audit(request.viewer->principal, "directory.sync", "directory", json.str());
  if (!result.ok) {
    send_error_page(request.response, 409, "No sync started", result.message);
    return;
  }
  const std::string location =
      std::string("/directory/sync?started=") + (full ? "full" : "incremental");
  request.response.set("Location", location);
  send(request.response, 303, "text/plain; charset=utf-8", "See " + location + "\n");
}

}  // namespace commonroom::admin_web
