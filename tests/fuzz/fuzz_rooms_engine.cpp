// libFuzzer target for the rooms engine under the campus policy: the input is decoded into
// a sequence of stanzas from a handful of users (two sessions of one) against two rooms,
// covering joins, leaves of every kind, messages, PMs, nick changes, configuration, roles,
// affiliations, registration, invitations, voice requests, moderation and errors.
//
// Invariants checked after every stanza (a violation aborts, which libFuzzer reports):
// - everything sent is well-formed XML (it is parsed back);
// - a live groupchat message with a body is never sent without an event for the abuse log
//   in the same effects (logged before sent is the shell's order; the engine must give it
//   something to log);
// - no room is ever anonymous (campus policy: whois is always "anyone").
// And at the end: once every session has left every room by the bare room JID, no room
// has an occupant (no occupant without a session, no ghost).
//
// Each step takes 3 bytes: [user + operation] [room, nick, variant] [parameter].
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "muc/room_service.hpp"
#include "policies/campus_policy.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"

namespace muc = commonroom::muc;
namespace xmpp = commonroom::xmpp;

namespace {

class CountingIds : public muc::IdSource {
 public:
  std::string next_id() override { return "id-" + std::to_string(++ids_); }
  std::string new_secret() override { return "secret-" + std::to_string(++secrets_); }

 private:
  int ids_ = 0;
  int secrets_ = 0;
};

const char* kUsers[] = {"crone1@shakespeare.lit/desktop", "wiccarocks@shakespeare.lit/laptop",
                        "wiccarocks@shakespeare.lit/phone", "hag66@shakespeare.lit/pda",
                        "romeo@montague.lit/orchard"};
const char* kBare[] = {"crone1@shakespeare.lit", "wiccarocks@shakespeare.lit",
                       "wiccarocks@shakespeare.lit", "hag66@shakespeare.lit", "romeo@montague.lit"};
constexpr int kUserCount = 5;
const char* kRooms[] = {"coven@chat.shakespeare.lit", "heath@chat.shakespeare.lit"};
const char* kNicks[] = {"firstwitch", "secondwitch", "thirdwitch", "Hecate"};
constexpr int kOperations = 26;

const std::string kMuc = "http://jabber.org/protocol/muc";

std::string config_form(const std::string& fields) {
  return "<query xmlns='" + kMuc + "#owner'><x xmlns='jabber:x:data' type='submit'>" +
         "<field var='FORM_TYPE'><value>" + kMuc + "#roomconfig</value></field>" + fields +
         "</x></query>";
}

std::string field(const std::string& var, const std::string& value) {
  return "<field var='" + var + "'><value>" + value + "</value></field>";
}

// The stanza for one step.
std::string stanza(int user, int op, int room_i, int nick_i, int variant, int param) {
  const std::string from = kUsers[user];
  const std::string room = kRooms[room_i];
  const std::string occupant = room + "/" + kNicks[nick_i];
  const std::string other = kBare[(user + 1 + param % (kUserCount - 1)) % kUserCount];
  const std::string id = "s" + std::to_string(param);
  auto iq = [&](const std::string& to, const std::string& type, const std::string& payload) {
    return "<iq from='" + from + "' to='" + to + "' type='" + type + "' id='" + id + "'>" +
           payload + "</iq>";
  };
  auto message = [&](const std::string& to, const std::string& type, const std::string& inner) {
    return "<message from='" + from + "' to='" + to + "' type='" + type + "' id='" + id + "'>" +
           inner + "</message>";
  };
  switch (op) {
    case 0: {
      std::string x = "<x xmlns='" + kMuc + "'>";
      if (variant & 1) x += "<history maxstanzas='" + std::to_string(param % 5) + "'/>";
      if (variant & 2) x += "<password>pw" + std::to_string(param % 2) + "</password>";
      if (variant & 4)
        x += "<history since='2002-10-13T23:58:00Z' maxchars='" + std::to_string(param * 7) + "'/>";
      return "<presence from='" + from + "' to='" + occupant + "'>" + x + "</x></presence>";
    }
    case 1:
      return "<presence from='" + from + "' to='" + occupant + "'><show>away</show></presence>";
    case 2:
      return "<presence from='" + from + "' to='" + occupant + "' type='unavailable'/>";
    case 3:
      return "<presence from='" + from + "' to='" + room + "' type='unavailable'/>";
    case 4:
      return "<presence from='" + from + "' to='" + (variant & 1 ? occupant : room) +
             "' type='error'>" +
             (variant & 2 ? "<error type='cancel'><gone "
                            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
                          : "") +
             "</presence>";
    case 5:
      return message(room, "groupchat", "<body>b" + std::to_string(param) + "</body>");
    case 6:
      return message(occupant, variant & 1 ? "chat" : "groupchat", "<body>pm</body>");
    case 7:
      return "<presence from='" + from + "' to='" + room + "/" + kNicks[(nick_i + 1) % 4] + "'/>";
    case 8:
      return iq(room, "set",
                "<query xmlns='" + kMuc +
                    "#owner'><x xmlns='jabber:x:data' "
                    "type='submit'/></query>");
    case 9: {
      std::string fields;
      const std::string on = param & 1 ? "1" : "0";
      switch (variant % 8) {
        case 0:
          fields = field("muc#roomconfig_membersonly", on);
          break;
        case 1:
          fields = field("muc#roomconfig_moderatedroom", on);
          break;
        case 2:
          fields = field("muc#roomconfig_persistentroom", on);
          break;
        case 3:
          fields = field("muc#roomconfig_passwordprotectedroom", on) +
                   field("muc#roomconfig_roomsecret", "pw" + std::to_string(param % 2));
          break;
        case 4:
          fields = field("muc#roomconfig_whois", param & 1 ? "moderators" : "anyone");
          break;
        case 5:
          fields = field("muc#roomconfig_enablelogging", on);
          break;
        case 6:
          fields = field("muc#roomconfig_maxusers", std::to_string(param % 4));
          break;
        default:
          fields = field("muc#roomconfig_roomowners", other);
          break;
      }
      return iq(room, "set", config_form(fields));
    }
    case 10:
      return iq(room, "set",
                "<query xmlns='" + kMuc + "#admin'><item nick='" + kNicks[nick_i] + "' role='" +
                    (variant & 1 ? "none" : "visitor") + "'><reason>r</reason></item></query>");
    case 11:
      return iq(room, "set",
                "<query xmlns='" + kMuc + "#admin'><item jid='" + other +
                    "' affiliation='outcast'/></query>");
    case 12: {
      static const char* kAffiliations[] = {"member", "admin", "owner", "none"};
      return iq(room, "set",
                "<query xmlns='" + kMuc + "#admin'><item jid='" + other + "' affiliation='" +
                    kAffiliations[variant % 4] + "'/></query>");
    }
    case 13:
      return iq(room, "set",
                "<query xmlns='" + kMuc +
                    "#owner'><destroy><reason>gone</reason>"
                    "</destroy></query>");
    case 14:
      return message(room, "groupchat", "<subject>s" + std::to_string(param) + "</subject>");
    case 15:
      if (variant & 1) return iq(room, "get", "<query xmlns='jabber:iq:register'/>");
      return iq(room, "set",
                "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>" +
                    field("FORM_TYPE", "http://jabber.org/protocol/muc#register") +
                    field("muc#register_roomnick", kNicks[nick_i]) + "</x></query>");
    case 16:
      return message(room, "normal",
                     "<x xmlns='" + kMuc + "#user'><invite to='" + other +
                         "'><reason>come</reason></invite></x>");
    case 17:
      return message(room, "normal",
                     "<x xmlns='jabber:x:data' type='submit'>" +
                         field("FORM_TYPE", "http://jabber.org/protocol/muc#request") +
                         field("muc#role", "participant") + "</x>");
    case 18:
      return iq(occupant, "get", "<ping xmlns='urn:xmpp:ping'/>");
    case 19:
      return iq(room, "get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    case 20:
      return "<message from='" + from + "' to='" + (variant & 1 ? occupant : room) +
             "' type='error'><error type='cancel'><" +
             (param & 1 ? "recipient-unavailable" : "not-acceptable") +
             " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>";
    case 21:
      return iq(room, "set",
                "<moderate id='id-" + std::to_string(param % 40) +
                    "' xmlns='urn:xmpp:message-moderate:1'><retract "
                    "xmlns='urn:xmpp:message-retract:1'/><reason>spam</reason>"
                    "</moderate>");
    case 22:
      return iq(room, "get", "<query xmlns='" + kMuc + "#owner'/>");
    case 23:
      return iq(room, "get",
                "<query xmlns='" + kMuc + "#admin'><item affiliation='" +
                    (variant & 1 ? "member" : "outcast") + "'/></query>");
    case 24:
      return iq(room, "set",
                "<query xmlns='" + kMuc +
                    "#owner'><x xmlns='jabber:x:data' "
                    "type='cancel'/></query>");
    default:
      return "";  // 25: time passes (handled by the caller)
  }
}

bool is_live_groupchat_body(const xmpp::Element& s) {
  return s.name() == "message" && s.attr("type") == "groupchat" &&
         s.find_child("body", s.xmlns()) != nullptr &&
         s.find_child("delay", "urn:xmpp:delay") == nullptr;
}

void check(const muc::Effects& fx, muc::RoomService& service) {
  bool live_message = false;
  muc::write_in_order(fx, [&](std::string_view bytes) {
    xmpp::Element sent = xmpp::parse_element(bytes);  // throws on malformed output
    if (is_live_groupchat_body(sent)) live_message = true;
  });
  if (live_message) {
    bool logged = false;
    for (const auto& e : fx.events) {
      if (e.kind == muc::RoomEventKind::groupchat || e.kind == muc::RoomEventKind::retraction ||
          e.kind == muc::RoomEventKind::subject_change)
        logged = true;
    }
    if (!logged) std::abort();
  }
  for (const auto& summary : service.rooms()) {
    auto snapshot = service.snapshot(summary.jid);
    if (!snapshot || snapshot->config.whois != muc::Whois::anyone) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  commonroom::policies::PolicySettings settings;
  settings.local_domains = {"shakespeare.lit"};
  muc::RoomServiceConfig config;
  config.domain = "chat.shakespeare.lit";
  config.version = "fuzz";
  muc::RoomService service(config, std::make_shared<commonroom::policies::CampusPolicy>(settings),
                           std::make_shared<CountingIds>());
  auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 30);
  constexpr size_t kMaxSteps = 96;
  for (size_t i = 0; i + 3 <= size && i / 3 < kMaxSteps; i += 3) {
    int user = data[i] % kUserCount;
    int op = (data[i] / kUserCount) % kOperations;
    int room = data[i + 1] & 1, nick = (data[i + 1] >> 1) & 3, variant = data[i + 1] >> 3;
    int param = data[i + 2];
    if (op == 25) {
      now += std::chrono::seconds(param * 13);
      continue;
    }
    std::string xml = stanza(user, op, room, nick, variant, param);
    check(service.handle(xmpp::parse_element(xml), now), service);
  }
  // Everyone leaves everything by the bare room JID: no occupant may remain.
  for (const char* user : kUsers) {
    for (const char* room : kRooms) {
      std::string leave =
          std::string("<presence from='") + user + "' to='" + room + "' type='unavailable'/>";
      check(service.handle(xmpp::parse_element(leave), now), service);
    }
  }
  for (const auto& summary : service.rooms())
    if (summary.occupants != 0) std::abort();
  return 0;
}
