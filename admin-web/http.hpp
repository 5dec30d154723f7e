// Response helpers shared by every admin page: security headers, escaping, error pages.
#pragma once
#include <string>
#include <string_view>

#include <vector>

#include "admin-web/link_state.hpp"
#include "admin-web/sign_in_settings.hpp"

namespace Poco::Net {
class HTTPServerResponse;
}

namespace commonroom::admin_web {

class AdminStore;
class RoomCommands;
class DirectoryActions;
class AbuseDesk;

// What pages need besides the request: fixed at server start.
struct SiteContext {
  std::string version;
  StatusSource status;
  AbuseLogSource abuse_log;               // may be empty
  DirectorySyncSource directory_sync;     // may be empty
  AdminStore* store = nullptr;            // null without [database]: nobody can sign in
  RoomCommands* room_commands = nullptr;  // null without [muc]: rooms are read-only
  // Sync now and opt-outs; null without [database] (the directory pages are then read-only).
  DirectoryActions* directory_actions = nullptr;
  AbuseDesk* abuse_desk = nullptr;  // null without [database]: no abuse workspace
  // The effective [policy] for the policy page; empty: none.
  PolicySource policy;
  SignInSettings sign_in;
  std::string public_url;                  // sign_in.public_url, or http://<listen address>
  std::vector<std::string> allowed_hosts;  // Host header values accepted (DNS rebinding)
  bool secure_cookies() const { return public_url.starts_with("https://"); }
  bool rooms_unlogged = false;  // see SiteSources
  std::optional<AbuseLogState> abuse_log_state() const {
    return abuse_log ? abuse_log() : std::nullopt;
  }
  std::optional<DirectorySyncState> directory_sync_state() const {
    return directory_sync ? directory_sync() : std::nullopt;
  }
};

// Sends body with status and content type, plus the headers every response carries
// (CSP, nosniff, frame denial, no referrer, no caching).
void send(Poco::Net::HTTPServerResponse& response, int status, std::string_view content_type,
          const std::string& body);

// A small HTML page for 4xx/5xx answers (through the "error" template, so escaped).
void send_error_page(Poco::Net::HTTPServerResponse& response, int status, std::string_view title,
                     std::string_view message);

// 302 to a path of this site.
void send_redirect(Poco::Net::HTTPServerResponse& response, const std::string& location);

// A path of this site to go back to after sign-in: "/" unless `next` is a local path
// (starts with one '/'), so a crafted link cannot send people elsewhere.
std::string local_path_or_root(const std::string& next);

}  // namespace commonroom::admin_web
