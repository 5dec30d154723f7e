// RFC 6120 §8.3 stanza errors: the condition, type and text a service answers with.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/element.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::xmpp {

enum class ErrorType { auth, cancel, continue_, modify, wait };

// The 22 defined conditions of RFC 6120 §8.3.3, in the RFC's order.
enum class Condition {
  bad_request,
  conflict,
  feature_not_implemented,
  forbidden,
  gone,
  internal_server_error,
  item_not_found,
  jid_malformed,
  not_acceptable,
  not_allowed,
  not_authorized,
  policy_violation,
  recipient_unavailable,
  redirect,
  registration_required,
  remote_server_not_found,
  remote_server_timeout,
  resource_constraint,
  service_unavailable,
  subscription_required,
  undefined_condition,
  unexpected_request,
};

std::string_view to_string(ErrorType type);
std::string_view to_string(Condition condition);  // the element name, "item-not-found"
std::optional<ErrorType> error_type_from_string(std::string_view s);
std::optional<Condition> condition_from_string(std::string_view s);
// The type RFC 6120 §8.3.3 gives each condition in its definition and examples.
ErrorType default_type(Condition condition);

struct StanzaError {
  Condition condition = Condition::undefined_condition;
  ErrorType type = ErrorType::cancel;
  std::string text;  // human-readable <text/>; empty = none
  std::string lang;  // xml:lang of the text; empty = none
  std::string by;    // 'by' attribute: the entity that generated the error; empty = none
  // <gone/> and <redirect/>: the new address (an XMPP URI) carried as the condition's text.
  std::string alternate;
  // An application-specific condition element (in its own namespace).
  std::optional<Element> application;

  StanzaError() = default;
  explicit StanzaError(Condition c, std::string text = {})
      : condition(c), type(default_type(c)), text(std::move(text)) {}
  StanzaError(Condition c, ErrorType t, std::string text = {})
      : condition(c), type(t), text(std::move(text)) {}

  static StanzaError bad_request(std::string text = {});
  static StanzaError conflict(std::string text = {});
  static StanzaError feature_not_implemented(std::string text = {});
  static StanzaError forbidden(std::string text = {});
  static StanzaError gone(std::string new_address = {}, std::string text = {});
  static StanzaError internal_server_error(std::string text = {});
  static StanzaError item_not_found(std::string text = {});
  static StanzaError jid_malformed(std::string text = {});
  static StanzaError not_acceptable(std::string text = {});
  static StanzaError not_allowed(std::string text = {});
  static StanzaError not_authorized(std::string text = {});
  static StanzaError policy_violation(std::string text = {});
  static StanzaError recipient_unavailable(std::string text = {});
  static StanzaError redirect(std::string new_address = {}, std::string text = {});
  static StanzaError registration_required(std::string text = {});
  static StanzaError remote_server_not_found(std::string text = {});
  static StanzaError remote_server_timeout(std::string text = {});
  static StanzaError resource_constraint(std::string text = {});
  static StanzaError service_unavailable(std::string text = {});
  static StanzaError subscription_required(std::string text = {});
  static StanzaError undefined_condition(std::string text = {});
  static StanzaError unexpected_request(std::string text = {});

  // "cancel/service-unavailable: rooms are not open yet", for logs.
  std::string describe() const;

  // Application elements compare by their serialization (Element's own == is unusable
  // until Attribute gets an operator==).
  bool operator==(const StanzaError& o) const;
};

// Reads an <error/> child of a stanza. Throws PayloadError (xmpp/payloads/payload_error.hpp)
// when the type is missing or unknown, or there is not exactly one defined condition.
StanzaError parse_stanza_error(const Element& error);
// The <error/> element, in the namespace of the stanza it will go into.
Element to_element(const StanzaError& error, std::string_view stanza_xmlns = ns::component_accept);

// The error reply to `stanza` (RFC 6120 §8.3.1): same element and namespace, to/from
// swapped, same id, type='error', the <error/> appended. Messages and presences keep their
// original payload so the sender can see what failed (XEP-0045 relies on this for join
// errors); iq errors carry only the <error/>, keeping replies small.
// Never call it for a stanza of type 'error' (RFC 6120 §8.3.1 forbids answering those).
Element make_error_reply(const Element& stanza, const StanzaError& error);

}  // namespace commonroom::xmpp
