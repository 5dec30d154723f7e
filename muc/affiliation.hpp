// Affiliations (long-lived, per bare JID) and roles (per visit), each ordered by rank.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace commonroom::muc {

// XEP-0045 §5.2; comparisons follow rank: outcast < none < member < admin < owner.
enum class Affiliation : std::uint8_t { outcast, none, member, admin, owner };
// XEP-0045 §5.1; none < visitor < participant < moderator.
enum class Role : std::uint8_t { none, visitor, participant, moderator };

std::string_view to_string(Affiliation a);
std::string_view to_string(Role r);
std::optional<Affiliation> affiliation_from_string(std::string_view s);
std::optional<Role> role_from_string(std::string_view s);

// The role an occupant gets on entering (§5.1.2 table), from its affiliation.
Role default_role(Affiliation affiliation, bool moderated_room);

}  // namespace commonroom::muc
