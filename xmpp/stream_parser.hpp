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
// What StreamParser raises:
//   not-well-formed       anything Xerces refuses (mismatched tags, bad attribute syntax,
//                         undefined prefix, undeclared entity, bad characters, a second
//                         root...); text = Xerces' message plus line and column
//   restricted-xml        DOCTYPE (hence any DTD or entity declaration) and any other "<!"
//                         markup but comments and CDATA, comments, processing instructions
//                         (RFC 6120 §11.1); the XML declaration is allowed
//   unsupported-encoding  an encoding declaration other than UTF-8, or bytes that are not
//                         valid UTF-8 (RFC 3629: overlong forms, surrogates, > U+10FFFF) —
//                         RFC 6120 §4.9.3.22 names "violating the rules of UTF-8" here
//   invalid-namespace     the root element is not {http://etherx.jabber.org/streams}stream
//   bad-format            non-whitespace character data between stanzas; an XML
//                         declaration with a version other than 1.0
//   policy-violation      a StreamLimits limit was exceeded
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

// max_stanza_bytes also bounds the stream header (with the prolog before it) and each run of
// character data between stanzas, so no input makes the parser buffer more than that; names
// and attribute values need no cap of their own. Bytes after the first one that breaks a
// limit are never handed to Xerces.
struct StreamLimits {
  size_t max_stanza_bytes = 256 * 1024;  // bytes of one top-level stanza as received
  size_t max_depth = 32;                 // element nesting inside a stanza (the stanza is 1)
  size_t max_attributes = 64;            // attributes on any one element
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
  // The <stream:stream> open tag, as an element named "stream" in
  // http://etherx.jabber.org/streams with its attributes (id, from, to, version, xml:lang...)
  // and no children. Namespace declarations are not attributes, with one exception: the
  // default namespace declared on the header (the stream's content namespace, e.g.
  // jabber:component:accept) is kept as the attribute "xmlns", absent when none was
  // declared, so a host connection can check it and answer <invalid-namespace/>.
  virtual void on_stream_open(const Element& header) = 0;
  // One complete top-level element (stanza, <handshake/>, <stream:error/>, ...). Every
  // element carries its resolved namespace ("" for none); attributes are keyed by their
  // qualified name without any xmlns declarations, except that an element using a prefixed
  // attribute other than xml:* keeps the matching "xmlns:p" so it serializes back correctly.
  // Adjacent text (character data, references, CDATA) is merged into one text node.
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
  // Delivers exactly one event per call: the header, one stanza, or the close (that call
  // returns false). Reads from the source only when the bytes it has do not complete the
  // next event. Exceptions from the source or the handler pass through unchanged. After any
  // exception the parser is dead: next() returns false.
  bool next();
  // Runs next() until it returns false.
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace commonroom::xmpp
