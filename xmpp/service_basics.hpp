// What every commonroom service answers on its bare domain: disco, ping, version, errors.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/payloads/data_form.hpp"
#include "xmpp/payloads/disco.hpp"
#include "xmpp/stanza.hpp"
#include "xmpp/stanza_error.hpp"

namespace commonroom::xmpp {

// The answer to a disco#items request on the domain: the items, or an error to send.
using DiscoItemsAnswer = std::variant<DiscoItems, StanzaError>;

struct ServiceDescription {
  std::string domain;  // the component domain, e.g. conference.cam.example
  DiscoIdentity identity;
  // Features the service itself implements. disco#info, disco#items, urn:xmpp:ping and
  // jabber:iq:version are answered here and always advertised; don't repeat them.
  std::vector<std::string> features;
  std::vector<DataForm> extensions;  // XEP-0128 extended information
  std::string software_name = "commonroom";
  std::string software_version;
  // The operating system is not disclosed unless set: it only helps attackers.
  std::optional<std::string> os;
  // disco#items on the domain; gets the requester and the request (node, RSM). Unset: no
  // items without a node, item-not-found with one.
  std::function<DiscoItemsAnswer(const Jid& from, const DiscoItems& request)> items;
};

// A stanza with sound addressing: a message, presence or iq from a valid JID to a JID on
// this service's domain.
struct Routed {
  Jid from;
  Jid to;
  StanzaKind kind = StanzaKind::other;
};
// A stanza that cannot be answered at all; `reason` is for the log.
struct Dropped {
  std::string reason;
};
using Routing = std::variant<Routed, Dropped>;

class ServiceBasics {
 public:
  // Throws JidError when the domain is not a valid domain JID.
  explicit ServiceBasics(ServiceDescription description);

  const Jid& domain() const { return domain_; }
  const ServiceDescription& description() const { return description_; }
  // The disco#info result for the domain (no node).
  const DiscoInfo& disco_info() const { return info_; }

  // Checks addressing before anything else: no 'from' or an invalid one cannot even be
  // answered with jid-malformed, and a 'to' outside this domain was misrouted.
  Routing route(const Element& stanza) const;

  // The reply to a stanza addressed to the domain itself (to has no node), or nullopt when
  // none is due: iq results and errors are never answered, and messages and presences to
  // the domain are left to the service. Any iq get/set the service did not handle first
  // gets the RFC 6120 error (see the .cpp for which condition when).
  std::optional<Element> answer(const Element& stanza, const Routed& routed) const;

 private:
  ServiceDescription description_;
  Jid domain_;
  DiscoInfo info_;
};

// An error reply to `stanza`, or nullopt when the stanza is itself an error or an iq result
// (RFC 6120 §8.3.1: those are never answered, which is what stops error loops).
std::optional<Element> refuse(const Element& stanza, const StanzaError& error);

}  // namespace commonroom::xmpp
