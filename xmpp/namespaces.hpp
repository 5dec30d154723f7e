// XML namespace URIs used across commonroom, in one place.
#pragma once
#include <string_view>

namespace commonroom::xmpp::ns {

inline constexpr std::string_view stream = "http://etherx.jabber.org/streams";
inline constexpr std::string_view component_accept = "jabber:component:accept";
inline constexpr std::string_view client = "jabber:client";
inline constexpr std::string_view stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view streams = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view xml = "http://www.w3.org/XML/1998/namespace";

inline constexpr std::string_view disco_info = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view disco_items = "http://jabber.org/protocol/disco#items";
inline constexpr std::string_view data_forms = "jabber:x:data";
inline constexpr std::string_view rsm = "http://jabber.org/protocol/rsm";
inline constexpr std::string_view ping = "urn:xmpp:ping";
inline constexpr std::string_view version = "jabber:iq:version";
inline constexpr std::string_view delay = "urn:xmpp:delay";

inline constexpr std::string_view muc = "http://jabber.org/protocol/muc";
inline constexpr std::string_view muc_user = "http://jabber.org/protocol/muc#user";
inline constexpr std::string_view muc_admin = "http://jabber.org/protocol/muc#admin";
inline constexpr std::string_view muc_owner = "http://jabber.org/protocol/muc#owner";
inline constexpr std::string_view muc_unique = "http://jabber.org/protocol/muc#unique";
inline constexpr std::string_view muc_request = "http://jabber.org/protocol/muc#request";
inline constexpr std::string_view muc_roomconfig = "http://jabber.org/protocol/muc#roomconfig";
inline constexpr std::string_view muc_roominfo = "http://jabber.org/protocol/muc#roominfo";
inline constexpr std::string_view muc_register = "http://jabber.org/protocol/muc#register";
inline constexpr std::string_view muc_stable_id = "http://jabber.org/protocol/muc#stable_id";
inline constexpr std::string_view muc_self_ping =
    "http://jabber.org/protocol/muc#self-ping-optimization";
inline constexpr std::string_view sid = "urn:xmpp:sid:0";                  // XEP-0359 stanza-id
inline constexpr std::string_view occupant_id = "urn:xmpp:occupant-id:0";  // XEP-0421
inline constexpr std::string_view message_retract = "urn:xmpp:message-retract:1";    // XEP-0424
inline constexpr std::string_view message_moderate = "urn:xmpp:message-moderate:1";  // XEP-0425
// XEP-0425 0.2 (in a XEP-0422 fastening, with XEP-0424 0.3's retract): what Debian 12's
// Gajim (nbxmpp 4.2) and poezio (slixmpp 1.8) still send and read.
inline constexpr std::string_view message_moderate_0 = "urn:xmpp:message-moderate:0";
inline constexpr std::string_view message_retract_0 = "urn:xmpp:message-retract:0";
inline constexpr std::string_view fasten = "urn:xmpp:fasten:0";  // XEP-0422
inline constexpr std::string_view mam = "urn:xmpp:mam:2";        // XEP-0313
inline constexpr std::string_view search = "jabber:iq:search";
inline constexpr std::string_view register_ = "jabber:iq:register";

}  // namespace commonroom::xmpp::ns
