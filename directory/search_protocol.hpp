// XEP-0055 payloads of the directory search: the fields a client is offered (legacy
// elements and a jabber:iq:search data form), reading a request in either shape, and
// writing results in the shape the request came in, with XEP-0059 paging.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "directory/people_index.hpp"
#include "xmpp/element.hpp"
#include "xmpp/payloads/data_form.hpp"
#include "xmpp/payloads/rsm.hpp"
#include "xmpp/stanza_error.hpp"

namespace commonroom::directory {

// Field vars of the search and result forms. first/last/email are XEP-0055's registered
// fields; the others are ours and stay stable (scripts and bots rely on them).
namespace search_var {
inline constexpr std::string_view jid = "jid";
inline constexpr std::string_view name = "name";
inline constexpr std::string_view first = "first";
inline constexpr std::string_view last = "last";
inline constexpr std::string_view crsid = "crsid";
inline constexpr std::string_view email = "email";
inline constexpr std::string_view institution = "institution";
inline constexpr std::string_view affiliation = "affiliation";
// The list-single value that means "no restriction".
inline constexpr std::string_view any = "any";
}  // namespace search_var

// The search form offered to clients; institution options come from `index` (none when
// the directory is not loaded yet).
xmpp::DataForm search_form(const PeopleIndex* index);

// The <query xmlns='jabber:iq:search'/> answering a get: instructions, the legacy
// <first/><last/><nick/><email/> and the data form (XEP-0055 §2 and §3 in one reply).
xmpp::Element search_fields_query(const xmpp::DataForm& form);

enum class SearchFormat { legacy, form };

struct SearchSubmission {
  SearchFormat format = SearchFormat::legacy;
  bool cancelled = false;  // a form of type cancel: answered with an empty result
  PeopleQuery query;
  std::optional<xmpp::RsmSet> rsm;
};

// Reads a search set's <query/>. A data form wins over legacy elements when both are
// present; the legacy <nick/> searches CRSids (results carry the CRSid as nick, as
// ejabberd's LDAP vCard map does). Returns bad-request for a malformed form or <set/>
// and not-acceptable for a form that does not fit `offered` (e.g. an unknown institution).
std::variant<SearchSubmission, xmpp::StanzaError> parse_search_request(
    const xmpp::Element& query, const xmpp::DataForm& offered);

// The page a request asks for: `page_size` people unless its RSM <max/> asks for another
// size, and never more than `max_results`.
PageRequest page_request(const SearchSubmission& request, std::size_t page_size,
                         std::size_t max_results);

// The result <query/> in the request's format. A <set/> is added when the request had one,
// and also when the page does not list everyone found, so a client can tell there are more.
// The page's items take at most `item_bytes` serialized bytes (always at least one item):
// the rest are left for the next page, counted in the title and the <set/>. A page asked
// for with <before/> keeps its last items, so that paging on from <first/> skips nobody.
xmpp::Element search_result_query(const SearchSubmission& request, const PeopleIndex& index,
                                  const SearchPage& page,
                                  std::size_t item_bytes = static_cast<std::size_t>(-1));

}  // namespace commonroom::directory
