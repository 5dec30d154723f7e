#include "xmpp/payloads/rsm.hpp"

#include <charconv>
#include <limits>

#include "xmpp/namespaces.hpp"
#include "xmpp/payloads/payload_error.hpp"

namespace commonroom::xmpp {

namespace {

[[noreturn]] void fail(const std::string& problem) {
  throw PayloadError("rsm set: " + problem);
}

// XEP-0059's schema types the numbers as xs:int; negative values have no meaning.
uint32_t parse_number(std::string_view what, std::string_view text) {
  constexpr uint32_t kMax = static_cast<uint32_t>(std::numeric_limits<int32_t>::max());
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > kMax) {
    fail(std::string(what) + " must be an integer from 0 to 2147483647, got \"" +
         std::string(text) + "\"");
  }
  return value;
}

template <typename T>
void set_once(std::optional<T>& slot, std::string_view name, T value) {
  if (slot) fail("<" + std::string(name) + "/> appears more than once");
  slot = std::move(value);
}

}  // namespace

RsmSet parse_rsm_set(const Element& set) {
  if (!set.is("set", ns::rsm)) fail("expected <set xmlns='" + std::string(ns::rsm) + "'/>");
  RsmSet out;
  for (const Element* child : set.child_elements()) {
    if (child->xmlns() != ns::rsm) continue;  // foreign extensions are ignored
    const std::string& name = child->name();
    std::string text = child->text();
    if (name == "max") {
      set_once(out.max, name, parse_number("<max/>", text));
    } else if (name == "index") {
      set_once(out.index, name, parse_number("<index/>", text));
    } else if (name == "count") {
      set_once(out.count, name, parse_number("<count/>", text));
    } else if (name == "after") {
      // "Before the first item" is expressed by leaving <after/> out, never by emptiness.
      if (text.empty()) fail("<after/> must contain the UID of an item");
      set_once(out.after, name, std::move(text));
    } else if (name == "before") {
      set_once(out.before, name, std::move(text));
    } else if (name == "first") {
      if (const std::string* index = child->find_attr("index")) {
        out.first_index = parse_number("the index attribute of <first/>", *index);
      }
      // An empty page carries no <first/>/<last/> at all (XEP-0059 §2.2).
      if (text.empty()) fail("<first/> must contain the UID of an item");
      set_once(out.first, name, std::move(text));
    } else if (name == "last") {
      if (text.empty()) fail("<last/> must contain the UID of an item");
      set_once(out.last, name, std::move(text));
    }
    // Unknown names in the rsm namespace: a later revision's additions, ignored.
  }
  if (out.after && out.before) fail("<after/> and <before/> cannot both be given");
  return out;
}

Element to_element(const RsmSet& set) {
  Element e("set", std::string(ns::rsm));
  auto number = [&](std::string name, const std::optional<uint32_t>& v) {
    if (v) e.add_text_child(std::move(name), std::to_string(*v));
  };
  auto text = [&](std::string name, const std::optional<std::string>& v) {
    if (v) e.add_text_child(std::move(name), *v);
  };
  // Requests then responses, in the order of XEP-0059's examples.
  number("max", set.max);
  text("after", set.after);
  text("before", set.before);
  number("index", set.index);
  if (set.first) {
    Element& first = e.add_text_child("first", *set.first);
    if (set.first_index) first.set_attr("index", std::to_string(*set.first_index));
  }
  text("last", set.last);
  number("count", set.count);
  return e;
}

}  // namespace commonroom::xmpp
