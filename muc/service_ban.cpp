#include "muc/service_ban.hpp"

#include <algorithm>

#include "xmpp/jid.hpp"

namespace commonroom::muc {

void ServiceBans::assign(std::vector<ServiceBan> bans) {
  std::sort(bans.begin(), bans.end(),
            [](const ServiceBan& a, const ServiceBan& b) { return a.subject < b.subject; });
  bans.erase(
      std::unique(bans.begin(), bans.end(),
                  [](const ServiceBan& a, const ServiceBan& b) { return a.subject == b.subject; }),
      bans.end());
  bans_ = std::move(bans);
}

const ServiceBan* ServiceBans::lookup(std::string_view subject) const {
  auto it = std::lower_bound(bans_.begin(), bans_.end(), subject,
                             [](const ServiceBan& b, std::string_view s) { return b.subject < s; });
  return it != bans_.end() && it->subject == subject ? &*it : nullptr;
}

const ServiceBan* ServiceBans::find(const xmpp::Jid& user) const {
  if (bans_.empty()) return nullptr;
  if (user.has_node()) {
    if (const ServiceBan* b = lookup(user.bare_str())) return b;
  }
  return lookup(user.domain());
}

}  // namespace commonroom::muc
