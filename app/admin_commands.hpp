// `commonroom admin grant|revoke|list|login-link`: who may use the admin web, and a one-time
// sign-in link for local use (docs/admin-web.md).
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace commonroom::app {

// args are what follows "admin". Exit codes: 0 ok, 1 failure, 2 usage.
int admin_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                  std::ostream& err);

inline constexpr const char* kAdminUsage =
    "  admin grant USER ROLE [SCOPE]\n"
    "                 give USER (a CRSid or local name) an admin web role: admin, abuse,\n"
    "                 auditor, or room-manager with SCOPE inst:ID, group:ID or room:JID\n"
    "  admin revoke USER ROLE [SCOPE]\n"
    "                 take a role away (the user's sessions end at once)\n"
    "  admin list     every role granted\n"
    "  admin login-link USER\n"
    "                 print a one-time sign-in link for USER (expires after\n"
    "                 [admin-web] login_link_minutes)\n";

}  // namespace commonroom::app
