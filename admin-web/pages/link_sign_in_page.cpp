#include <Poco/Net/HTMLForm.h>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/security.hpp"
#include "admin-web/session_cookie.hpp"

namespace commonroom::admin_web {

// The one-time link printed by `commonroom admin login-link USER`.
void link_sign_in_page(PageRequest& request) {
  const std::string token = request.form.get("token", "");
  auto* store = request.site.store;
  auto principal =
      (store && !token.empty()) ? store->consume_login_link(sha256_hex(token)) : std::nullopt;
  if (!principal) {
    send_error_page(request.response, 403, "Sign-in link not valid",
                    "This sign-in link is unknown, was used already, or has expired. Print a "
                    "new one with: commonroom admin login-link USER");
    return;
  }
  complete_sign_in(request, *principal, "link", "/");
}

}  // namespace commonroom::admin_web
