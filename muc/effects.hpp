// What the rooms service asks its shell to do after one stanza: stanzas to send, events to
// log, room state to persist.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "muc/mam_query.hpp"
#include "muc/room_event.hpp"
#include "muc/snapshot.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace commonroom::xmpp {
class FanoutStanza;
}

namespace commonroom::muc {

// One stanza serialized once, for many recipients: only 'to' differs (DESIGN.md rule 5).
struct Fanout {
  std::shared_ptr<const xmpp::FanoutStanza> stanza;
  // Full JIDs, in send order. Jids share their buffer with the sessions they come from:
  // no allocation per recipient per message.
  std::vector<xmpp::Jid> recipients;
  // Send order relative to `outbound`: this fan-out goes after outbound[0, position) and
  // before outbound[position]. Several fan-outs with one position go in vector order.
  std::size_t position = 0;
};

// Different stanzas already serialized back to back. The roster a newcomer gets is one
// presence per occupant: kept as element trees until sent, a join into a big room would
// hold (and leave malloc holding) several times the bytes it sends.
struct SerializedRun {
  std::string bytes;
  std::vector<std::uint32_t> ends;  // where each stanza ends in `bytes`, in send order
  // Send order: after outbound[0, position) and fanouts[0, fanout_position), before
  // outbound[position] and fanouts[fanout_position].
  std::size_t position = 0;
  std::size_t fanout_position = 0;
};

struct Effects {
  std::vector<xmpp::Element> outbound;  // single stanzas, in order
  std::vector<Fanout> fanouts;          // interleaved with outbound by Fanout::position
  std::vector<SerializedRun> runs;      // interleaved with both by their positions
  // For the abuse log, in the order they happened. Durable before the stanzas they caused
  // are sent (DESIGN.md rule 6) - the shell's job.
  std::vector<RoomEvent> events;
  // Persistent rooms whose durable state changed: upsert each (latest state wins).
  std::vector<RoomSnapshot> saves;
  // Rooms whose durable state must go (destroyed, or no longer persistent).
  std::vector<std::string> deletions;
  // Archive queries the engine accepted (only when RoomServiceConfig::mam is set).
  std::vector<MamQuery> mam_queries;
  // Stanzas dropped without any reply (no valid 'from', misrouted, ...), one reason each,
  // for the log: they cannot be answered, but an operator should be able to see them.
  std::vector<std::string> dropped;

  std::size_t stanza_count() const;  // outbound, every fan-out recipient, every run's stanzas
  // About how much memory the stanzas to send hold (element trees count as a typical
  // stanza's), for a shell that bounds how much output waits, e.g. for the abuse log.
  std::size_t held_bytes() const;

  // Serializes `stanza` now, at the current end of the send order (appending to the last
  // run when nothing was added after it). `expected_more`: how many stanzas of about the
  // same size the caller is about to add after it (sizes the run's buffer).
  void add_serialized(const xmpp::Element& stanza, std::size_t expected_more = 0);
};

// Writes one fan-out in place of the per-recipient copies (a host server that fans out
// itself, app/host_fanout.hpp), calling `after_each` after each stanza it appends.
using FanoutWriter = std::function<void(const Fanout& fanout, std::string& out,
                                        const std::function<void(std::string& out)>& after_each)>;

// Appends every stanza in send order to `out`: outbound elements serialized, fan-outs as
// the shared prefix + escaped 'to' + suffix (or by `write_fanout` when given), runs as they
// are. `after_each` is called once each stanza is appended (it may take the bytes out of
// `out`), so a caller batching writes appends straight into its batch with no copy in
// between.
void append_in_order(const Effects& effects, std::string& out,
                     const std::function<void(std::string& out)>& after_each,
                     const FanoutWriter& write_fanout = {});
// As append_in_order, one complete stanza per call; `write`'s argument is only valid
// during the call.
void write_in_order(const Effects& effects, const std::function<void(std::string_view)>& write);

}  // namespace commonroom::muc
