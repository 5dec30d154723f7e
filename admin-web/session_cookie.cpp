#include "admin-web/session_cookie.hpp"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NameValueCollection.h>

#include "admin-web/admin_store.hpp"
#include "admin-web/security.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

std::string session_cookie(const Poco::Net::HTTPServerRequest& request) {
  Poco::Net::NameValueCollection cookies;
  request.getCookies(cookies);
  return cookies.get(kSessionCookie, "");
}

void clear_session_cookie(Poco::Net::HTTPServerResponse& response, bool secure) {
  response.add("Set-Cookie", std::string(kSessionCookie) +
                                 "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" +
                                 (secure ? "; Secure" : ""));
}

void complete_sign_in(PageRequest& request, const std::string& name, const std::string& method,
                      const std::string& next) {
  // Roles are granted to lower-case names (`commonroom admin grant`); Raven's CRSids are lower
  // case already, a proxy's ids may not be.
  std::string principal = name;
  for (char& c : principal) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto& store = *request.site.store;
  if (store.grants(principal).empty()) {
    store.audit(principal, "admin.sign_in_refused", "", "{\"reason\": \"no role\"}");
    send_error_page(request.response, 403, "No access",
                    "You are " + principal +
                        ", but you have no role in this admin web. A service admin can give "
                        "you one with: commonroom admin grant " +
                        principal + " ROLE");
    return;
  }
  const std::string token = random_token();
  store.create_session(sha256_hex(token), principal, random_token(), method);
  request.response.add("Set-Cookie", std::string(kSessionCookie) + "=" + token +
                                         "; Path=/; HttpOnly; SameSite=Strict" +
                                         (request.site.secure_cookies() ? "; Secure" : ""));
  // A page of ours moves on rather than a 302: after a redirect from the WLS (another
  // site), a browser would not send a SameSite=Strict cookie on the next hop of that chain.
  mstch::map context{{"principal", principal}, {"next", local_path_or_root(next)}};
  send(request.response, 200, "text/html; charset=utf-8", render_template("signed_in", context));
}

}  // namespace commonroom::admin_web
