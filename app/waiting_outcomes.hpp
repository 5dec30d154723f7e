// The rooms' outcomes waiting for the abuse log (docs/architecture.md rule 6): each waits
// until its events' ticket is durable, then leaves in the order the engine produced it.
// Engine thread only (or the thread stopping the rooms once the engine has stopped); no IO:
// the caller sends what is released.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>

#include "muc/effects.hpp"

namespace commonroom::app {

class WaitingOutcomes {
 public:
  // True when an outcome with these events may be sent at once: it has nothing to log and
  // nothing waits before it (so every earlier event is durable already).
  bool may_send_now(const muc::Effects& outcome) const {
    return outcome.events.empty() && waiting_.empty();
  }

  // Queues `outcome` (its events already handed to the log) until `ticket` is durable.
  // Ticket 0: nothing of its own was logged; it leaves right after the newest waiting
  // outcome (there must be one: see may_send_now). Its fan-outs' recipients are detached
  // from the sessions' JIDs now, while those are in this core's cache.
  void push(uint64_t ticket, muc::Effects&& outcome);

  // Hands `send` every waiting outcome whose ticket is <= durable_through, oldest first,
  // and forgets it. Returns how many left.
  std::size_t release(uint64_t durable_through, const std::function<void(muc::Effects&)>& send);

  bool empty() const { return waiting_.empty(); }
  uint64_t oldest_ticket() const { return waiting_.empty() ? 0 : waiting_.front().ticket; }
  uint64_t newest_ticket() const { return waiting_.empty() ? 0 : waiting_.back().ticket; }
  // What the waiting stanzas hold (Outbox::held_bytes of each, taken when queued).
  std::size_t held_bytes() const { return held_bytes_; }
  void clear();

 private:
  struct Waiting {
    uint64_t ticket = 0;
    muc::Effects effects;
    std::size_t held = 0;
  };
  std::deque<Waiting> waiting_;
  std::size_t held_bytes_ = 0;
};

}  // namespace commonroom::app
