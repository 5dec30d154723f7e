// What the admin web shows about one component link; filled by app/ from its runtime.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace commonroom::admin_web {

struct LinkState {
  std::string domain;
  bool connected = false;
  uint64_t connects = 0;  // successful handshakes since start
  uint64_t stanzas_in = 0;
  uint64_t stanzas_out = 0;
  std::string last_error;
};

// Called on HTTP worker threads; must be thread-safe and cheap (a snapshot).
using StatusSource = std::function<std::vector<LinkState>()>;

}  // namespace commonroom::admin_web
