// The service configuration (commonroom.ini): typed settings plus every error found.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "admin-web/sign_in_settings.hpp"
#include "directory/search_settings.hpp"
#include "directory/sync_settings.hpp"
#include "policies/policy_settings.hpp"
#include "xmpp/stream_parser.hpp"

namespace commonroom::app {

// One external component (XEP-0114) the service connects as.
struct ServiceSettings {
  std::string domain;
  std::string secret;
};

// [links]: how to reach the host server's component listener (XEP-0114) and keep each
// service's host connection healthy. The section keeps its name: operators' files use it.
struct HostServerSettings {
  std::string host = "127.0.0.1";
  uint16_t port = 5347;
  std::chrono::seconds keepalive{60};
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{60000};
  // TCP connect, and the host's stream header + handshake answer, must come within these.
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds handshake_timeout{10000};
  xmpp::StreamLimits limits;
};

struct LoggingSettings {
  std::string channel = "console";  // console | file
  std::string file;                 // required when channel == "file"
  std::string level = "information";
  std::map<std::string, std::string> levels;  // logger name -> level (level.<logger>)
};

// [abuse-log]: how room events are made durable before the stanzas they cause are sent
// (store/event_log.hpp). Used when both [muc] and [database] are configured.
struct AbuseLogSettings {
  // Absolute after loading; default "abuse-log-journal" in $STATE_DIRECTORY (systemd's
  // StateDirectory=) or else beside the configuration file.
  std::string journal_dir;
  bool journal_first = true;  // mode = journal-first (the default, decision 0077) | database-first
  size_t max_batch_events = 10000;
  std::chrono::milliseconds database_timeout{1000};
  uint64_t segment_bytes = 64ull << 20;
  std::chrono::milliseconds replay_interval{1000};  // journal-first: how often it is copied
};

// [policy] retention_days and retention_check_hours: how long room events are kept before the
// retention job purges them (app/retention_job.hpp). Rooms and users under a legal hold are
// never purged.
struct RetentionSettings {
  int days = 0;  // 0 = keep forever (the default: the University's records policy decides)
  std::chrono::hours check_interval{24};
};

struct Config {
  std::string path;
  HostServerSettings host_server;  // [links]
  std::optional<ServiceSettings> muc;
  std::optional<ServiceSettings> directory;
  directory::SearchSettings directory_search;  // [directory] search keys (defaults if absent)
  std::string database_uri;                    // empty when [database] is absent
  // [muc] unlogged_rooms_for_development: rooms run without [database], unlogged, and say so
  // (no status 170, logging shown off, no archive). Without it [muc] requires [database].
  bool unlogged_rooms_for_development = false;
  std::string admin_host = "127.0.0.1";
  uint16_t admin_port = 8480;
  admin_web::SignInSettings admin_sign_in;  // [admin-web] sign-in keys
  std::string admin_tls_certificate;        // [admin-web] tls_certificate (PEM), or empty
  std::string admin_tls_private_key;        // [admin-web] tls_private_key (PEM), or empty
  LoggingSettings logging;
  AbuseLogSettings abuse_log;
  std::optional<directory::LdapSettings> ldap;  // [ldap]: the directory sync; absent = none
  // [policy]: the campus rules for rooms (docs/policies.md). local_domains defaults to the
  // [muc] domain's parent (conference.cam.example -> cam.example).
  policies::PolicySettings policy;
  RetentionSettings retention;  // [policy] retention_* keys
};

// One problem in the file; line is 0 when the error is not tied to a line (e.g. a missing
// key or an environment override).
struct ConfigError {
  std::string file, section, key, message;
  int line = 0;
  std::string env;  // the COMMONROOM_* variable that supplied the value, if any
  std::string to_string() const;
};

// Returns the config or every error found (not just the first).
struct ConfigResult {
  std::optional<Config> config;
  std::vector<ConfigError> errors;
  std::vector<ConfigError> warnings;  // e.g. a secret file readable by every user
};

// Reads the file, applies COMMONROOM_<SECTION>_<KEY> environment overrides and validates.
ConfigResult load_config(const std::string& path);

// The loggers that accept a per-logger level (level.<name>).
const std::vector<std::string>& known_loggers();
// Every (section, key) the configuration reader accepts, in reading order; `check-config
// --keys` prints them so the reference documentation can be checked against the code.
std::vector<std::pair<std::string, std::string>> known_keys();

}  // namespace commonroom::app
