// A room manager's rooms are those linked to the institutions and groups they manage (or
// named in a room: grant); what they create or relink must stay inside that scope.
#pragma once
#include <string>
#include <vector>

#include "admin-web/viewer.hpp"

namespace commonroom::admin_web {

// "" when `viewer` may give room `jid` exactly these links; else why not, for the page.
// Those who see every room (admin, abuse) may link anything.
std::string links_outside_scope(const Viewer& viewer, const std::string& jid,
                                const std::vector<std::string>& links);

// Entries of a links or JIDs field: separated by lines, commas or spaces, as the XMPP form
// accepts them.
std::vector<std::string> list_entries(const std::string& text);

}  // namespace commonroom::admin_web
