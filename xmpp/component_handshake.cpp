#include "xmpp/component_handshake.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>

#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace commonroom::xmpp {

std::string component_handshake_digest(std::string_view stream_id, std::string_view secret) {
  Poco::SHA1Engine sha1;
  sha1.update(stream_id.data(), static_cast<unsigned>(stream_id.size()));
  sha1.update(secret.data(), static_cast<unsigned>(secret.size()));
  return Poco::DigestEngine::digestToHex(sha1.digest());  // lowercase, as XEP-0114 requires
}

bool parse_stream_error(const Element& element, std::string& condition, std::string& text) {
  if (!element.is("error", ns::stream)) return false;
  condition.clear();
  text.clear();
  for (const Element* child : element.child_elements()) {
    if (child->xmlns() != ns::streams) continue;
    if (child->name() == "text") {
      text = child->text();
    } else if (condition.empty()) {
      condition = child->name();
    }
  }
  // RFC 6120 requires a condition; a server that forgets one still ended the stream.
  if (condition.empty()) condition = "undefined-condition";
  return true;
}

std::string stream_error_bytes(std::string_view condition, std::string_view text) {
  Element error("error", std::string(ns::stream));
  error.add_child(std::string(condition), std::string(ns::streams));
  if (!text.empty()) error.add_text_child("text", text, std::string(ns::streams));
  // The stream prefix is declared on our stream header, so write it with the prefix.
  std::string out = "<stream:error>";
  for (const Element& child : error.nodes()) serialize(child, out, ns::stream);
  out += "</stream:error></stream:stream>";
  return out;
}

ComponentHandshake::ComponentHandshake(std::string domain, std::string secret)
    : domain_(std::move(domain)), secret_(std::move(secret)) {}

std::string ComponentHandshake::open() {
  state_ = State::awaiting_header;
  stream_id_.clear();
  failure_ = {};
  std::string out =
      "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
      "xmlns:stream='http://etherx.jabber.org/streams' to='";
  append_escaped_attr(out, domain_);
  out += "'>";
  return out;
}

std::string ComponentHandshake::on_stream_open(const Element& header) {
  if (state_ != State::awaiting_header) {
    fail(FailureKind::protocol_error, "invalid-xml",
         "the host server sent a second stream header for " + domain_);
    return {};
  }
  if (!header.is("stream", ns::stream)) {
    fail(FailureKind::protocol_error, "invalid-namespace",
         "the host server's stream header for " + domain_ + " is not a stream in namespace " +
             std::string(ns::stream));
    return {};
  }
  // Parsers differ in whether they report namespace declarations as attributes; when the
  // default namespace is visible it must be the component one.
  if (const std::string* xmlns = header.find_attr("xmlns");
      xmlns != nullptr && *xmlns != ns::component_accept) {
    fail(FailureKind::protocol_error, "invalid-namespace",
         "the host server answered " + domain_ + " with namespace '" + *xmlns +
             "' instead of jabber:component:accept");
    return {};
  }
  std::string_view id = header.attr("id");
  if (id.empty()) {
    fail(FailureKind::protocol_error, "invalid-xml",
         "the host server's stream header for " + domain_ +
             " has no id, so no handshake can be computed");
    return {};
  }
  stream_id_ = std::string(id);
  state_ = State::awaiting_handshake;
  std::string out = "<handshake>";
  out += component_handshake_digest(stream_id_, secret_);
  out += "</handshake>";
  return out;
}

void ComponentHandshake::on_element(const Element& element) {
  if (state_ == State::connected || state_ == State::failed) return;
  std::string condition, text;
  if (parse_stream_error(element, condition, text)) {
    std::string what;
    if (condition == "not-authorized") {
      what = "the host server refused the component secret for " + domain_;
    } else if (condition == "host-unknown" || condition == "improper-addressing") {
      what = "the host server does not accept a component named " + domain_ +
             " (is it configured there?)";
    } else if (condition == "conflict") {
      what = "the host server already has a component connected as " + domain_;
    } else {
      what = "the host server ended the stream for " + domain_;
    }
    if (!text.empty()) what += " (\"" + text + "\")";
    fail(FailureKind::refused, condition, std::move(what));
    return;
  }
  if (state_ == State::awaiting_handshake && element.name() == "handshake") {
    if (element.xmlns() != ns::component_accept) {
      fail(FailureKind::protocol_error, "invalid-namespace",
           "the host server confirmed the handshake for " + domain_ + " in namespace '" +
               element.xmlns() + "' instead of jabber:component:accept");
      return;
    }
    state_ = State::connected;
    return;
  }
  std::string where = state_ == State::awaiting_header ? "before its stream header"
                                                       : "before confirming the handshake";
  fail(FailureKind::protocol_error, "unsupported-stanza-type",
       "the host server sent <" + element.name() + "/> for " + domain_ + " " + where);
}

void ComponentHandshake::on_stream_close() {
  if (state_ == State::connected || state_ == State::failed) return;
  fail(FailureKind::closed, "",
       "the host server closed the stream for " + domain_ + " before the handshake completed");
}

void ComponentHandshake::fail(FailureKind kind, std::string condition, std::string text) {
  state_ = State::failed;
  failure_ = Failure{kind, std::move(condition), std::move(text)};
}

}  // namespace commonroom::xmpp
