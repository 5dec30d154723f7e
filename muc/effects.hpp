// What the rooms service asks its shell to do after one stanza: the stanzas to send and the
// stanzas dropped (the outbox every service fills), plus events to log, room state to
// persist and archive queries to answer.
#pragma once
#include <string>
#include <vector>

#include "muc/mam_query.hpp"
#include "muc/room_event.hpp"
#include "muc/snapshot.hpp"
#include "xmpp/outbox.hpp"

namespace commonroom::muc {

using Fanout = xmpp::Fanout;
using SerializedRun = xmpp::SerializedRun;
using FanoutWriter = xmpp::FanoutWriter;
using xmpp::append_in_order;
using xmpp::write_in_order;

struct Effects : xmpp::Outbox {
  // For the abuse log, in the order they happened. Durable before the stanzas they caused
  // are sent (docs/architecture.md rule 6) - the shell's job.
  std::vector<RoomEvent> events;
  // Persistent rooms whose durable state changed: upsert each (latest state wins).
  std::vector<RoomSnapshot> saves;
  // Rooms whose durable state must go (destroyed, or no longer persistent).
  std::vector<std::string> deletions;
  // Archive queries the engine accepted (only when RoomServiceConfig::mam is set).
  std::vector<MamQuery> mam_queries;

  // Moves everything in `later` after what is here: its stanzas after these in send order,
  // and its events, saves, deletions and archive queries after these (a later save of the
  // same room wins when upserted in order).
  void append(Effects&& later);
};

}  // namespace commonroom::muc
