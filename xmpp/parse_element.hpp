// One XML fragment (a stanza or payload) -> Element, through the stream parser; for tools
// and tests that start from text rather than from a stream.
#pragma once
#include <string_view>

#include "xmpp/element.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/stream_parser.hpp"

namespace commonroom::xmpp {

// Parses exactly one element, as if it arrived on a stream whose default namespace is
// `stream_xmlns` (so an <iq/> without xmlns lands in jabber:component:accept). Whitespace
// around it is fine; anything else - no element, two elements, text, malformed XML, DTDs -
// throws StreamError, with the stream parser's usual limits and refusals.
Element parse_element(std::string_view xml, std::string_view stream_xmlns = ns::component_accept,
                      StreamLimits limits = {});

}  // namespace commonroom::xmpp
