// A room's configuration: what the muc#roomconfig form edits and the engine obeys.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "muc/affiliation.hpp"

namespace commonroom::muc {

// Who may discover occupants' real JIDs (muc#roomconfig_whois): semi-anonymous or not.
enum class Whois : std::uint8_t { moderators, anyone };
// Who may send private messages (muc#roomconfig_allowpm).
enum class PmPolicy : std::uint8_t { anyone, participants, moderators, none };
// How registering with the room (§7.10) works (x-commonroom#registration): at once, after an
// admin's approval (§9.9), or not at all.
enum class Registration : std::uint8_t { open, approval, closed };

std::string_view to_string(Whois w);
std::string_view to_string(PmPolicy p);
std::string_view to_string(Registration r);
std::optional<Whois> whois_from_string(std::string_view s);
std::optional<PmPolicy> pm_policy_from_string(std::string_view s);
std::optional<Registration> registration_from_string(std::string_view s);

// A set of roles (presence broadcast, member-list access), as a bit set.
class RoleSet {
 public:
  RoleSet() = default;
  static RoleSet all() { return RoleSet(kVisitor | kParticipant | kModerator); }
  bool contains(Role r) const { return (bits_ & bit(r)) != 0; }
  RoleSet& add(Role r) {
    bits_ |= bit(r);
    return *this;
  }
  bool empty() const { return bits_ == 0; }
  bool operator==(const RoleSet&) const = default;

 private:
  static constexpr std::uint8_t kVisitor = 1, kParticipant = 2, kModerator = 4;
  explicit RoleSet(std::uint8_t bits) : bits_(bits) {}
  static std::uint8_t bit(Role r) {
    switch (r) {
      case Role::visitor:
        return kVisitor;
      case Role::participant:
        return kParticipant;
      case Role::moderator:
        return kModerator;
      case Role::none:
        return 0;
    }
    return 0;
  }
  std::uint8_t bits_ = 0;
};

struct RoomConfig {
  std::string name;         // muc#roomconfig_roomname
  std::string description;  // muc#roomconfig_roomdesc
  std::string lang;         // muc#roomconfig_lang
  // This service defaults to logged and non-anonymous rooms (campus policy may lock both).
  bool enable_logging = true;
  bool change_subject = false;  // occupants (participants) may change the subject
  bool allow_invites = true;    // non-admin occupants may send mediated invitations
  PmPolicy allow_pm = PmPolicy::anyone;
  std::optional<std::uint32_t> max_users = 100;  // nullopt: no room limit
  RoleSet presence_broadcast = RoleSet::all();
  RoleSet get_member_list = RoleSet::all();  // roles (besides admins) that may read it
  bool public_room = true;
  bool persistent = false;
  bool moderated = false;
  bool members_only = false;
  bool password_protected = false;
  std::string password;  // muc#roomconfig_roomsecret
  Whois whois = Whois::anyone;
  std::uint32_t max_history = 20;  // muc#maxhistoryfetch: messages kept and sent on join
  Registration registration = Registration::open;
  // x-commonroom#linked: institutions and groups whose members count as the room's members
  // ("inst:TRIN", "group:100656"; sorted, unique; see muc/link_directory.hpp).
  std::vector<std::string> linked;

  bool operator==(const RoomConfig&) const = default;
};

}  // namespace commonroom::muc
