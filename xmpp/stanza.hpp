// Small helpers for the three stanza kinds: what a stanza is, and the plain iq result.
#pragma once
#include <optional>
#include <string_view>

#include "xmpp/element.hpp"

namespace commonroom::xmpp {

enum class StanzaKind { message, presence, iq, other };
enum class IqType { get, set, result, error };

// A stanza is a message, presence or iq in the component or client namespace; anything
// else on a stream (handshake, stream error, ...) is `other`.
StanzaKind stanza_kind(const Element& e);
std::string_view to_string(StanzaKind kind);
// The iq's type, or nullopt when `e` is not an iq or its type is missing or unknown.
std::optional<IqType> iq_type(const Element& e);
bool is_error(const Element& stanza);  // type='error'
// True for stanzas that must never be answered: errors of any kind and iq results.
bool is_error_or_result(const Element& stanza);

// The iq result for `iq`: to/from swapped, same id, type='result', no payload (add one with
// add_child). Same element namespace as the request.
Element make_iq_result(const Element& iq);
Element make_iq_result(const Element& iq, Element payload);

}  // namespace commonroom::xmpp
