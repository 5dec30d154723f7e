// How a request's body is delimited, checked before any page sees it. Two parsers that
// disagree on where a body ends (a reverse proxy in front of us and POCO) let a body be
// read as a second request; so anything but one plain Content-Length or exactly
// "Transfer-Encoding: chunked" is refused, and a request that carried a body ends the
// connection after its answer.
#pragma once
#include <optional>
#include <string>

namespace Poco::Net {
class HTTPRequest;
}

namespace commonroom::admin_web {

struct FramingFault {
  int status;  // 400 or 501
  std::string title;
  std::string message;
};

// Why the request's framing is refused, or nullopt when it is unambiguous:
// - a header name that is not an RFC 9110 token (e.g. "Transfer-Encoding :"): 400;
// - Content-Length and Transfer-Encoding together, or either given twice: 400;
// - a Content-Length that is not a plain decimal number: 400;
// - a Transfer-Encoding other than "chunked": 501 (RFC 9112 section 6.1).
std::optional<FramingFault> framing_fault(const Poco::Net::HTTPRequest& request);

// True when the request announces a body (any Transfer-Encoding, or a Content-Length other
// than 0). Its connection is closed after the answer, whether or not a page read the body.
bool announces_body(const Poco::Net::HTTPRequest& request);

}  // namespace commonroom::admin_web
