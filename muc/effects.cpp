#include "muc/effects.hpp"

namespace commonroom::muc {

void Effects::append(Effects&& later) {
  xmpp::Outbox::append(std::move(later));
  for (auto& e : later.events) events.push_back(std::move(e));
  for (auto& s : later.saves) saves.push_back(std::move(s));
  for (auto& d : later.deletions) deletions.push_back(std::move(d));
  for (auto& q : later.mam_queries) mam_queries.push_back(std::move(q));
}

}  // namespace commonroom::muc
