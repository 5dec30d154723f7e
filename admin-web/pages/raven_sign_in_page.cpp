#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <Poco/JSON/Object.h>

#include <chrono>
#include <sstream>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/raven.hpp"
#include "admin-web/session_cookie.hpp"

namespace commonroom::admin_web {

// Without WLS-Response: off to Raven. With it: Raven's answer, verified (raven.hpp), then
// refused if it was accepted before (a captured response replayed).
void raven_sign_in_page(PageRequest& request) {
  const SignInSettings& s = request.site.sign_in;
  if (s.raven_wls_url.empty() || !request.site.store) {
    send_error_page(request.response, 404, "Raven sign-in is off",
                    "This site is not configured for Raven ([admin-web] raven_url).");
    return;
  }
  const std::string return_url = request.site.public_url + "/auth/raven";
  if (!request.form.has("WLS-Response")) {
    send_redirect(request.response,
                  raven_request_url(s.raven_wls_url, return_url, s.raven_description,
                                    local_path_or_root(request.form.get("next", "/"))));
    return;
  }
  RavenCheck check{return_url, &s.raven_keys, std::chrono::seconds(s.raven_skew_seconds)};
  RavenResult result = verify_raven_response(request.form.get("WLS-Response"), check,
                                             std::chrono::system_clock::now());
  if (result.accepted && !request.site.store->accept_raven_response(
                             result.accepted->response_key, 2 * s.raven_skew_seconds + 60)) {
    result.accepted.reset();
    result.message =
        "This Raven response has been used already; a response signs in once. Sign in again.";
  }
  if (!result.accepted) {
    Poco::JSON::Object detail;
    detail.set("reason", result.message);
    std::ostringstream json;
    detail.stringify(json);
    request.site.store->audit("anonymous", "admin.raven_refused", "", json.str());
    send_error_page(request.response, 403, "Raven sign-in refused", result.message);
    return;
  }
  complete_sign_in(request, result.accepted->principal, "raven", result.accepted->params);
}

}  // namespace commonroom::admin_web
