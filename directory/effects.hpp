// What the directory service asks its shell to do after one stanza: stanzas to send, and
// stanzas dropped without a reply (the outbox every service fills).
#pragma once
#include "xmpp/outbox.hpp"

namespace commonroom::directory {

using Effects = xmpp::Outbox;

}  // namespace commonroom::directory
