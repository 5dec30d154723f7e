// A room's durable state: what the shell stores for persistent rooms and restores at start.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <utility>
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

// A request to register with the room waiting for an admin's decision (§9.9).
struct RegistrationRequest {
  std::string jid;   // bare JID of who asked
  std::string nick;  // the nickname asked for (already prepared)
  // The optional muc#register_* fields given (first, last, url, email, faqentry), in form
  // order, shown to the admins who decide.
  std::vector<std::pair<std::string, std::string>> details;
  std::chrono::system_clock::time_point requested_at{};
  std::chrono::system_clock::time_point notified_at{};  // when admins were last asked
  bool operator==(const RegistrationRequest&) const = default;
};

struct RoomSnapshot {
  std::string jid;  // bare room JID
  RoomConfig config;
  std::vector<AffiliationRecord> affiliations;             // sorted by jid
  std::vector<RegistrationRequest> registration_requests;  // sorted by jid
  std::string subject;
  std::string subject_nick;  // who set it ("" = the room)
  std::optional<std::chrono::system_clock::time_point> subject_at;
  std::string occupant_id_secret;  // XEP-0421 key: keeps occupant-ids stable across restarts
  std::chrono::system_clock::time_point created_at{};
  std::string created_by;  // bare JID of the creator
  bool operator==(const RoomSnapshot&) const = default;
};

}  // namespace commonroom::muc
