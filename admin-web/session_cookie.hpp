// The session cookie: set at sign-in (HttpOnly, SameSite=Strict, Secure under https), read on
// every request, cleared at sign-out; and the end of a sign-in shared by every method.
#pragma once
#include <string>

#include "admin-web/page.hpp"

namespace commonroom::admin_web {

inline constexpr const char* kSessionCookie = "commonroom_session";

// The cookie's value, "" when absent.
std::string session_cookie(const Poco::Net::HTTPServerRequest& request);
void clear_session_cookie(Poco::Net::HTTPServerResponse& response, bool secure);

// Opens a session for principal (method: link, raven, proxy) and answers with a page that
// moves on to `next`. Someone with no role gets a 403 page and no session: being known to
// Raven is not a reason to see anything here.
void complete_sign_in(PageRequest& request, const std::string& name, const std::string& method,
                      const std::string& next);

}  // namespace commonroom::admin_web
