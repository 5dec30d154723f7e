// Serialized stanzas made fit for a trace log: room passwords and private form values out.
#pragma once
#include <string>
#include <string_view>

namespace commonroom::xmpp {

// `xml` (stanzas as serialized or received) with the text of every <password/> element
// (muc join, mediated invitation) and every <value/> of a form field of type text-private or
// named like a secret (muc#roomconfig_roomsecret) replaced by "[redacted]". Works on the
// text, so the hot path pays nothing unless trace logging is on.
std::string redact_secrets(std::string_view xml);

}  // namespace commonroom::xmpp
