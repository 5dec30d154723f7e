#include "admin-web/http.hpp"

#include <Poco/Net/HTTPServerResponse.h>

#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

void send(Poco::Net::HTTPServerResponse& response, int status, std::string_view content_type,
          const std::string& body) {
  response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  response.setContentType(std::string(content_type));
  response.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("X-Frame-Options", "DENY");
  response.set("Referrer-Policy", "no-referrer");
  // Status changes second by second; a cached copy would mislead whoever reads it.
  response.set("Cache-Control", "no-store");
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  response.sendBuffer(body.data(), body.size());
}

void send_error_page(Poco::Net::HTTPServerResponse& response, int status, std::string_view title,
                     std::string_view message) {
  mstch::map context{{"title", std::string(title)},
                     {"message", std::string(message)},
                     {"sign_in", status == 401 || status == 403}};
  send(response, status, "text/html; charset=utf-8", render_template("error", context));
}

void send_redirect(Poco::Net::HTTPServerResponse& response, const std::string& location) {
  response.set("Location", location);
  send(response, 302, "text/plain; charset=utf-8", "See " + location + "\n");
}

std::string local_path_or_root(const std::string& next) {
  if (next.size() < 1 || next[0] != '/' || next.starts_with("//") ||
      next.find_first_of("\\\r\n") != std::string::npos)
    return "/";
  return next;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace commonroom::admin_web
