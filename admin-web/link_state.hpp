// What the admin web shows about the running service (host connections, abuse log,
// directory sync); filled by app/ from its runtime.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "xmpp/host_connection_status.hpp"

namespace commonroom::admin_web {

// The status of each host connection, as the runtime reports it.
using xmpp::HostConnectionStatus;

// Called on HTTP worker threads; must be thread-safe and cheap (a snapshot).
using StatusSource = std::function<std::vector<HostConnectionStatus>()>;

// The effective [policy] as (key, value) rows in the file's words; it changes on a reload.
// Same thread rules as StatusSource.
using PolicySource = std::function<std::vector<std::pair<std::string, std::string>>()>;

// The abuse log as operators need to see it: is PostgreSQL taking events, and how much is
// waiting in the local journal (the backlog must be visible).
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

// The directory sync as operators watch it: is LDAP being copied, and when did
// that last work or fail. Read from PostgreSQL, so syncs run by `commonroom directory sync`
// from cron count too.
struct DirectorySyncState {
  bool readable = false;    // the last attempt to read the status from PostgreSQL worked
  uint64_t people = 0;      // stored in PostgreSQL (what the search serves after a reload)
  std::string last_status;  // of the latest run: ok, partial, failed, running; "" if none
  // Unix times in seconds; nullopt: never.
  std::optional<double> last_success;  // the last ok or partial run finished
  std::optional<double> last_full_success;
  std::optional<double> last_failure;
  std::string last_failure_message;
};
// nullopt: no directory sync ([ldap] or [database] missing). Same thread rules as
// StatusSource.
using DirectorySyncSource = std::function<std::optional<DirectorySyncState>()>;

// Everything the pages read from the running service.
struct SiteSources {
  StatusSource status;
  AbuseLogSource abuse_log;            // may be empty
  DirectorySyncSource directory_sync;  // may be empty
  // Rooms run without an abuse log (development only): every page says so loudly.
  bool rooms_unlogged = false;
};

}  // namespace commonroom::admin_web
