// A room event as the abuse log keeps it: who did what, in which room, when.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace commonroom::muc {

enum class RoomEventKind : std::uint8_t {
  groupchat,        // message to the room (body, raw stanza)
  private_message,  // occupant -> occupant through the room
  join,
  exit,
  nick_change,    // detail: old nick -> new nick
  status_change,  // presence show/status update
  subject_change,
  kick,  // actor, target, reason
  ban,   // affiliation outcast: actor, target, reason
  affiliation_change,
  role_change,
  config_change,  // detail: changed fields
  invitation,     // actor invites target
  invitation_decline,
  retraction,  // XEP-0425 moderated retraction: target = retracted stanza-id
  room_created,
  room_destroyed,  // reason, alternate venue in detail
  voice_request,
  registration_request,   // §9.9: asked to register; target = nick asked for
  registration_declined,  // an admin declined it; target = who asked
};

std::string_view to_string(RoomEventKind kind);
// Parses the names to_string() produces; returns false for anything else.
bool parse_room_event_kind(std::string_view text, RoomEventKind& out);

struct RoomEvent {
  // Unique and assigned by the engine's injected id source before anything is sent, so the
  // log writer can be idempotent on it (journal replay after a crash writes each once).
  std::string id;
  std::string room;       // bare room JID
  std::string stanza_id;  // XEP-0359 id given to the message, when there is one
  std::chrono::system_clock::time_point occurred_at;
  RoomEventKind kind = RoomEventKind::groupchat;
  std::string actor_jid;  // real full JID of whoever caused it ("" for the service)
  std::string actor_nick;
  std::string target;  // real JID or nick affected (kick/ban/invite/PM recipient...)
  std::string body;    // message body, subject, reason
  std::string detail;  // JSON object text with kind-specific extras ("" when none)
  std::string raw;     // the stanza as received, serialized ("" when not a stanza)
};

}  // namespace commonroom::muc
