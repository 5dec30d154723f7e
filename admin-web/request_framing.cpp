#include "admin-web/request_framing.hpp"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/String.h>

#include <string_view>

namespace commonroom::admin_web {

namespace {

constexpr std::string_view kTransferEncoding = "Transfer-Encoding";
constexpr std::string_view kContentLength = "Content-Length";
constexpr size_t kMaxLengthDigits = 18;  // fits in int64 whatever the digits

// RFC 9110 section 5.6.2 tchar.
bool is_token_char(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(const std::string& name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (!is_token_char(c)) return false;
  return true;
}

bool same_name(const std::string& a, std::string_view b) {
  return Poco::icompare(a, std::string(b)) == 0;
}

bool is_decimal(const std::string& value) {
  if (value.empty() || value.size() > kMaxLengthDigits) return false;
  for (char c : value)
    if (c < '0' || c > '9') return false;
  return true;
}

FramingFault bad_request(std::string message) {
  return {400, "Bad request", std::move(message)};
}

}  // namespace

std::optional<FramingFault> framing_fault(const Poco::Net::HTTPRequest& request) {
  int transfer_encodings = 0;
  int content_lengths = 0;
  std::string transfer_encoding;
  std::string content_length;
  for (const auto& [name, value] : request) {
    if (!is_token(name))
      return bad_request("A header field name is malformed (space before the colon?).");
    if (same_name(name, kTransferEncoding)) {
      ++transfer_encodings;
      transfer_encoding = Poco::trim(value);
    } else if (same_name(name, kContentLength)) {
      ++content_lengths;
      content_length = Poco::trim(value);
    }
  }
  if (transfer_encodings > 1 || content_lengths > 1)
    return bad_request("Content-Length and Transfer-Encoding may each be given once.");
  if (transfer_encodings && content_lengths)
    return bad_request("A request may not give both Content-Length and Transfer-Encoding.");
  if (content_lengths && !is_decimal(content_length))
    return bad_request("Content-Length must be a decimal number.");
  if (transfer_encodings && Poco::icompare(transfer_encoding, "chunked") != 0)
    return FramingFault{501, "Not implemented",
                        "This server takes a request body only with Content-Length or "
                        "Transfer-Encoding: chunked."};
  return std::nullopt;
}

bool announces_body(const Poco::Net::HTTPRequest& request) {
  if (request.has(std::string(kTransferEncoding))) return true;
  const std::string length = Poco::trim(request.get(std::string(kContentLength), "0"));
  return length != "0";
}

}  // namespace commonroom::admin_web
