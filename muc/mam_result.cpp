#include "muc/mam_result.hpp"

#include <algorithm>

#include "muc/features/feature.hpp"
#include "muc/timestamp.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/payloads/rsm.hpp"
#include "xmpp/stanza_error.hpp"

namespace commonroom::muc {

namespace {

constexpr std::string_view kForward = "urn:xmpp:forward:0";  // XEP-0297

// Moves an element received in the component namespace into jabber:client, where
// forwarded stanzas live (XEP-0297 §3), children included.
void to_client_namespace(xmpp::Element& e) {
  if (e.xmlns() == xmpp::ns::component_accept) e.set_xmlns(std::string(xmpp::ns::client));
  for (auto& node : e.nodes()) {
    if (!node.is_text()) to_client_namespace(node);
  }
}

// The message as the room reflected it: the sender's stanza from the log, readdressed from
// the occupant JID and cleaned of ids only the room sets (the same rules as the live
// reflection). Without a usable raw stanza, rebuilt from the nick and the body.
xmpp::Element archived_message(const MamQuery& q, const ArchivedMessage& m) {
  const std::string client(xmpp::ns::client);
  if (!m.raw.empty()) {
    try {
      xmpp::Element in = xmpp::parse_element(m.raw);
      if (in.name() == "message") {
        strip_ids(in, q.room);
        in.remove_attr("to");
        in.set_attr("from", q.room + "/" + m.nick);
        in.set_attr("type", "groupchat");
        in.set_attr("id", m.stanza_id);
        to_client_namespace(in);
        return in;
      }
    } catch (const std::exception&) {
      // A stanza the log kept but cannot be read back: fall through to the plain form.
    }
  }
  xmpp::Element inner("message", client);
  inner.set_attr("from", q.room + "/" + m.nick);
  inner.set_attr("type", "groupchat");
  inner.set_attr("id", m.stanza_id);
  inner.add_text_child("body", m.body, client);
  return inner;
}

xmpp::Element result_message(const MamQuery& q, const ArchivedMessage& m) {
  const std::string ns(xmpp::ns::component_accept);
  xmpp::Element msg("message", ns);
  msg.set_attr("from", q.room);
  msg.set_attr("to", q.requester);
  xmpp::Element& result = msg.add_child("result", std::string(xmpp::ns::mam));
  if (!q.query_id.empty()) result.set_attr("queryid", q.query_id);
  result.set_attr("id", m.stanza_id);
  xmpp::Element& fwd = result.add_child("forwarded", std::string(kForward));
  fwd.add_child("delay", std::string(xmpp::ns::delay)).set_attr("stamp", format_timestamp(m.at));
  // §5.1.2 of XEP-0313: the archived groupchat message as occupants saw it.
  xmpp::Element& inner = fwd.add_child(archived_message(q, m));
  // XEP-0421 §5: occupant-ids on archived messages too, from the same key as live ones.
  if (!m.sender.empty() && !q.occupant_id_key.empty()) {
    add_occupant_id(inner, occupant_id_of(q.occupant_id_key, m.sender));
  }
  xmpp::Element& sid = inner.add_child("stanza-id", std::string(xmpp::ns::sid));
  sid.set_attr("id", m.stanza_id);
  sid.set_attr("by", q.room);
  return msg;
}

}  // namespace

std::vector<xmpp::Element> mam_response(const MamQuery& query, const MamPage& page) {
  std::vector<xmpp::Element> out;
  out.reserve(page.items.size() + 1);
  std::vector<const ArchivedMessage*> order;
  for (const auto& m : page.items) order.push_back(&m);
  if (query.flip_page) std::reverse(order.begin(), order.end());
  for (const ArchivedMessage* m : order) out.push_back(result_message(query, *m));

  xmpp::Element iq("iq", std::string(xmpp::ns::component_accept));
  iq.set_attr("from", query.room);
  iq.set_attr("to", query.requester);
  iq.set_attr("id", query.iq_id);
  iq.set_attr("type", "result");
  xmpp::Element& fin = iq.add_child("fin", std::string(xmpp::ns::mam));
  if (page.complete) fin.set_attr("complete", "true");
  xmpp::RsmSet set;
  if (!page.items.empty()) {
    // RSM first/last follow the archive's order, not the flipped one (XEP-0313 §4.3.3).
    set.first = page.items.front().stanza_id;
    set.first_index = page.first_index;
    set.last = page.items.back().stanza_id;
  }
  set.count = page.count;
  fin.add_child(xmpp::to_element(set));
  out.push_back(std::move(iq));
  return out;
}

xmpp::Element mam_error(const MamQuery& query, const xmpp::StanzaError& error) {
  xmpp::Element iq("iq", std::string(xmpp::ns::component_accept));
  iq.set_attr("from", query.room);
  iq.set_attr("to", query.requester);
  iq.set_attr("id", query.iq_id);
  iq.set_attr("type", "error");
  iq.add_child(xmpp::to_element(error));
  return iq;
}

}  // namespace commonroom::muc
