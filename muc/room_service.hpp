// The rooms service (XEP-0045) as a pure state machine: stanza and time in, effects out.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "muc/effects.hpp"
#include "muc/id_source.hpp"
#include "muc/link_directory.hpp"
#include "muc/policy.hpp"
#include "muc/service_ban.hpp"
#include "muc/service_config.hpp"
#include "muc/snapshot.hpp"
#include "xmpp/element.hpp"

namespace commonroom::xmpp {
class ServiceBasics;
}

namespace commonroom::muc {

class Engine;

// What the admin web lists about a room (a copy: safe to hand to another thread).
struct RoomSummary {
  std::string jid;
  std::string name;
  std::size_t occupants = 0;
  bool persistent = false;
  bool public_room = false;
  bool locked = false;
  std::vector<std::string> linked;  // x-commonroom#linked (a room manager's scope)
};

// One occupant as the admin web shows them (a copy: safe to hand to another thread).
struct OccupantSummary {
  std::string nick;
  std::string jid;  // real bare JID
  std::string role;
  std::string affiliation;
};

class RoomService {
 public:
  // Everything the protocol allows, ids from the operating system (SystemIdSource).
  // Throws xmpp::JidError when the domain is not a valid bare domain.
  explicit RoomService(RoomServiceConfig config);
  // The engine proper: campus policy and id source injected (tests pass deterministic ids).
  RoomService(RoomServiceConfig config, std::shared_ptr<const Policy> policy,
              std::shared_ptr<IdSource> ids);
  ~RoomService();
  RoomService(RoomService&&) noexcept;
  RoomService& operator=(RoomService&&) noexcept;

  // Handles one stanza from the host server. Never throws for bad input: every problem
  // becomes a stanza error or a `dropped` reason.
  Effects handle(const xmpp::Element& stanza, std::chrono::system_clock::time_point now);

  // Loads a persistent room saved earlier (Effects::saves), before any stanza is handled.
  // Restored rooms are unlocked and empty. Throws xmpp::JidError for an invalid room JID.
  void restore(const RoomSnapshot& snapshot);

  // The service is shutting down: every occupant is told (status 332, §11.2).
  Effects shutdown(std::chrono::system_clock::time_point now);

  // Replaces the service-wide bans with `bans` (the complete list in force). Every
  // occupant a ban now covers is removed from its rooms with status 301 at once; from then
  // on the banned may neither enter nor create rooms. Lifting a ban is just leaving it out.
  Effects set_service_bans(std::vector<ServiceBan> bans, std::chrono::system_clock::time_point now);

  // Replaces who belongs to which institution and group (built by the shell from the
  // directory; shared, never modified). In rooms linked to them (x-commonroom#linked),
  // people without an affiliation of their own count as members. Occupants whose membership
  // a new directory ends are removed from members-only rooms with status 321 at once;
  // others see their affiliation change. Nobody is invited.
  Effects set_link_directory(std::shared_ptr<const LinkDirectory> directory,
                             std::chrono::system_clock::time_point now);

  // Like handle(), these read engine state: call them on the engine thread and hand the
  // copies they return to other threads.
  std::vector<RoomSummary> rooms() const;
  // The durable state of one room, nullopt when there is no such room.
  std::optional<RoomSnapshot> snapshot(const std::string& room_jid) const;
  // The room's occupants by nick; nullopt when the room does not exist (now).
  std::optional<std::vector<OccupantSummary>> occupants(const std::string& room_jid) const;

  const xmpp::ServiceBasics& basics() const;

 private:
  std::unique_ptr<Engine> engine_;
};

}  // namespace commonroom::muc
