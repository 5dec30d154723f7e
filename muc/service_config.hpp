// Settings of the rooms service as a whole (from commonroom.ini's [muc] section).
#pragma once
#include <string>

#include "muc/room_config.hpp"

namespace commonroom::muc {

struct RoomServiceConfig {
  std::string domain;                     // e.g. conference.cam.example
  std::string version;                    // reported by XEP-0092
  std::string name = "University rooms";  // disco identity name of the service
  // The configuration new rooms start with (then Policy::default_config and locks apply).
  // This service's defaults: non-anonymous (whois anyone) and logged.
  RoomConfig room_defaults;
  // Whether disco#items on a public room lists its occupants to non-occupants (XEP-0045
  // §6.5 advises against it by default). Occupants always see the list.
  bool occupants_public = false;
  // The shell answers XEP-0313 queries from the event log: the engine then advertises
  // urn:xmpp:mam:2 on rooms, checks permissions and hands accepted queries over.
  bool mam = false;
  // Whether the shell logs room events (the abuse log). false only in development, with no
  // log at all: rooms then say they are not logged (no 170, muc#roomconfig_enablelogging
  // fixed at 0) whatever the policy locks, since a room must not claim a log it lacks.
  bool logged = true;
};

}  // namespace commonroom::muc
