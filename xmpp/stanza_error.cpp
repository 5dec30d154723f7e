#include "xmpp/stanza_error.hpp"

#include <array>
#include <utility>

#include "xmpp/payloads/payload_error.hpp"
#include "xmpp/serializer.hpp"

namespace commonroom::xmpp {

namespace {

struct ConditionInfo {
  Condition condition;
  std::string_view name;
  ErrorType type;
};

// Default types follow the definitions and examples of RFC 6120 §8.3.3.1-22.
constexpr std::array<ConditionInfo, 22> kConditions{{
    {Condition::bad_request, "bad-request", ErrorType::modify},
    {Condition::conflict, "conflict", ErrorType::cancel},
    {Condition::feature_not_implemented, "feature-not-implemented", ErrorType::cancel},
    {Condition::forbidden, "forbidden", ErrorType::auth},
    {Condition::gone, "gone", ErrorType::cancel},
    {Condition::internal_server_error, "internal-server-error", ErrorType::cancel},
    {Condition::item_not_found, "item-not-found", ErrorType::cancel},
    {Condition::jid_malformed, "jid-malformed", ErrorType::modify},
    {Condition::not_acceptable, "not-acceptable", ErrorType::modify},
    {Condition::not_allowed, "not-allowed", ErrorType::cancel},
    {Condition::not_authorized, "not-authorized", ErrorType::auth},
    {Condition::policy_violation, "policy-violation", ErrorType::modify},
    {Condition::recipient_unavailable, "recipient-unavailable", ErrorType::wait},
    {Condition::redirect, "redirect", ErrorType::modify},
    {Condition::registration_required, "registration-required", ErrorType::auth},
    {Condition::remote_server_not_found, "remote-server-not-found", ErrorType::cancel},
    {Condition::remote_server_timeout, "remote-server-timeout", ErrorType::wait},
    {Condition::resource_constraint, "resource-constraint", ErrorType::wait},
    {Condition::service_unavailable, "service-unavailable", ErrorType::cancel},
    {Condition::subscription_required, "subscription-required", ErrorType::auth},
    {Condition::undefined_condition, "undefined-condition", ErrorType::cancel},
    {Condition::unexpected_request, "unexpected-request", ErrorType::wait},
}};

constexpr bool in_enum_order() {
  for (size_t i = 0; i < kConditions.size(); ++i) {
    if (static_cast<size_t>(kConditions[i].condition) != i) return false;
  }
  return true;
}
static_assert(in_enum_order(), "kConditions is indexed by Condition");

constexpr std::array<std::pair<ErrorType, std::string_view>, 5> kTypes{{
    {ErrorType::auth, "auth"},
    {ErrorType::cancel, "cancel"},
    {ErrorType::continue_, "continue"},
    {ErrorType::modify, "modify"},
    {ErrorType::wait, "wait"},
}};

const ConditionInfo& info(Condition c) {
  return kConditions[static_cast<size_t>(c)];
}

bool carries_address(Condition c) {
  return c == Condition::gone || c == Condition::redirect;
}

}  // namespace

std::string_view to_string(ErrorType type) {
  return kTypes[static_cast<size_t>(type)].second;
}

std::string_view to_string(Condition condition) {
  return info(condition).name;
}

std::optional<ErrorType> error_type_from_string(std::string_view s) {
  for (const auto& [type, name] : kTypes) {
    if (name == s) return type;
  }
  return std::nullopt;
}

std::optional<Condition> condition_from_string(std::string_view s) {
  for (const auto& c : kConditions) {
    if (c.name == s) return c.condition;
  }
  return std::nullopt;
}

ErrorType default_type(Condition condition) {
  return info(condition).type;
}

#define COMMONROOM_CONDITION_FACTORY(fn)                \
  StanzaError StanzaError::fn(std::string text) {       \
    return StanzaError(Condition::fn, std::move(text)); \
  }
COMMONROOM_CONDITION_FACTORY(bad_request)
COMMONROOM_CONDITION_FACTORY(conflict)
COMMONROOM_CONDITION_FACTORY(feature_not_implemented)
COMMONROOM_CONDITION_FACTORY(forbidden)
COMMONROOM_CONDITION_FACTORY(internal_server_error)
COMMONROOM_CONDITION_FACTORY(item_not_found)
COMMONROOM_CONDITION_FACTORY(jid_malformed)
COMMONROOM_CONDITION_FACTORY(not_acceptable)
COMMONROOM_CONDITION_FACTORY(not_allowed)
COMMONROOM_CONDITION_FACTORY(not_authorized)
COMMONROOM_CONDITION_FACTORY(policy_violation)
COMMONROOM_CONDITION_FACTORY(recipient_unavailable)
COMMONROOM_CONDITION_FACTORY(registration_required)
COMMONROOM_CONDITION_FACTORY(remote_server_not_found)
COMMONROOM_CONDITION_FACTORY(remote_server_timeout)
COMMONROOM_CONDITION_FACTORY(resource_constraint)
COMMONROOM_CONDITION_FACTORY(service_unavailable)
COMMONROOM_CONDITION_FACTORY(subscription_required)
COMMONROOM_CONDITION_FACTORY(undefined_condition)
COMMONROOM_CONDITION_FACTORY(unexpected_request)
#undef COMMONROOM_CONDITION_FACTORY

StanzaError StanzaError::gone(std::string new_address, std::string text) {
  StanzaError e(Condition::gone, std::move(text));
  e.alternate = std::move(new_address);
  return e;
}

StanzaError StanzaError::redirect(std::string new_address, std::string text) {
  StanzaError e(Condition::redirect, std::move(text));
  e.alternate = std::move(new_address);
  return e;
}

std::string StanzaError::describe() const {
  std::string out(to_string(type));
  out += '/';
  out += to_string(condition);
  if (!alternate.empty()) {
    out += " (";
    out += alternate;
    out += ')';
  }
  if (!text.empty()) {
    out += ": ";
    out += text;
  }
  return out;
}

bool StanzaError::operator==(const StanzaError& o) const {
  if (condition != o.condition || type != o.type || text != o.text || lang != o.lang ||
      by != o.by || alternate != o.alternate ||
      application.has_value() != o.application.has_value()) {
    return false;
  }
  return !application || to_string(*application) == to_string(*o.application);
}

StanzaError parse_stanza_error(const Element& error) {
  if (error.is_text() || error.name() != "error") {
    throw PayloadError("stanza error: expected an <error/> element, got <" + error.name() + "/>");
  }
  StanzaError out;
  const std::string* type = error.find_attr("type");
  if (!type) throw PayloadError("stanza error: the 'type' attribute is missing");
  auto parsed_type = error_type_from_string(*type);
  if (!parsed_type) {
    throw PayloadError("stanza error: type '" + *type +
                       "' is not one of auth, cancel, continue, modify, wait");
  }
  out.type = *parsed_type;
  out.by = std::string(error.attr("by"));

  bool have_condition = false;
  bool have_text = false;
  for (const Element* child : error.child_elements()) {
    if (child->xmlns() != ns::stanzas) {
      // RFC 6120 §8.3.2: at most one application-specific condition; keep the first.
      if (!out.application) out.application = *child;
      continue;
    }
    if (child->name() == "text") {
      // Several <text/> in different languages are allowed; the first one is kept.
      if (!have_text) {
        out.text = child->text();
        out.lang = std::string(child->attr("xml:lang"));
        have_text = true;
      }
      continue;
    }
    auto condition = condition_from_string(child->name());
    if (!condition) {
      throw PayloadError("stanza error: <" + child->name() + "/> is not a defined condition");
    }
    if (have_condition) {
      throw PayloadError("stanza error: more than one defined condition (<" +
                         std::string(to_string(out.condition)) + "/> and <" + child->name() +
                         "/>)");
    }
    out.condition = *condition;
    if (carries_address(*condition)) out.alternate = child->text();
    have_condition = true;
  }
  if (!have_condition) throw PayloadError("stanza error: no defined condition element");
  return out;
}

Element to_element(const StanzaError& error, std::string_view stanza_xmlns) {
  Element e("error", std::string(stanza_xmlns));
  e.set_attr("type", to_string(error.type));
  if (!error.by.empty()) e.set_attr("by", error.by);
  Element& condition =
      e.add_child(std::string(to_string(error.condition)), std::string(ns::stanzas));
  if (carries_address(error.condition)) condition.add_text(error.alternate);
  if (!error.text.empty()) {
    Element& text = e.add_text_child("text", error.text, std::string(ns::stanzas));
    if (!error.lang.empty()) text.set_attr("xml:lang", error.lang);
  }
  if (error.application) e.add_child(*error.application);
  return e;
}

Element make_error_reply(const Element& stanza, const StanzaError& error) {
  Element reply(stanza.name(), stanza.xmlns());
  if (const std::string* from = stanza.find_attr("from")) reply.set_attr("to", *from);
  if (const std::string* to = stanza.find_attr("to")) reply.set_attr("from", *to);
  if (const std::string* id = stanza.find_attr("id")) reply.set_attr("id", *id);
  reply.set_attr("type", "error");
  if (stanza.name() != "iq") {
    for (const Element& node : stanza.nodes()) {
      if (node.is_text() || node.is("error", stanza.xmlns())) continue;
      reply.add_child(node);
    }
  }
  reply.add_child(to_element(error, stanza.xmlns()));
  return reply;
}

}  // namespace commonroom::xmpp
