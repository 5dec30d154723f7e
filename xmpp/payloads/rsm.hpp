// XEP-0059 result set management: the <set/> that pages disco#items, search and MAM results.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "xmpp/element.hpp"

namespace commonroom::xmpp {

struct RsmSet {
  // Request side.
  std::optional<uint32_t> max;        // page size; 0 asks for the count only
  std::optional<std::string> after;   // page after this UID
  std::optional<std::string> before;  // page before this UID; "" (empty <before/>) = last page
  std::optional<uint32_t> index;      // page starting at this position
  // Response side.
  std::optional<std::string> first;     // UID of the first item in the page
  std::optional<uint32_t> first_index;  // 'index' attribute of <first/>
  std::optional<std::string> last;      // UID of the last item in the page
  std::optional<uint32_t> count;        // items in the full result set

  bool wants_last_page() const { return before && before->empty(); }
  bool operator==(const RsmSet&) const = default;
};

// Parses <set xmlns='http://jabber.org/protocol/rsm'/>. Throws PayloadError on a repeated
// element, a number that is not a non-negative xs:int, an empty <after/>, <first/> or
// <last/>, or both <after/> and <before/>.
RsmSet parse_rsm_set(const Element& set);
Element to_element(const RsmSet& set);

}  // namespace commonroom::xmpp
