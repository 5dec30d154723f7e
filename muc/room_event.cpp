#include "muc/room_event.hpp"

#include <array>
#include <utility>

namespace commonroom::muc {

namespace {
constexpr std::array<std::pair<RoomEventKind, std::string_view>, 20> kNames{{
    {RoomEventKind::groupchat, "groupchat"},
    {RoomEventKind::private_message, "private_message"},
    {RoomEventKind::join, "join"},
    {RoomEventKind::exit, "exit"},
    {RoomEventKind::nick_change, "nick_change"},
    {RoomEventKind::status_change, "status_change"},
    {RoomEventKind::subject_change, "subject_change"},
    {RoomEventKind::kick, "kick"},
    {RoomEventKind::ban, "ban"},
    {RoomEventKind::affiliation_change, "affiliation_change"},
    {RoomEventKind::role_change, "role_change"},
    {RoomEventKind::config_change, "config_change"},
    {RoomEventKind::invitation, "invitation"},
    {RoomEventKind::invitation_decline, "invitation_decline"},
    {RoomEventKind::retraction, "retraction"},
    {RoomEventKind::room_created, "room_created"},
    {RoomEventKind::room_destroyed, "room_destroyed"},
    {RoomEventKind::voice_request, "voice_request"},
    {RoomEventKind::registration_request, "registration_request"},
    {RoomEventKind::registration_declined, "registration_declined"},
}};
}  // namespace

std::string_view to_string(RoomEventKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

bool parse_room_event_kind(std::string_view text, RoomEventKind& out) {
  for (const auto& [k, name] : kNames) {
    if (name == text) {
      out = k;
      return true;
    }
  }
  return false;
}

}  // namespace commonroom::muc
