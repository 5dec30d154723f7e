#include "admin-web/viewer.hpp"

#include <algorithm>

namespace commonroom::admin_web {

bool Viewer::has(std::string_view role) const {
  return std::any_of(grants.begin(), grants.end(), [&](const Grant& g) { return g.role == role; });
}

bool Viewer::may(Access access) const {
  switch (access) {
    case Access::everyone:
    case Access::session:
      return true;
    case Access::any_role:
      return !grants.empty();
    case Access::rooms:
    case Access::directory:
      return has("admin") || has("abuse") || has("room-manager");
    case Access::audit:
      return has("admin") || has("auditor");
    case Access::admin:
      return has("admin");
    case Access::abuse:
      return has("admin") || has("abuse");
  }
  return false;
}

std::optional<std::vector<std::string>> Viewer::room_scopes() const {
  if (has("admin") || has("abuse")) return std::nullopt;
  std::vector<std::string> scopes;
  for (const auto& g : grants)
    if (g.role == "room-manager") scopes.push_back(g.scope);
  return scopes;
}

bool Viewer::may_see_room(const RoomRow& room) const {
  auto scopes = room_scopes();
  if (!scopes) return true;
  for (const auto& s : *scopes) {
    if (s == "room:" + room.jid) return true;
    if (std::find(room.linked.begin(), room.linked.end(), s) != room.linked.end()) return true;
  }
  return false;
}

std::string Viewer::roles_text() const {
  std::string out;
  for (const auto& g : grants) {
    if (!out.empty()) out += ", ";
    out += g.role;
    if (!g.scope.empty()) out += " for " + g.scope;
  }
  return out.empty() ? "no role" : out;
}

}  // namespace commonroom::admin_web
