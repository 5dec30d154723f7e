#include <Poco/JSON/Object.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <sstream>

#include "admin-web/admin_store.hpp"
#include "admin-web/directory_actions.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {
constexpr std::size_t kMaxUidBytes = 64;
constexpr std::size_t kMaxNoteBytes = 1000;  // as `commonroom directory opt-out --note`
}  // namespace

// POST /directory/opt-outs (uid, note, change=out|in): makes or lifts an opt-out through the
// same store call as `commonroom directory opt-out|opt-in`, so the running search index
// drops the person at once. Audited.
void directory_opt_out_page(PageRequest& request) {
  DirectoryActions* actions = request.site.directory_actions;
  if (!actions) {
    send_error_page(request.response, 409, "No directory here",
                    "This service has no [database], so it keeps no directory.");
    return;
  }
  const std::string uid = request.form.get("uid", ""), note = request.form.get("note", "");
  const std::string change = request.form.get("change", "out");
  if (uid.empty() || uid.size() > kMaxUidBytes || note.size() > kMaxNoteBytes ||
      (change != "out" && change != "in")) {
    send_error_page(request.response, 400, "Nothing changed",
                    "Give the person's CRSid (at most 64 characters) and a note of at most "
                    "1000 bytes.");
    return;
  }
  DirectoryActionResult result =
      change == "out" ? actions->opt_out(uid, note) : actions->opt_in(uid);
  Poco::JSON::Object detail;
  if (change == "out") detail.set("note", note);
  detail.set("ok", result.ok);
  detail.set("result", result.message);
  std::ostringstream json;
  // The CRSid as stored, so the trail of one person reads the same however it was typed;
  // what was typed stays in the detail when it differs.
  const std::string& subject = result.uid.empty() ? uid : result.uid;
  if (subject != uid) detail.set("typed", uid);
  detail.stringify(json);
  request.site.store->audit(request.viewer->principal,
                            change == "out" ? "directory.opt_out" : "directory.opt_in", subject,
                            json.str());
  if (!result.ok) {
    send_error_page(request.response, 400, "Nothing changed", result.message);
    return;
  }
  // The sync page words the outcome itself: no text of ours travels in the link.
  const std::string done = change == "out" ? (result.changed ? "opted-out" : "opted-out-before")
                                           : (result.changed ? "opted-in" : "not-opted-out");
  const std::string location = "/directory/sync?done=" + done + "&uid=" + url_part(subject);
  request.response.set("Location", location);
  send(request.response, 303, "text/plain; charset=utf-8", "See " + location + "\n");
}

}  // namespace commonroom::admin_web
