// Element tree -> XML text, with correct escaping and minimal namespace declarations.
#pragma once
#include <string>
#include <string_view>

#include "xmpp/element.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::xmpp {

// Appends escaped character data: & < > (and \r, so it survives attribute-value/line-end
// normalisation on the other side).
void append_escaped_text(std::string& out, std::string_view text);
// Appends an escaped attribute value for single-quoted attributes: & < > ' " and \t \n \r.
void append_escaped_attr(std::string& out, std::string_view value);

// Serializes `e` as it would appear inside a parent whose default namespace is
// `parent_xmlns` (for stanzas on a component stream: jabber:component:accept, which is
// then not repeated on every stanza).
void serialize(const Element& e, std::string& out,
               std::string_view parent_xmlns = ns::component_accept);
std::string to_string(const Element& e, std::string_view parent_xmlns = ns::component_accept);

// A stanza serialized once and written to many recipients with only `to` changed: the
// fan-out path of the rooms service. Layout is prefix + escaped(to) + suffix, where the
// prefix is "<message to='" and the suffix is the rest of the stanza; any `to` already on
// the element is ignored.
class FanoutStanza {
 public:
  explicit FanoutStanza(const Element& stanza,
                        std::string_view parent_xmlns = ns::component_accept);
  const std::string& prefix() const { return prefix_; }
  const std::string& suffix() const { return suffix_; }
  // Appends the full stanza addressed to `to` (an unescaped JID string).
  void append_to(std::string& out, std::string_view to) const;
  std::string for_recipient(std::string_view to) const;

 private:
  std::string prefix_;
  std::string suffix_;
};

}  // namespace commonroom::xmpp
