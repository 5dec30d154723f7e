#include "muc/room_config.hpp"

namespace commonroom::muc {

std::string_view to_string(Whois w) {
  return w == Whois::anyone ? "anyone" : "moderators";
}

std::string_view to_string(PmPolicy p) {
  switch (p) {
    case PmPolicy::anyone:
      return "anyone";
    case PmPolicy::participants:
      return "participants";
    case PmPolicy::moderators:
      return "moderators";
    case PmPolicy::none:
      return "none";
  }
  return "anyone";
}

std::optional<Whois> whois_from_string(std::string_view s) {
  if (s == "anyone") return Whois::anyone;
  if (s == "moderators") return Whois::moderators;
  return std::nullopt;
}

std::optional<PmPolicy> pm_policy_from_string(std::string_view s) {
  if (s == "anyone") return PmPolicy::anyone;
  if (s == "participants") return PmPolicy::participants;
  if (s == "moderators") return PmPolicy::moderators;
  if (s == "none") return PmPolicy::none;
  return std::nullopt;
}

std::string_view to_string(Registration r) {
  switch (r) {
    case Registration::open:
      return "open";
    case Registration::approval:
      return "approval";
    case Registration::closed:
      return "closed";
  }
  return "open";
}

std::optional<Registration> registration_from_string(std::string_view s) {
  if (s == "open") return Registration::open;
  if (s == "approval") return Registration::approval;
  if (s == "closed") return Registration::closed;
  return std::nullopt;
}

}  // namespace commonroom::muc
