#include "xmpp/service_basics.hpp"

#include "xmpp/namespaces.hpp"
#include "xmpp/payloads/payload_error.hpp"
#include "xmpp/payloads/version.hpp"

namespace commonroom::xmpp {

namespace {

// Attribute values quoted in log reasons are cut short: they come from the network.
std::string quoted_for_log(std::string_view value) {
  constexpr size_t kMax = 128;
  std::string out = "\"";
  out.append(value.substr(0, kMax));
  if (value.size() > kMax) out += "...";
  out += '"';
  return out;
}

void add_feature(std::vector<std::string>& features, std::string_view var) {
  for (const auto& f : features) {
    if (f == var) return;
  }
  features.emplace_back(var);
}

// Error choice (RFC 6120 §8.3.3 and §8.4):
//  - a namespace nobody here implements: service-unavailable (§8.4: "SHOULD return ...
//    <service-unavailable/>"), which also reveals nothing about what does exist;
//  - a namespace implemented here used with an element name or iq type it does not
//    define (e.g. set on ping): feature-not-implemented (§8.3.3.3: "understands the
//    namespace but does not recognize the element name");
//  - a broken iq (no id, no type, not exactly one payload) or a payload that breaks its
//    XEP: bad-request (§8.2.3, §8.3.3.1).
StanzaError not_defined_here(std::string_view what) {
  return StanzaError::feature_not_implemented(std::string(what));
}

}  // namespace

ServiceBasics::ServiceBasics(ServiceDescription description)
    : description_(std::move(description)), domain_(Jid::parse(description_.domain)) {
  if (domain_.has_node() || domain_.has_resource()) {
    throw JidError("domain \"" + description_.domain + "\" must be a bare domain");
  }
  info_.identities.push_back(description_.identity);
  add_feature(info_.features, ns::disco_info);
  add_feature(info_.features, ns::disco_items);
  for (const auto& f : description_.features) add_feature(info_.features, f);
  add_feature(info_.features, ns::ping);
  add_feature(info_.features, ns::version);
  info_.extensions = description_.extensions;
}

Routing ServiceBasics::route(const Element& stanza) const {
  StanzaKind kind = stanza_kind(stanza);
  if (kind == StanzaKind::other) {
    return Dropped{"not a stanza: <" + stanza.name() + " xmlns='" + stanza.xmlns() + "'>"};
  }
  std::string kind_name(to_string(kind));
  const std::string* from = stanza.find_attr("from");
  if (!from) return Dropped{kind_name + " without a 'from' address"};
  std::string why;
  auto from_jid = Jid::try_parse(*from, &why);
  if (!from_jid) {
    return Dropped{kind_name + " with an invalid 'from' " + quoted_for_log(*from) + ": " + why};
  }
  const std::string* to = stanza.find_attr("to");
  if (!to) return Dropped{kind_name + " from " + std::string(from_jid->full()) + " without 'to'"};
  auto to_jid = Jid::try_parse(*to, &why);
  if (!to_jid) {
    return Dropped{kind_name + " from " + std::string(from_jid->full()) + " with an invalid 'to' " +
                   quoted_for_log(*to) + ": " + why};
  }
  if (to_jid->domain() != domain_.domain()) {
    return Dropped{kind_name + " from " + std::string(from_jid->full()) + " addressed to " +
                   std::string(to_jid->full()) + ", which is not on " +
                   std::string(domain_.domain())};
  }
  return Routed{std::move(*from_jid), std::move(*to_jid), kind};
}

std::optional<Element> ServiceBasics::answer(const Element& stanza, const Routed& routed) const {
  if (routed.kind != StanzaKind::iq) return std::nullopt;
  std::optional<IqType> type = iq_type(stanza);
  if (type == IqType::result || type == IqType::error) return std::nullopt;
  if (!type) {
    return refuse(stanza, StanzaError::bad_request("iq type must be get, set, result or error"));
  }
  if (!stanza.has_attr("id")) return refuse(stanza, StanzaError::bad_request("iq has no id"));
  if (routed.to.has_resource()) {
    // Nothing lives at domain/resource.
    return refuse(stanza, StanzaError::service_unavailable());
  }
  auto payloads = stanza.child_elements();
  if (payloads.size() != 1) {
    return refuse(stanza, StanzaError::bad_request(
                              "an iq get or set must contain exactly one payload element"));
  }
  const Element& payload = *payloads.front();
  const std::string& xmlns = payload.xmlns();
  bool get = type == IqType::get;

  try {
    if (xmlns == ns::disco_info) {
      if (payload.name() != "query" || !get) {
        return refuse(stanza, not_defined_here("disco#info supports only get of <query/>"));
      }
      DiscoInfo request = parse_disco_info(payload);
      if (!request.node.empty()) {
        return refuse(stanza, StanzaError::item_not_found("no such node"));
      }
      return make_iq_result(stanza, to_element(info_));
    }
    if (xmlns == ns::disco_items) {
      if (payload.name() != "query" || !get) {
        return refuse(stanza, not_defined_here("disco#items supports only get of <query/>"));
      }
      DiscoItems request = parse_disco_items(payload);
      DiscoItemsAnswer result;
      if (description_.items) {
        result = description_.items(routed.from, request);
      } else if (!request.node.empty()) {
        result = StanzaError::item_not_found("no such node");
      } else {
        result = DiscoItems{};
      }
      if (const auto* error = std::get_if<StanzaError>(&result)) return refuse(stanza, *error);
      DiscoItems items = std::get<DiscoItems>(std::move(result));
      items.node = request.node;  // XEP-0030 §4.1: the response mirrors the node
      return make_iq_result(stanza, to_element(items));
    }
    if (xmlns == ns::ping) {
      if (payload.name() != "ping" || !get) {
        return refuse(stanza, not_defined_here("urn:xmpp:ping supports only get of <ping/>"));
      }
      return make_iq_result(stanza);
    }
    if (xmlns == ns::version) {
      if (payload.name() != "query" || !get) {
        return refuse(stanza, not_defined_here("jabber:iq:version supports only get of <query/>"));
      }
      SoftwareVersion v{description_.software_name, description_.software_version, description_.os};
      return make_iq_result(stanza, to_element(v));
    }
  } catch (const PayloadError& e) {
    return refuse(stanza, StanzaError::bad_request(e.what()));
  }
  return refuse(stanza, StanzaError::service_unavailable());
}

std::optional<Element> refuse(const Element& stanza, const StanzaError& error) {
  if (is_error_or_result(stanza)) return std::nullopt;
  return make_error_reply(stanza, error);
}

}  // namespace commonroom::xmpp
