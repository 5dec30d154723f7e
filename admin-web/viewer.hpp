// Who is signed in to this request, and what their roles let them see.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin-web/admin_store.hpp"

namespace commonroom::admin_web {

// What a route asks of the person requesting it.
enum class Access {
  everyone,   // sign-in pages, /healthz, /metrics
  session,    // any open session, with or without a role (sign-out)
  any_role,   // the dashboard
  rooms,      // admin, abuse, room-manager (their rooms only)
  directory,  // admin, abuse, room-manager
  audit,      // admin, auditor
  admin,      // admin only (directory sync now, opt-outs)
  abuse,      // admin, abuse: the abuse workspace (log search, evidence, bans, holds)
};

struct Viewer {
  std::string principal;
  std::string csrf_token;
  std::string session_sha256;
  std::vector<Grant> grants;

  bool has(std::string_view role) const;
  bool may(Access access) const;
  // nullopt: every room (admin, abuse); else the scopes of their room-manager grants.
  std::optional<std::vector<std::string>> room_scopes() const;
  bool may_see_room(const RoomRow& room) const;
  std::string roles_text() const;  // "admin, room-manager for inst:TRIN" for the page header
};

}  // namespace commonroom::admin_web
