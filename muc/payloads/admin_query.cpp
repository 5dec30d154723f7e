#include "muc/payloads/admin_query.hpp"

#include "xmpp/namespaces.hpp"
#include "xmpp/payloads/payload_error.hpp"

namespace commonroom::muc {

AdminQuery parse_admin_query(const xmpp::Element& query) {
  if (!query.is("query", xmpp::ns::muc_admin)) {
    throw xmpp::PayloadError("expected <query xmlns='" + std::string(xmpp::ns::muc_admin) + "'/>");
  }
  AdminQuery out;
  for (const xmpp::Element* item : query.children("item", xmpp::ns::muc_admin)) {
    AdminItem& parsed = out.items.emplace_back();
    if (const std::string* a = item->find_attr("affiliation")) {
      parsed.affiliation = affiliation_from_string(*a);
      if (!parsed.affiliation) throw xmpp::PayloadError("unknown affiliation");
    }
    if (const std::string* r = item->find_attr("role")) {
      parsed.role = role_from_string(*r);
      if (!parsed.role) throw xmpp::PayloadError("unknown role");
    }
    if (const std::string* jid = item->find_attr("jid")) parsed.jid = *jid;
    if (const std::string* nick = item->find_attr("nick")) parsed.nick = *nick;
    parsed.reason = item->child_text("reason", xmpp::ns::muc_admin);
  }
  return out;
}

xmpp::Element to_element(const AdminQuery& query) {
  xmpp::Element q("query", std::string(xmpp::ns::muc_admin));
  for (const AdminItem& item : query.items) {
    xmpp::Element& it = q.add_child("item");
    if (item.affiliation) it.set_attr("affiliation", std::string(to_string(*item.affiliation)));
    if (item.jid) it.set_attr("jid", *item.jid);
    if (item.nick) it.set_attr("nick", *item.nick);
    if (item.role) it.set_attr("role", std::string(to_string(*item.role)));
    if (!item.reason.empty()) it.add_text_child("reason", item.reason);
  }
  return q;
}

}  // namespace commonroom::muc
