#include "muc/payloads/user_x.hpp"

#include <charconv>

#include "xmpp/namespaces.hpp"
#include "xmpp/payloads/payload_error.hpp"

namespace commonroom::muc {

namespace {

constexpr std::string_view kNs = xmpp::ns::muc_user;

std::optional<std::string> attr_of(const xmpp::Element& e, std::string_view name) {
  if (const std::string* v = e.find_attr(name)) return *v;
  return std::nullopt;
}

std::optional<Continuation> read_continuation(const xmpp::Element& parent) {
  const xmpp::Element* c = parent.find_child("continue", kNs);
  if (!c) return std::nullopt;
  return Continuation{attr_of(*c, "thread")};
}

UserItem read_item(const xmpp::Element& item) {
  UserItem out;
  if (const std::string* a = item.find_attr("affiliation")) {
    out.affiliation = affiliation_from_string(*a);
    if (!out.affiliation) throw xmpp::PayloadError("unknown affiliation");
  }
  if (const std::string* r = item.find_attr("role")) {
    out.role = role_from_string(*r);
    if (!out.role) throw xmpp::PayloadError("unknown role");
  }
  out.jid = attr_of(item, "jid");
  out.nick = attr_of(item, "nick");
  if (const xmpp::Element* actor = item.find_child("actor", kNs)) {
    out.actor = UserActor{attr_of(*actor, "jid"), attr_of(*actor, "nick")};
  }
  out.continuation = read_continuation(item);
  out.reason = item.child_text("reason", kNs);
  return out;
}

int read_status_code(const xmpp::Element& status) {
  std::string_view code = status.attr("code");
  int value = 0;
  auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), value);
  // The schema's range: three digits.
  if (code.empty() || ec != std::errc() || end != code.data() + code.size() || value < 100 ||
      value > 999) {
    throw xmpp::PayloadError("bad status code");
  }
  return value;
}

void write_continuation(xmpp::Element& parent, const std::optional<Continuation>& c) {
  if (!c) return;
  xmpp::Element& e = parent.add_child("continue");
  if (c->thread) e.set_attr("thread", *c->thread);
}

void write_reason(xmpp::Element& parent, const std::string& reason) {
  if (!reason.empty()) parent.add_text_child("reason", reason);
}

void write_from_to(xmpp::Element& e, const std::optional<std::string>& from,
                   const std::optional<std::string>& to) {
  if (from) e.set_attr("from", *from);
  if (to) e.set_attr("to", *to);
}

}  // namespace

UserX parse_user_x(const xmpp::Element& x) {
  if (!x.is("x", kNs)) {
    throw xmpp::PayloadError("expected <x xmlns='" + std::string(kNs) + "'/>");
  }
  UserX out;
  for (const xmpp::Element* child : x.child_elements()) {
    if (child->xmlns() != kNs) continue;
    const std::string& name = child->name();
    if (name == "invite") {
      out.invites.push_back(UserInvite{attr_of(*child, "from"), attr_of(*child, "to"),
                                       child->child_text("reason", kNs),
                                       read_continuation(*child)});
    } else if (name == "decline") {
      out.declines.push_back(UserDecline{attr_of(*child, "from"), attr_of(*child, "to"),
                                         child->child_text("reason", kNs)});
    } else if (name == "item") {
      out.items.push_back(read_item(*child));
    } else if (name == "destroy" && !out.destroy) {
      UserDestroy d{attr_of(*child, "jid"), child->child_text("reason", kNs), std::nullopt};
      if (const xmpp::Element* pw = child->find_child("password", kNs)) d.password = pw->text();
      out.destroy = std::move(d);
    } else if (name == "password" && !out.password) {
      out.password = child->text();
    } else if (name == "status") {
      out.status_codes.push_back(read_status_code(*child));
    }
  }
  return out;
}

xmpp::Element empty_user_x() {
  return xmpp::Element("x", std::string(kNs));
}

void add_item(xmpp::Element& x, const UserItem& item) {
  xmpp::Element& e = x.add_child("item");
  if (item.affiliation) e.set_attr("affiliation", to_string(*item.affiliation));
  if (item.jid) e.set_attr("jid", *item.jid);
  if (item.nick) e.set_attr("nick", *item.nick);
  if (item.role) e.set_attr("role", to_string(*item.role));
  if (item.actor) {
    xmpp::Element& actor = e.add_child("actor");
    if (item.actor->jid) actor.set_attr("jid", *item.actor->jid);
    if (item.actor->nick) actor.set_attr("nick", *item.actor->nick);
  }
  write_continuation(e, item.continuation);
  write_reason(e, item.reason);
}

void add_destroy(xmpp::Element& x, const UserDestroy& destroy) {
  xmpp::Element& e = x.add_child("destroy");
  if (destroy.jid) e.set_attr("jid", *destroy.jid);
  write_reason(e, destroy.reason);
  if (destroy.password) e.add_text_child("password", *destroy.password);
}

void add_status_codes(xmpp::Element& x, const std::vector<int>& codes) {
  for (int code : codes) x.add_child("status").set_attr("code", std::to_string(code));
}

xmpp::Element to_element(const UserX& x) {
  xmpp::Element out = empty_user_x();
  for (const UserInvite& invite : x.invites) {
    xmpp::Element& e = out.add_child("invite");
    write_from_to(e, invite.from, invite.to);
    write_reason(e, invite.reason);
    write_continuation(e, invite.continuation);
  }
  for (const UserDecline& decline : x.declines) {
    xmpp::Element& e = out.add_child("decline");
    write_from_to(e, decline.from, decline.to);
    write_reason(e, decline.reason);
  }
  for (const UserItem& item : x.items) add_item(out, item);
  if (x.destroy) add_destroy(out, *x.destroy);
  if (x.password) out.add_text_child("password", *x.password);
  add_status_codes(out, x.status_codes);
  return out;
}

}  // namespace commonroom::muc
