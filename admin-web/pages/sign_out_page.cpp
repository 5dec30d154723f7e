#include <Poco/Net/HTTPServerResponse.h>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/session_cookie.hpp"

namespace commonroom::admin_web {

void sign_out_page(PageRequest& request) {
  request.site.store->end_session(request.viewer->session_sha256);
  clear_session_cookie(request.response, request.site.secure_cookies());
  send_redirect(request.response, "/sign-in");
}

}  // namespace commonroom::admin_web
