#include "muc/affiliation.hpp"

namespace commonroom::muc {

std::string_view to_string(Affiliation a) {
  switch (a) {
    case Affiliation::outcast:
      return "outcast";
    case Affiliation::none:
      return "none";
    case Affiliation::member:
      return "member";
    case Affiliation::admin:
      return "admin";
    case Affiliation::owner:
      return "owner";
  }
  return "none";
}

std::string_view to_string(Role r) {
  switch (r) {
    case Role::none:
      return "none";
    case Role::visitor:
      return "visitor";
    case Role::participant:
      return "participant";
    case Role::moderator:
      return "moderator";
  }
  return "none";
}

std::optional<Affiliation> affiliation_from_string(std::string_view s) {
  if (s == "outcast") return Affiliation::outcast;
  if (s == "none") return Affiliation::none;
  if (s == "member") return Affiliation::member;
  if (s == "admin") return Affiliation::admin;
  if (s == "owner") return Affiliation::owner;
  return std::nullopt;
}

std::optional<Role> role_from_string(std::string_view s) {
  if (s == "none") return Role::none;
  if (s == "visitor") return Role::visitor;
  if (s == "participant") return Role::participant;
  if (s == "moderator") return Role::moderator;
  return std::nullopt;
}

Role default_role(Affiliation affiliation, bool moderated_room) {
  switch (affiliation) {
    case Affiliation::owner:
    case Affiliation::admin:
      return Role::moderator;
    case Affiliation::member:
      return Role::participant;
    case Affiliation::none:
      return moderated_room ? Role::visitor : Role::participant;
    case Affiliation::outcast:
      return Role::none;
  }
  return Role::none;
}

}  // namespace commonroom::muc
