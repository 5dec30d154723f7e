// Scenario tests for the rooms service: send a stanza as XML, get back every stanza it
// caused (fan-outs expanded through their real serialized bytes), in send order.
#pragma once
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "muc/room_service.hpp"
#include "muc/timestamp.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/payloads/disco.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stanza_error.hpp"

namespace commonroom::xmpp {
// gtest prints stanzas as XML.
inline void PrintTo(const Element& e, std::ostream* os) {
  *os << to_string(e);
}
}  // namespace commonroom::xmpp

namespace commonroom::muc {
inline void PrintTo(const RoomEvent& e, std::ostream* os) {
  *os << to_string(e.kind) << " by " << e.actor_jid << " (" << e.actor_nick
      << ") target=" << e.target << " body=" << e.body << " detail=" << e.detail;
}
}  // namespace commonroom::muc

namespace commonroom::muc::test {

using xmpp::Element;
using Stanzas = std::vector<Element>;
using TimePoint = std::chrono::system_clock::time_point;

// Deterministic ids: "id-1", "id-2", ... and "secret-1", ...
class CountingIds : public IdSource {
 public:
  std::string next_id() override { return "id-" + std::to_string(++ids_); }
  std::string new_secret() override { return "secret-" + std::to_string(++secrets_); }

 private:
  int ids_ = 0;
  int secrets_ = 0;
};

inline constexpr std::string_view kService = "chat.shakespeare.lit";
inline constexpr std::string_view kCoven = "coven@chat.shakespeare.lit";
// XEP-0045's examples' people, as the scenario tests use them.
inline constexpr const char* kCrone = "crone1@shakespeare.lit/desktop";     // the coven's owner
inline constexpr const char* kWicca = "wiccarocks@shakespeare.lit/laptop";  // secondwitch
inline constexpr const char* kHag = "hag66@shakespeare.lit/pda";            // thirdwitch
inline constexpr const char* kHecate = "hecate@shakespeare.lit/broom";

inline RoomServiceConfig default_config() {
  RoomServiceConfig c;
  c.domain = std::string(kService);
  c.version = "1.0";
  return c;
}

// 2002-10-13T23:58:37Z, the time of XEP-0045's history example.
inline TimePoint spec_time() {
  return *parse_timestamp("2002-10-13T23:58:37Z");
}

class RoomHarness {
 public:
  explicit RoomHarness(RoomServiceConfig config = default_config(),
                       std::shared_ptr<const Policy> policy = std::make_shared<PermissivePolicy>())
      : ids_(std::make_shared<CountingIds>()),
        service_(std::move(config), std::move(policy), ids_) {}

  // Handles one stanza; returns what the room sent, fan-outs expanded, in send order.
  Stanzas send(std::string_view xml) {
    last_ = service_.handle(xmpp::parse_element(xml), now);
    return expand(last_);
  }
  static Stanzas expand(const Effects& fx) {
    Stanzas out;
    write_in_order(fx, [&](std::string_view bytes) { out.push_back(xmpp::parse_element(bytes)); });
    return out;
  }
  // The service-wide bans in force become `bans` (as the shell hands them over).
  Stanzas set_service_bans(std::vector<ServiceBan> bans) {
    last_ = service_.set_service_bans(std::move(bans), now);
    return expand(last_);
  }
  const Effects& effects() const { return last_; }
  RoomService& service() { return service_; }
  void advance(std::chrono::seconds s) { now += s; }

  // <presence from to><x xmlns='...muc'>extra</x></presence>
  Stanzas join(std::string_view from, std::string_view occupant, std::string_view extra = "") {
    return send("<presence from='" + std::string(from) + "' to='" + std::string(occupant) +
                "' id='join'><x xmlns='http://jabber.org/protocol/muc'>" + std::string(extra) +
                "</x></presence>");
  }
  Stanzas leave(std::string_view from, std::string_view occupant) {
    return send("<presence from='" + std::string(from) + "' to='" + std::string(occupant) +
                "' type='unavailable'/>");
  }
  Stanzas say(std::string_view from, std::string_view room, std::string_view body,
              std::string_view id = "m1") {
    return send("<message from='" + std::string(from) + "' to='" + std::string(room) +
                "' type='groupchat' id='" + std::string(id) + "'><body>" + std::string(body) +
                "</body></message>");
  }
  // An iq set/get with one payload, from -> to.
  Stanzas iq(std::string_view from, std::string_view to, std::string_view type,
             std::string_view payload, std::string_view id = "q1") {
    return send("<iq from='" + std::string(from) + "' to='" + std::string(to) + "' type='" +
                std::string(type) + "' id='" + std::string(id) + "'>" + std::string(payload) +
                "</iq>");
  }
  Stanzas admin(std::string_view from, std::string_view room, std::string_view items,
                std::string_view type = "set") {
    return iq(
        from, room, type,
        "<query xmlns='http://jabber.org/protocol/muc#admin'>" + std::string(items) + "</query>");
  }
  // Submits a muc#roomconfig form with these fields (var -> values).
  Stanzas configure(std::string_view owner, std::string_view room,
                    const std::vector<std::pair<std::string, std::vector<std::string>>>& fields) {
    std::string x =
        "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
        "type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig"
        "</value></field>";
    for (const auto& [var, values] : fields) {
      x += "<field var='" + var + "'>";
      for (const auto& v : values) x += "<value>" + v + "</value>";
      x += "</field>";
    }
    x += "</x></query>";
    return iq(owner, room, "set", x, "cfg");
  }

  // Creates an instant room (§10.1.2) owned by `owner`, who is then its only occupant.
  void create(std::string_view owner, std::string_view occupant) {
    Stanzas created = join(owner, occupant);
    ASSERT_FALSE(created.empty());
    std::string room(xmpp::Jid::parse(occupant).bare_str());
    Stanzas unlocked = iq(owner, room, "set",
                          "<query xmlns='http://jabber.org/protocol/muc#owner'><x "
                          "xmlns='jabber:x:data' type='submit'/></query>",
                          "create1");
    ASSERT_FALSE(unlocked.empty());
    ASSERT_EQ(unlocked.front().attr("type"), "result") << xmpp::to_string(unlocked.front());
  }
  // A room created by crone1 (owner, "firstwitch") and configured with `fields`.
  void create_coven(
      const std::vector<std::pair<std::string, std::vector<std::string>>>& fields = {}) {
    create("crone1@shakespeare.lit/desktop", "coven@chat.shakespeare.lit/firstwitch");
    if (!fields.empty()) {
      Stanzas r = configure("crone1@shakespeare.lit/desktop", kCoven, fields);
      ASSERT_FALSE(r.empty());
      ASSERT_EQ(r.front().attr("type"), "result") << xmpp::to_string(r.front());
    }
  }

  // The coven with wiccarocks in it as secondwitch and, with three witches, hag66 as
  // thirdwitch (the cast of most of the spec's examples).
  void gather_coven(int witches = 3) {
    create_coven();
    join(kWicca, "coven@chat.shakespeare.lit/secondwitch");
    if (witches >= 3) join(kHag, "coven@chat.shakespeare.lit/thirdwitch");
  }

  TimePoint now = spec_time();

 private:
  std::shared_ptr<CountingIds> ids_;
  RoomService service_;
  Effects last_;
};

// A fan-out's recipients as text.
inline std::vector<std::string> recipients_of(const Fanout& f) {
  std::vector<std::string> out;
  for (const auto& j : f.recipients) out.emplace_back(j.full());
  return out;
}

// --- looking into stanzas ---

inline std::string str(const Element& e) {
  return xmpp::to_string(e);
}
inline std::string str(const Stanzas& v) {
  std::string out;
  for (const auto& e : v) out += xmpp::to_string(e) + "\n";
  return out;
}

// The stanzas addressed to `jid`, in order.
inline Stanzas sent_to(const Stanzas& all, std::string_view jid) {
  Stanzas out;
  for (const auto& e : all) {
    if (e.attr("to") == jid) out.push_back(e);
  }
  return out;
}

inline const Element* muc_user_x(const Element& stanza) {
  return stanza.find_child("x", xmpp::ns::muc_user);
}
inline const Element* muc_item(const Element& stanza) {
  const Element* x = muc_user_x(stanza);
  return x ? x->find_child("item", xmpp::ns::muc_user) : nullptr;
}
inline std::string item_attr(const Element& stanza, std::string_view attr) {
  const Element* item = muc_item(stanza);
  return item ? std::string(item->attr(attr)) : std::string("<no item>");
}
inline std::vector<int> status_codes(const Element& stanza) {
  std::vector<int> out;
  if (const Element* x = muc_user_x(stanza)) {
    for (const Element* s : x->children("status", xmpp::ns::muc_user)) {
      out.push_back(std::stoi(std::string(s->attr("code"))));
    }
  }
  return out;
}
// "auth/forbidden", or "" when the stanza is not an error.
inline std::string error_of(const Element& stanza) {
  if (stanza.attr("type") != "error") return "";
  const Element* e = stanza.find_child("error", stanza.xmlns());
  if (!e) return "error without <error/>";
  xmpp::StanzaError err = xmpp::parse_stanza_error(*e);
  return std::string(xmpp::to_string(err.type)) + "/" + std::string(xmpp::to_string(err.condition));
}

// --- matchers ---

MATCHER_P(To, jid, "is addressed to " + std::string(jid)) {
  return arg.attr("to") == jid;
}
MATCHER_P(From, jid, "is from " + std::string(jid)) {
  return arg.attr("from") == jid;
}
MATCHER_P(IsError, condition, "is a '" + std::string(condition) + "' error") {
  return error_of(arg) == condition;
}
MATCHER_P(HasStatus, code, "carries MUC status " + std::to_string(code)) {
  auto codes = status_codes(arg);
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}
MATCHER_P(HasStatuses, codes, "carries exactly these MUC status codes") {
  return status_codes(arg) == std::vector<int>(codes);
}
MATCHER(IsResult, "is an iq result") {
  return arg.name() == "iq" && arg.attr("type") == "result";
}
MATCHER(IsUnavailable, "is unavailable presence") {
  return arg.name() == "presence" && arg.attr("type") == "unavailable";
}
MATCHER(IsAvailable, "is available presence") {
  return arg.name() == "presence" && !arg.has_attr("type");
}
MATCHER_P2(HasItem, affiliation, role,
           "has item " + std::string(affiliation) + "/" + std::string(role)) {
  return item_attr(arg, "affiliation") == affiliation && item_attr(arg, "role") == role;
}

}  // namespace commonroom::muc::test
