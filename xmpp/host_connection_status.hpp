// What one host connection (the XEP-0114 component connection to the host server) is doing:
// a snapshot for logs, the admin web and tests. The one type every layer passes around.
#pragma once
#include <cstdint>
#include <string>

namespace commonroom::xmpp {

struct HostConnectionStatus {
  std::string domain;  // the component's domain
  bool connected = false;
  uint64_t connects = 0;  // successful handshakes since start
  uint64_t attempts = 0;  // connection attempts, successful or not
  uint64_t stanzas_in = 0;
  uint64_t stanzas_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t dropped = 0;    // stanzas given to send() while disconnected
  std::string last_error;  // empty until something failed
};

}  // namespace commonroom::xmpp
