#include "xmpp/stanza.hpp"

#include "xmpp/namespaces.hpp"

namespace commonroom::xmpp {

StanzaKind stanza_kind(const Element& e) {
  if (e.is_text() || (e.xmlns() != ns::component_accept && e.xmlns() != ns::client)) {
    return StanzaKind::other;
  }
  if (e.name() == "message") return StanzaKind::message;
  if (e.name() == "presence") return StanzaKind::presence;
  if (e.name() == "iq") return StanzaKind::iq;
  return StanzaKind::other;
}

std::string_view to_string(StanzaKind kind) {
  switch (kind) {
    case StanzaKind::message:
      return "message";
    case StanzaKind::presence:
      return "presence";
    case StanzaKind::iq:
      return "iq";
    case StanzaKind::other:
      return "other";
  }
  return "other";
}

std::optional<IqType> iq_type(const Element& e) {
  if (stanza_kind(e) != StanzaKind::iq) return std::nullopt;
  std::string_view type = e.attr("type");
  if (type == "get") return IqType::get;
  if (type == "set") return IqType::set;
  if (type == "result") return IqType::result;
  if (type == "error") return IqType::error;
  return std::nullopt;
}

bool is_error(const Element& stanza) {
  return stanza.attr("type") == "error";
}

bool is_error_or_result(const Element& stanza) {
  if (is_error(stanza)) return true;
  return stanza.name() == "iq" && stanza.attr("type") == "result";
}

Element make_iq_result(const Element& iq) {
  Element reply("iq", iq.xmlns());
  if (const std::string* from = iq.find_attr("from")) reply.set_attr("to", *from);
  if (const std::string* to = iq.find_attr("to")) reply.set_attr("from", *to);
  if (const std::string* id = iq.find_attr("id")) reply.set_attr("id", *id);
  reply.set_attr("type", "result");
  return reply;
}

Element make_iq_result(const Element& iq, Element payload) {
  Element reply = make_iq_result(iq);
  reply.add_child(std::move(payload));
  return reply;
}

}  // namespace commonroom::xmpp
