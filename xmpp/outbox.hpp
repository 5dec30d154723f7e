// What a pure service asks its shell to send after one stanza, in send order, and what it
// dropped without a reply. Both services fill one (the directory's as it is; the rooms'
// muc::Effects builds on it with events to log and rooms to save), so one shell loop sends
// for both.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace commonroom::xmpp {

class FanoutStanza;

// One stanza serialized once, for many recipients: only 'to' differs (docs/architecture.md rule 5).
struct Fanout {
  std::shared_ptr<const FanoutStanza> stanza;
  // Full JIDs, in send order. Jids share their buffer with the sessions they come from:
  // no allocation per recipient per message.
  std::vector<Jid> recipients;
  // Or, once Outbox::detach_recipients has run (`recipients` is then empty), the same
  // JIDs' text back to back: recipient i is addresses[address_ends[i - 1], address_ends[i]).
  std::string addresses;
  std::vector<std::uint32_t> address_ends;
  // Send order relative to `outbound`: this fan-out goes after outbound[0, position) and
  // before outbound[position]. Several fan-outs with one position go in vector order.
  std::size_t position = 0;

  // The recipients in send order, whichever form they are in.
  std::size_t recipient_count() const {
    return recipients.empty() ? address_ends.size() : recipients.size();
  }
  std::string_view recipient(std::size_t i) const {  // the full JID
    if (!recipients.empty()) return recipients[i].full();
    const std::uint32_t begin = i == 0 ? 0 : address_ends[i - 1];
    return std::string_view(addresses).substr(begin, address_ends[i] - begin);
  }
  std::string_view recipient_domain(std::size_t i) const;
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

struct Outbox {
  std::vector<Element> outbound;    // single stanzas, in order
  std::vector<Fanout> fanouts;      // interleaved with outbound by Fanout::position
  std::vector<SerializedRun> runs;  // interleaved with both by their positions
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
  void add_serialized(const Element& stanza, std::size_t expected_more = 0);

  // Moves everything in `later` after what is here, keeping each one's send order.
  void append(Outbox&& later);

  // Takes outbound[index] out, keeping the send order of everything else.
  Element take_outbound(std::size_t index);

  // Takes out every stanza addressed to a session of `bare` (whose recipient is not on the
  // network, e.g. the admin web acting in a room), keeping the send order of the rest. Runs
  // are read back from their text: for rare callers, not a hot path.
  void drop_to(const Jid& bare);

  // Copies every fan-out's recipient JIDs into its `addresses` and lets go of the JIDs, for
  // an outbox that waits (for the abuse log) before it is sent. The JIDs are the sessions'
  // shared buffers: read and released now they are in this core's cache; after the wait
  // they are cold, and every recipient of every message cost a cache miss to read and
  // another to release.
  void detach_recipients();
};

// Writes one fan-out in place of the per-recipient copies (a host server that fans out
// itself, app/host_fanout.hpp), calling `after_each` after each stanza it appends.
using FanoutWriter = std::function<void(const Fanout& fanout, std::string& out,
                                        const std::function<void(std::string& out)>& after_each)>;

// Writes one outbound element its own way (carried by the host server, app/host_fanout.hpp)
// and returns true, or returns false, writing nothing, to have it serialized as usual.
using OutboundWriter = std::function<bool(const Element& stanza, std::string& out)>;

// Writes a whole run its own way, as one stanza (the host server carries it and routes each
// of its stanzas, app/host_fanout.hpp), and returns true; or returns false, writing nothing,
// to have its stanzas written as they are.
using RunWriter = std::function<bool(const SerializedRun& run, std::string& out)>;

// Appends every stanza in send order to `out`: outbound elements serialized (or by
// `write_outbound` when given and it takes them), fan-outs as the shared prefix + escaped
// 'to' + suffix (or by `write_fanout` when given), runs as they are (or by `write_run`, one
// stanza for the whole run, when given and it takes them). `after_each` is called once each
// stanza is appended (it may take the bytes out of `out`), so a caller batching writes
// appends straight into its batch with no copy in between.
void append_in_order(const Outbox& outbox, std::string& out,
                     const std::function<void(std::string& out)>& after_each,
                     const FanoutWriter& write_fanout = {},
                     const OutboundWriter& write_outbound = {}, const RunWriter& write_run = {});
// As append_in_order, one complete stanza per call; `write`'s argument is only valid
// during the call.
void write_in_order(const Outbox& outbox, const std::function<void(std::string_view)>& write);

}  // namespace commonroom::xmpp
