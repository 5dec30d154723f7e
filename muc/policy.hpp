// The hooks campus policy implements (policies/): creation rights, locked settings, limits.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "muc/room_config.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/payloads/data_form.hpp"

namespace commonroom::muc {

// Allowed, or refused with a reason the user sees in the error's <text/>.
struct Verdict {
  bool allowed = true;
  std::string reason;
  static Verdict allow() { return {}; }
  static Verdict deny(std::string reason) { return {false, std::move(reason)}; }
};

struct Limits {
  std::uint32_t max_users = 1000;     // ceiling for muc#roomconfig_maxusers (rooms may ask less)
  std::uint32_t admin_overflow = 10;  // admins/owners still admitted to a full room (§7.2.9)
  std::uint32_t max_history = 100;    // ceiling for muc#maxhistoryfetch
  std::size_t max_nick_bytes = 64;
  std::size_t max_subject_bytes = 1024;
  std::size_t max_room_name_bytes = 256;      // roomname, roomdesc
  std::size_t max_room_password_bytes = 256;  // roomsecret, as typed (before hashing)
  std::size_t max_affiliations = 10000;       // entries per room (bans + members + admins + owners)
  std::size_t max_pending_invitations = 200;  // per room, remembered to validate declines
  std::size_t max_pending_iqs = 256;  // per room, iqs passed between occupants awaiting answers
  std::size_t max_links = 20;         // institutions and groups one room may be linked to
};

// What a policy says about a nickname: keep it, replace it (status 210), or refuse it.
struct NickDecision {
  // reject: not-acceptable; conflict: conflict (the nick clashes with someone else's).
  enum class Kind { accept, rewrite, reject, conflict };
  Kind kind = Kind::accept;
  std::string nick;    // the replacement when kind == rewrite
  std::string reason;  // shown to the user when kind == reject or conflict
};

// What an occupant sends that per-occupant limits apply to.
enum class Traffic { message, presence };

// What the engine knows when a room is created or made persistent (quotas need counts).
struct CreationRequest {
  const xmpp::Jid& creator;
  const xmpp::Jid& room;
  bool persistent = false;
  std::size_t rooms_owned = 0;  // other rooms the creator's bare JID owns
  std::size_t rooms_total = 0;  // rooms the service holds, not counting this one
  // The creator acts as owner of every room (Policy::is_service_admin, asked of the policy
  // the engine holds, so a wrapping policy's admins count: the admin web's actor).
  bool service_admin = false;
};

class Policy {
 public:
  virtual ~Policy() = default;
  // May `creator` create `room`, temporary or persistent? Asked on the creating join
  // (with the default persistence) and again when an owner makes a room persistent.
  virtual Verdict may_create_room(const xmpp::Jid& creator, const xmpp::Jid& room,
                                  bool persistent) const;
  // Adjusts the service's default configuration for a new room.
  virtual void default_config(const xmpp::Jid& room, RoomConfig& config) const;
  // muc#roomconfig fields owners may not change, with their fixed values (e.g. whois
  // "anyone", enablelogging "1"). Applied to new rooms, shown fixed in the form, and a
  // submission that changes one is refused with not-acceptable.
  virtual std::vector<xmpp::FormField> locked_fields(const xmpp::Jid& room) const;
  virtual Limits limits() const;
  // Checked on every join and nick change, after the protocol's own checks.
  virtual NickDecision check_nick(const xmpp::Jid& user, const xmpp::Jid& room,
                                  std::string_view nick) const;
  // The engine asks these; by default they defer to the simpler hooks above.
  // Creation with the counts a quota needs (default: may_create_room).
  virtual Verdict check_creation(const CreationRequest& request) const;
  // A nickname with the nicks other users hold in the room (default: check_nick).
  virtual NickDecision check_nick_in_room(const xmpp::Jid& user, const xmpp::Jid& room,
                                          std::string_view nick,
                                          const std::vector<std::string_view>& others) const;
  // May `user` (affiliation `a`, not an outcast) enter an existing room? Refusals are
  // forbidden errors. Default: yes.
  virtual Verdict may_enter(const xmpp::Jid& user, const xmpp::Jid& room, const RoomConfig& config,
                            Affiliation a) const;
  // Every groupchat or private message (`bytes`: its body) and every presence update
  // (status or nick change) from an occupant. Refusals are modify/policy-violation errors
  // and the stanza goes no further. Policies keep their own per-occupant state (rates).
  virtual Verdict check_traffic(const xmpp::Jid& user, const xmpp::Jid& room, Traffic kind,
                                std::size_t bytes, std::chrono::system_clock::time_point now) const;
  // May `user` link `room` to institutions or groups (x-commonroom#linked), so that their
  // members become the room's members? Refusals are forbidden errors. Default: whoever may
  // create a persistent room there (may_create_room).
  virtual Verdict may_link_room(const xmpp::Jid& user, const xmpp::Jid& room) const;
  // Service administrators act as owners of every room (admin web commands use this).
  virtual bool is_service_admin(const xmpp::Jid& user) const;
};

// Allows everything the protocol allows, locks nothing, default limits.
class PermissivePolicy : public Policy {};

}  // namespace commonroom::muc
