#include "admin-web/pages/status_page.hpp"

#include <Poco/Net/HTTPServerResponse.h>

#include <string>

namespace commonroom::admin_web {

// No authentication yet, deliberately: this page shows only the version and the state of
// the service's own links: no personal data, and there are no actions to protect. Pages
// that show rooms, logs or people, or that change anything, come with login, roles and
// CSRF tokens.
void StatusPage::handleRequest(Poco::Net::HTTPServerRequest&,
                               Poco::Net::HTTPServerResponse& response) {
  const auto links = site_.status();
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>commonroom status</title></head>\n<body>\n<h1>commonroom</h1>\n";
  if (site_.rooms_unlogged) {
    // First on the page and in plain HTML (the CSP allows no inline style): nobody looking
    // at the status may miss that the rooms keep no log.
    html +=
        "<div id=\"rooms-unlogged\" role=\"alert\"><h2>ROOMS ARE NOT LOGGED</h2>\n<p>This "
        "service runs with [muc] unlogged_rooms_for_development: there is no abuse log and no "
        "archive, rooms tell everyone who enters that they are not logged, and persistent "
        "rooms are lost on restart. For development only; never for real users.</p></div>\n";
  }
  html += "<p>Version " + html_escape(site_.version) + "</p>\n<h2>Component links</h2>\n";
  if (links.empty()) {
    html += "<p>No services are configured.</p>\n";
  } else {
    html +=
        "<table>\n<thead><tr><th>Domain</th><th>State</th><th>Connects</th><th>Stanzas in</th>"
        "<th>Stanzas out</th><th>Last error</th></tr></thead>\n<tbody>\n";
    for (const auto& link : links) {
      html += "<tr><td>" + html_escape(link.domain) + "</td><td>" +
              (link.connected ? "connected" : "disconnected") + "</td><td>" +
              std::to_string(link.connects) + "</td><td>" + std::to_string(link.stanzas_in) +
              "</td><td>" + std::to_string(link.stanzas_out) + "</td><td>" +
              html_escape(link.last_error) + "</td></tr>\n";
    }
    html += "</tbody>\n</table>\n";
  }
  if (auto log = site_.abuse_log_state()) {
    html += "<h2>Abuse log</h2>\n<p>PostgreSQL: " +
            std::string(log->database_connected ? "writing" : "not reachable, journal only") +
            ". Backlog: " + std::to_string(log->backlog_events) + " event(s), " +
            std::to_string(log->backlog_bytes) + " byte(s) waiting for PostgreSQL.";
    if (!log->last_error.empty()) html += " Last error: " + html_escape(log->last_error);
    html += "</p>\n";
  }
  html +=
      "<p><a href=\"/healthz\">/healthz</a> · <a href=\"/metrics\">/metrics</a></p>\n"
      "</body></html>\n";
  send(response, 200, "text/html; charset=utf-8", html);
}

}  // namespace commonroom::admin_web
