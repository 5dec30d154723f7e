// What the admin web shows about one component link; filled by app/ from its runtime.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
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

// The abuse log as operators need to see it: is PostgreSQL taking events, and how much is
// waiting in the local journal (issue 4: "the backlog size is visible").
struct AbuseLogState {
  bool database_connected = false;
  uint64_t backlog_events = 0;  // durable in the journal, not yet in PostgreSQL
  uint64_t backlog_bytes = 0;
  uint64_t durable_events = 0;   // since start
  uint64_t replayed_events = 0;  // journal -> PostgreSQL since start
  double last_commit_seconds = 0;
  std::string last_error;
};
// nullopt: no abuse log (no [muc] or no [database]). Same thread rules as StatusSource.
using AbuseLogSource = std::function<std::optional<AbuseLogState>()>;

// Everything the pages read from the running service.
struct SiteSources {
  StatusSource status;
  AbuseLogSource abuse_log;  // may be empty
};

}  // namespace commonroom::admin_web
