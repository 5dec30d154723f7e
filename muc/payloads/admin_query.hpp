// muc#admin <query/> (XEP-0045 §8-§9): the items a moderator, admin or owner sends to change
// roles and affiliations or to ask for a list, and the items of the list the room answers.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "muc/affiliation.hpp"
#include "xmpp/element.hpp"

namespace commonroom::muc {

struct AdminItem {
  std::optional<Affiliation> affiliation;
  std::optional<Role> role;
  // As sent: whether it is a JID is the use case's question (it answers jid-malformed).
  std::optional<std::string> jid;
  // Absent and empty differ: an empty nick on a member item unsets its reservation (§9.5).
  std::optional<std::string> nick;
  std::string reason;
  bool operator==(const AdminItem&) const = default;
};

struct AdminQuery {
  std::vector<AdminItem> items;
  bool operator==(const AdminQuery&) const = default;
};

// Reads <query xmlns='http://jabber.org/protocol/muc#admin'/>; other children are ignored.
// Throws PayloadError ("unknown affiliation", "unknown role") on a value XEP-0045 does not
// define, so a bad-request can quote it.
AdminQuery parse_admin_query(const xmpp::Element& query);
xmpp::Element to_element(const AdminQuery& query);

}  // namespace commonroom::muc
