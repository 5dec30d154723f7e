// libFuzzer target for JID preparation (RFC 7622 via ICU stringprep): any bytes either parse
// or are refused with an error text, and what parses is stable: preparing the prepared form
// again gives the same JID, and its bare part is a prefix of the full one.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "xmpp/jid.hpp"

using commonroom::xmpp::Jid;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string why;
  auto jid = Jid::try_parse(text, &why);
  if (!jid) {
    if (why.empty()) std::abort();  // every refusal says why
    return 0;
  }
  auto again = Jid::try_parse(jid->full());
  if (!again || !(*again == *jid)) std::abort();  // preparation is idempotent
  if (jid->full().substr(0, jid->bare_str().size()) != jid->bare_str()) std::abort();
  if (jid->bare().full() != jid->bare_str()) std::abort();
  return 0;
}
