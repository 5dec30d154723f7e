// The stanza errors XEP-0045 gives a type other than RFC 6120's default for the condition;
// every other error the engine sends comes from the xmpp::StanzaError factories.
#pragma once
#include <string>

#include "xmpp/stanza_error.hpp"

namespace commonroom::muc {

// not-acceptable of type cancel (XEP-0045's examples; the default is modify): sending again
// cannot help, e.g. a non-occupant's message or a nickname the policy refuses.
inline xmpp::StanzaError muc_not_acceptable(std::string text) {
  return xmpp::StanzaError(xmpp::Condition::not_acceptable, xmpp::ErrorType::cancel,
                           std::move(text));
}

// service-unavailable of type wait (§7.2.10, a full room; the default is cancel): the same
// join may succeed once someone leaves.
inline xmpp::StanzaError room_full(std::string text) {
  return xmpp::StanzaError(xmpp::Condition::service_unavailable, xmpp::ErrorType::wait,
                           std::move(text));
}

}  // namespace commonroom::muc
