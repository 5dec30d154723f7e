// A XEP-0313 query on a room's archive that the engine accepted; the shell answers it.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "xmpp/payloads/rsm.hpp"

namespace commonroom::muc {

// The engine checked who may read the archive and that the query is well formed; the shell
// reads the event log (messages with stanza-ids) and sends the <result/>s and the <fin/>.
struct MamQuery {
  std::string room;       // bare room JID
  std::string requester;  // full JID the results go to
  std::string iq_id;      // id of the iq to answer with <fin/>
  std::string query_id;   // 'queryid', echoed in each <result/> ("" when absent)
  std::optional<std::chrono::system_clock::time_point> start, end;
  std::string with;  // occupant JID (room@service/nick) filter, "" for none
  std::optional<std::string> before_id, after_id;  // archive ids (stanza-ids)
  std::vector<std::string> ids;                    // urn:xmpp:mam:2#extended 'ids'
  xmpp::RsmSet rsm;
  bool flip_page = false;
  // The room's XEP-0421 key: results carry each sender's occupant-id, as live messages do.
  std::string occupant_id_key;
};

}  // namespace commonroom::muc
