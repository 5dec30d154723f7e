// A room's durable state: what the shell stores for persistent rooms and restores at start.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "muc/affiliation.hpp"
#include "muc/room_config.hpp"

namespace commonroom::muc {

struct AffiliationRecord {
  std::string jid;  // bare JID (or a domain, for domain bans)
  Affiliation affiliation = Affiliation::none;
  std::string nick;    // registered (reserved) nickname, "" when none
  std::string reason;  // why it was set (bans)
  bool operator==(const AffiliationRecord&) const = default;
};

struct RoomSnapshot {
  std::string jid;  // bare room JID
  RoomConfig config;
  std::vector<AffiliationRecord> affiliations;  // sorted by jid
  std::string subject;
  std::string subject_nick;  // who set it ("" = the room)
  std::optional<std::chrono::system_clock::time_point> subject_at;
  std::string occupant_id_secret;  // XEP-0421 key: keeps occupant-ids stable across restarts
  std::chrono::system_clock::time_point created_at{};
  std::string created_by;  // bare JID of the creator
  bool operator==(const RoomSnapshot&) const = default;
};

}  // namespace commonroom::muc
