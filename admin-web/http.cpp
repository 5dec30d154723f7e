#include "admin-web/http.hpp"

#include <Poco/Net/HTTPServerResponse.h>

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
  std::string t = html_escape(title);
  std::string body = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                     t + "</title></head>\n<body><h1>" + t + "</h1><p>" + html_escape(message) +
                     "</p><p><a href=\"/\">Service status</a></p></body></html>\n";
  send(response, status, "text/html; charset=utf-8", body);
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
