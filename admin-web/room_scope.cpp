#include "admin-web/room_scope.hpp"

#include <algorithm>

namespace commonroom::admin_web {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::vector<std::string> list_entries(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find_first_of(" \t\r\n,", start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string links_outside_scope(const Viewer& viewer, const std::string& jid,
                                const std::vector<std::string>& links) {
  auto scopes = viewer.room_scopes();
  if (!scopes) return "";
  // Directory ids are compared as the engine does: "inst:trin" is TRIN.
  auto in_scope = [&](const std::string& link) {
    return std::any_of(scopes->begin(), scopes->end(),
                       [&](const std::string& s) { return lower(s) == lower(link); });
  };
  std::string managed;
  for (const auto& s : *scopes) managed += (managed.empty() ? "" : ", ") + s;
  for (const auto& link : links)
    if (!in_scope(link)) return "you manage rooms of " + managed + ", not of " + link + ".";
  if (links.empty() && !in_scope("room:" + jid))
    return "link the room to " + managed +
           " (a room manager's rooms are those linked to what they manage).";
  return "";
}

}  // namespace commonroom::admin_web
