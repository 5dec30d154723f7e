// The client side of the XEP-0114 (jabber:component:accept) handshake, as a pure state machine.
#pragma once
#include <string>
#include <string_view>

#include "xmpp/element.hpp"

namespace commonroom::xmpp {

// Lowercase hex SHA-1 of stream id + secret: the <handshake/> character data (XEP-0114 §3).
std::string component_handshake_digest(std::string_view stream_id, std::string_view secret);

// Owns no IO: the host connection feeds it the parser's events and sends what it returns.
class ComponentHandshake {
 public:
  enum class State {
    idle,                // nothing sent yet
    awaiting_header,     // our stream header sent, waiting for the server's
    awaiting_handshake,  // <handshake>digest</handshake> sent, waiting for <handshake/>
    connected,           // authenticated: stanzas may flow
    failed,              // see failure()
  };

  enum class FailureKind {
    none,
    refused,         // the server sent a stream error (not-authorized, host-unknown, ...)
    protocol_error,  // the server broke XEP-0114 (no id, wrong namespace, unexpected element)
    closed,          // the server closed the stream before the handshake completed
  };

  struct Failure {
    FailureKind kind = FailureKind::none;
    // A stream error condition (RFC 6120 §4.9.3): the server's for `refused`, the one we send
    // back for `protocol_error` ("invalid-namespace", "invalid-xml", ...); empty for `closed`.
    std::string condition;
    // One human sentence, naming the domain, e.g.
    // "the host server refused the component secret for conference.cam.example".
    std::string text;
  };

  ComponentHandshake(std::string domain, std::string secret);

  // The stream header to send right after connecting.
  std::string open();
  // The server's stream header; returns the <handshake> element to send ("" on failure).
  std::string on_stream_open(const Element& header);
  // A top-level element received before the handshake completed: <handshake/> connects, a
  // <stream:error/> or anything else fails. Once connected the host connection handles elements
  // itself and calls this no more (a call then is ignored).
  void on_element(const Element& element);
  // The server closed the stream (</stream:stream> or end of input).
  void on_stream_close();

  State state() const { return state_; }
  bool connected() const { return state_ == State::connected; }
  bool failed() const { return state_ == State::failed; }
  const Failure& failure() const { return failure_; }
  const std::string& stream_id() const { return stream_id_; }
  const std::string& domain() const { return domain_; }

 private:
  void fail(FailureKind kind, std::string condition, std::string text);

  std::string domain_;
  std::string secret_;
  State state_ = State::idle;
  std::string stream_id_;
  Failure failure_;
};

// The parts of a <stream:error/> (RFC 6120 §4.9): its condition element's name and the
// optional <text/>. Returns false when `element` is not a stream error.
bool parse_stream_error(const Element& element, std::string& condition, std::string& text);

// A serialized <stream:error> with the given condition and optional text, followed by
// </stream:stream> (the stream is closed after a stream error).
std::string stream_error_bytes(std::string_view condition, std::string_view text);

}  // namespace commonroom::xmpp
