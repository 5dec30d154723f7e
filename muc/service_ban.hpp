// Service-wide bans: a bare JID or a whole domain that is an outcast in every room.
// They are set by service staff outside XMPP (the command line writes PostgreSQL, the
// running service picks the change up) and handed to the engine as a complete list.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace commonroom::xmpp {
class Jid;
}

namespace commonroom::muc {

struct ServiceBan {
  // A prepared bare JID ("user@example.org") or a domain ("example.org", no '@'): the
  // domain form covers every user of that exact domain, not its subdomains.
  std::string subject;
  std::string reason;  // shown to the user in the 301 presence and the join refusal
  std::string set_by;  // who placed it (for the abuse log), as given to the command
};

// The bans in force, looked up by bare JID and by domain.
class ServiceBans {
 public:
  void assign(std::vector<ServiceBan> bans);
  // The ban that covers `user` (its bare JID first, then its domain), nullptr when none.
  const ServiceBan* find(const xmpp::Jid& user) const;
  const std::vector<ServiceBan>& all() const { return bans_; }
  bool empty() const { return bans_.empty(); }

 private:
  const ServiceBan* lookup(std::string_view subject) const;
  std::vector<ServiceBan> bans_;  // sorted by subject
};

}  // namespace commonroom::muc
