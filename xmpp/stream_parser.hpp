// XMPP stream parser on Xerces-C++ SAX2: one never-ending document in, stream events out.
#pragma once
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

#include "xmpp/element.hpp"

namespace commonroom::xmpp {

// A stream-level error to send before closing (RFC 6120 §4.9.3): condition is the element
// name in urn:ietf:params:xml:ns:xmpp-streams, e.g. "not-well-formed", "restricted-xml",
// "policy-violation", "unsupported-encoding", "invalid-namespace"; text explains it.
class StreamError : public std::runtime_error {
 public:
  StreamError(std::string condition, std::string text)
      : std::runtime_error(condition + ": " + text),
        condition_(std::move(condition)),
        text_(std::move(text)) {}
  const std::string& condition() const { return condition_; }
  const std::string& text() const { return text_; }

 private:
  std::string condition_;
  std::string text_;
};

struct StreamLimits {
  size_t max_stanza_bytes = 256 * 1024;  // bytes of one top-level stanza as received
  size_t max_depth = 32;                 // element nesting inside a stanza
};

// Where the parser pulls bytes from. read() blocks until at least one byte is available
// and returns how many it wrote; 0 means the peer closed the connection.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual size_t read(char* buffer, size_t capacity) = 0;
};

class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  // The <stream:stream> open tag, as an element with its attributes (no children).
  virtual void on_stream_open(const Element& header) = 0;
  // One complete top-level element (stanza, <handshake/>, <stream:error/>, ...).
  virtual void on_stanza(Element&& stanza) = 0;
  virtual void on_stream_close() = 0;
};

class StreamParser {
 public:
  StreamParser(ByteSource& source, StreamHandler& handler, StreamLimits limits = {});
  ~StreamParser();
  StreamParser(const StreamParser&) = delete;
  StreamParser& operator=(const StreamParser&) = delete;

  // Parses until at least one event was delivered or the stream ended. Returns false once
  // the stream has closed (</stream:stream> or end of input). Throws StreamError.
  bool next();
  // Runs next() until it returns false.
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace commonroom::xmpp
