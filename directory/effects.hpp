// What the directory service asks its shell to do after one stanza: stanzas to send, etc.
#pragma once
#include <string>
#include <vector>

#include "xmpp/element.hpp"

namespace commonroom::directory {

struct Effects {
  std::vector<xmpp::Element> outbound;  // stanzas to write to the link, in order
  // Stanzas dropped without any reply (no valid 'from', misrouted, ...), one reason each,
  // for the log.
  std::vector<std::string> dropped;
};

}  // namespace commonroom::directory
