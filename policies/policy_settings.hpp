// The campus rules as data: what commonroom.ini's [policy] section sets (docs/policies.md).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace commonroom::policies {

struct PolicySettings {
  // Users of these domains may create rooms; everyone else is a remote user.
  std::vector<std::string> local_domains;
  // Who may own persistent rooms: bare JIDs ("abc123@cam.example") or whole domains
  // ("staff.cam.example"), besides users the StaffDirectory names.
  std::vector<std::string> persistent_creators;
  // "directory:staff" in persistent_creators: people the directory (Lookup's
  // misAffiliation) lists as staff may own persistent rooms too. The shell then hands the
  // policy a StaffDirectory backed by the directory's people index.
  bool directory_staff_may_persist = false;
  // Rooms one user may own at once (0: none may be created).
  std::size_t room_quota = 10;
  // Room names (the JID's local part) must match this ECMAScript regex in full.
  std::string room_name_pattern = "[a-z0-9][a-z0-9._-]*";
  std::size_t room_name_min = 2;
  std::size_t room_name_max = 64;
  std::vector<std::string> reserved_room_names;  // compared case-insensitively
  // Nicks nobody may take (nor anything that looks like them), compared case-insensitively.
  std::vector<std::string> reserved_nicks;
  // Users of these domains may not enter any room.
  std::vector<std::string> denied_domains;
  // Bare JIDs that act as owners of every room.
  std::vector<std::string> service_admins;
  // Room size: the default for new rooms and the ceiling owners may configure.
  std::uint32_t max_users_default = 100;
  std::uint32_t max_users_ceiling = 1000;
  // Rooms the whole service holds at once.
  std::size_t max_rooms = 10000;
  // Per occupant: the size of a message body, and token buckets (a burst, refilled at a
  // steady rate) for messages and presence updates. A rate of 0 means no limit.
  std::size_t max_message_bytes = 10000;
  std::uint32_t messages_per_minute = 60;
  std::uint32_t message_burst = 10;
  std::uint32_t presences_per_minute = 12;
  std::uint32_t presence_burst = 5;
  // Institutions and groups one room may be linked to (x-commonroom#linked).
  std::size_t max_links = 20;
};

}  // namespace commonroom::policies
