// Response helpers shared by every admin page: security headers, escaping, error pages.
#pragma once
#include <string>
#include <string_view>

#include "admin-web/link_state.hpp"

namespace Poco::Net {
class HTTPServerResponse;
}

namespace commonroom::admin_web {

// What pages need besides the request: fixed at server start.
struct SiteContext {
  std::string version;
  StatusSource status;
  AbuseLogSource abuse_log;            // may be empty
  DirectorySyncSource directory_sync;  // may be empty
  bool rooms_unlogged = false;         // see SiteSources
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

// A small HTML page for 4xx/5xx answers; title and message are escaped.
void send_error_page(Poco::Net::HTTPServerResponse& response, int status, std::string_view title,
                     std::string_view message);

std::string html_escape(std::string_view text);

}  // namespace commonroom::admin_web
