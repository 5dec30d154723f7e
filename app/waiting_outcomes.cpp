#include "app/waiting_outcomes.hpp"

namespace commonroom::app {

void WaitingOutcomes::push(uint64_t ticket, muc::Effects&& outcome) {
  if (ticket == 0) ticket = newest_ticket();
  outcome.detach_recipients();
  const std::size_t held = outcome.held_bytes();
  held_bytes_ += held;
  waiting_.push_back(Waiting{ticket, std::move(outcome), held});
}

std::size_t WaitingOutcomes::release(uint64_t durable_through,
                                     const std::function<void(muc::Effects&)>& send) {
  std::size_t released = 0;
  while (!waiting_.empty() && waiting_.front().ticket <= durable_through) {
    Waiting& w = waiting_.front();
    send(w.effects);
    held_bytes_ -= w.held;
    waiting_.pop_front();
    ++released;
  }
  return released;
}

void WaitingOutcomes::clear() {
  waiting_.clear();
  held_bytes_ = 0;
}

}  // namespace commonroom::app
