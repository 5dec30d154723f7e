#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerRequest.h>

#include <algorithm>

#include "admin-web/pages/pages.hpp"
#include "admin-web/security.hpp"
#include "admin-web/session_cookie.hpp"

namespace commonroom::admin_web {

// A front proxy (Shibboleth, OIDC at Apache or nginx) that authenticated the user. Any local
// process can reach a loopback port, so the user header counts only from a configured
// address AND with the configured shared secret.
void proxy_sign_in_page(PageRequest& request) {
  const SignInSettings& s = request.site.sign_in;
  if (s.proxy_user_header.empty() || !request.site.store) {
    send_error_page(request.response, 404, "Single sign-on is off",
                    "This site is not configured for a trusted front proxy.");
    return;
  }
  const std::string from = request.http.clientAddress().host().toString();
  const bool trusted_address = std::find(s.proxy_addresses.begin(), s.proxy_addresses.end(),
                                         from) != s.proxy_addresses.end();
  const bool secret_ok =
      !s.proxy_secret.empty() &&
      equal_constant_time(request.http.get(s.proxy_secret_header, ""), s.proxy_secret);
  const std::string user = request.http.get(s.proxy_user_header, "");
  if (!trusted_address || !secret_ok || user.empty()) {
    send_error_page(request.response, 403, "Single sign-on refused",
                    "The request did not come through the configured sign-on proxy.");
    return;
  }
  complete_sign_in(request, user, "proxy", request.form.get("next", "/"));
}

}  // namespace commonroom::admin_web
