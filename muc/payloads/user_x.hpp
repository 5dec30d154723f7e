// muc#user <x/> (XEP-0045 §7-§10 and its muc#user schema): what the room tells occupants about
// themselves and each other (items, status codes, destruction) and what occupants send the
// room and each other through it (invitations, declines, the password of an invitation).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "muc/affiliation.hpp"
#include "xmpp/element.hpp"

namespace commonroom::muc {

// <actor/>: who kicked, banned or changed an affiliation.
struct UserActor {
  std::optional<std::string> jid;
  std::optional<std::string> nick;
  bool operator==(const UserActor&) const = default;
};

// <continue/>: a one-to-one chat continued in the room keeps its thread (§7.9).
struct Continuation {
  std::optional<std::string> thread;
  bool operator==(const Continuation&) const = default;
};

// An empty reason is written as no <reason/> at all, as the room has always sent it.
struct UserItem {
  std::optional<Affiliation> affiliation;
  std::optional<std::string> jid;  // as sent: whether it parses is the reader's question
  std::optional<std::string> nick;
  std::optional<Role> role;
  std::optional<UserActor> actor;
  std::optional<Continuation> continuation;
  std::string reason;
  bool operator==(const UserItem&) const = default;
};

// <invite/> and <decline/>: 'to' when an occupant sends it to the room, 'from' when the room
// passes it on.
struct UserInvite {
  std::optional<std::string> from;
  std::optional<std::string> to;
  std::string reason;
  std::optional<Continuation> continuation;
  bool operator==(const UserInvite&) const = default;
};

struct UserDecline {
  std::optional<std::string> from;
  std::optional<std::string> to;
  std::string reason;
  bool operator==(const UserDecline&) const = default;
};

// <destroy/> in the unavailable presence of a destroyed room (§10.9): an alternate venue,
// why, and the venue's password if the owner gave one.
struct UserDestroy {
  std::optional<std::string> jid;
  std::string reason;
  std::optional<std::string> password;
  bool operator==(const UserDestroy&) const = default;
};

struct UserX {
  std::vector<UserInvite> invites;
  std::vector<UserDecline> declines;
  std::vector<UserItem> items;
  std::optional<UserDestroy> destroy;
  std::optional<std::string> password;
  std::vector<int> status_codes;  // written in this order: callers sort them
  bool operator==(const UserX&) const = default;
};

// Reads <x xmlns='http://jabber.org/protocol/muc#user'/>; other children are ignored.
// Throws PayloadError ("unknown affiliation", "unknown role", "bad status code") on a value
// XEP-0045 does not define, so a bad-request can quote it.
UserX parse_user_x(const xmpp::Element& x);
// Children in the order invite, decline, item, destroy, password, status; attributes in
// schema order. Stanzas the room sends have always had this shape, byte for byte.
xmpp::Element to_element(const UserX& x);

// The pieces to_element writes, for the occupant presence the room sends most: appended to
// an <x/> in the same order and shape, without building a UserX first.
xmpp::Element empty_user_x();
void add_item(xmpp::Element& x, const UserItem& item);
void add_destroy(xmpp::Element& x, const UserDestroy& destroy);
void add_status_codes(xmpp::Element& x, const std::vector<int>& codes);

}  // namespace commonroom::muc
