// XEP-0313 answers for a room's archive: a page read from the event log turned into the
// <result/> messages and the closing <fin/> iq (pure formatting; the shell does the reading).
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "muc/mam_query.hpp"
#include "xmpp/element.hpp"

namespace commonroom::xmpp {
struct StanzaError;
}

namespace commonroom::muc {

// One archived groupchat message as the event log holds it.
struct ArchivedMessage {
  std::string stanza_id;  // the room's XEP-0359 id: the archive id
  std::chrono::system_clock::time_point at;
  std::string nick;  // the sender's nick when it was sent
  std::string body;
  // The message as the room received it (room_events.raw); "" when not kept. With it the
  // archive gives back what occupants saw (thread, replies, markup...), not just the body.
  std::string raw;
  std::string sender;  // the sender's bare JID ("" when unknown): gives the occupant-id
};

// One page of the query's results, oldest first (before flip-page).
struct MamPage {
  std::vector<ArchivedMessage> items;
  bool complete = false;               // XEP-0313 §4.3: no more results in the paging direction
  std::optional<std::uint32_t> count;  // results in the whole query
  std::optional<std::uint32_t> first_index;  // position of items[0] in the whole query
};

// The <message><result/></message>s in page order (reversed with flip-page), then the
// <iq type='result'><fin/></iq> - to be sent in exactly this order.
std::vector<xmpp::Element> mam_response(const MamQuery& query, const MamPage& page);

// The iq error that ends the query instead (unknown after-id, archive unavailable, ...).
xmpp::Element mam_error(const MamQuery& query, const xmpp::StanzaError& error);

}  // namespace commonroom::muc
