// One room's state: configuration, affiliations, occupants and their sessions, history,
// subject. Plain state with lookups; the protocol lives in the engine and features.
#pragma once
#include <array>
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "muc/affiliation.hpp"
#include "muc/room_config.hpp"
#include "muc/snapshot.hpp"
#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"

namespace commonroom::muc {

using TimePoint = std::chrono::system_clock::time_point;

// One client connection in the room: a real full JID and its last available presence.
struct Session {
  xmpp::Jid jid;
  // The children of the presence as the client sent it (show, status, caps, ...), without
  // MUC payloads: what is reflected to the room. Only the children: the <presence/> around
  // them carries nothing of the client's, and a whole element per occupant cost ~180
  // bytes even for a bare <presence/>.
  std::vector<xmpp::Element> presence;
};

// An XEP-0421 occupant-id: a SHA-256 HMAC, kept as its 32 bytes inside the occupant
// (as 64 hex digits in a std::string it would be one more heap block per occupant).
class OccupantId {
 public:
  OccupantId() = default;
  // From 64 hex digits; throws std::invalid_argument on anything else.
  explicit OccupantId(std::string_view hex);
  std::string hex() const;  // the 64 lower-case hex digits sent in <occupant-id id=''/>
  bool operator==(const OccupantId&) const = default;

 private:
  std::array<unsigned char, 32> bytes_{};
};

// An occupant is a nick; a bare JID may join it from several resources (multi-session).
struct Occupant {
  std::string nick;
  xmpp::Jid bare;  // the real bare JID all sessions share
  Role role = Role::none;
  OccupantId occupant_id;         // XEP-0421
  std::vector<Session> sessions;  // the first is the primary: its presence and JID are shown

  const Session& primary() const { return sessions.front(); }
  const Session* session(const xmpp::Jid& full) const;
  Session* session(const xmpp::Jid& full);
};

struct AffiliationEntry {
  Affiliation affiliation = Affiliation::none;
  std::string nick;  // reserved nickname, "" for none
  std::string reason;
};

struct HistoryEntry {
  // The message as reflected (from = occupant JID, with stanza-id and occupant-id), no 'to'.
  std::shared_ptr<const xmpp::Element> message;
  TimePoint at;
  std::string stanza_id;
};

// An iq the room passed from one occupant to another, awaiting the answer (§17.4 rule 3).
struct PendingIq {
  std::string id;            // the id the room gave the forwarded iq (unguessable)
  std::string requester;     // the asking session's full JID
  std::string requester_id;  // its original iq id
  std::string requester_nick;
  std::string responder;  // the JID the iq went to (answers must come from it)
  std::string target_nick;
};

struct Subject {
  std::string text;
  std::string nick;             // who set it; "" = the room itself
  std::optional<TimePoint> at;  // unset: never set since the room was created
};

class Room {
 public:
  Room(xmpp::Jid jid, RoomConfig config, std::string secret, TimePoint created_at,
       std::string created_by);
  static std::unique_ptr<Room> from_snapshot(const RoomSnapshot& snapshot);
  RoomSnapshot snapshot() const;

  const xmpp::Jid& jid() const { return jid_; }
  const std::string& jid_str() const { return jid_str_; }
  const RoomConfig& config() const { return config_; }
  void set_config(RoomConfig config);
  const std::string& secret() const { return secret_; }
  TimePoint created_at() const { return created_at_; }
  const std::string& created_by() const { return created_by_; }

  // Locked from creation until the owner accepts or submits a configuration (§10.1.1).
  bool locked() const { return locked_; }
  void set_locked(bool locked) { locked_ = locked; }

  // --- affiliations (by bare JID) ---
  // The affiliation of a user: its own entry, else outcast when its domain is banned.
  Affiliation affiliation_of(const xmpp::Jid& user) const;
  const AffiliationEntry* entry(std::string_view bare) const;
  // Sets the entry (Affiliation::none removes it). `nick` nullopt keeps the reserved nick;
  // outcasts and the unaffiliated lose theirs (§9.1).
  void set_affiliation(const std::string& bare, Affiliation a, std::string reason,
                       std::optional<std::string> nick = std::nullopt);
  const std::map<std::string, AffiliationEntry, std::less<>>& affiliations() const {
    return affiliations_;
  }
  std::size_t count(Affiliation a) const;
  // The bare JID that reserved `nick`, or nullptr.
  const std::string* nick_reserved_by(std::string_view nick) const;

  // --- registration requests awaiting an admin (§9.9), by bare JID ---
  const std::map<std::string, RegistrationRequest, std::less<>>& registration_requests() const {
    return registration_requests_;
  }
  const RegistrationRequest* registration_request(std::string_view bare) const;
  void put_registration_request(RegistrationRequest request);
  // Removes the request; false when there was none.
  bool drop_registration_request(std::string_view bare);
  // Removes the requests made before `cutoff`; returns how many went.
  std::size_t drop_registration_requests_before(TimePoint cutoff);

  // --- occupants ---
  const std::map<std::string, Occupant, std::less<>>& occupants() const { return occupants_; }
  Occupant* occupant(std::string_view nick);
  const Occupant* occupant(std::string_view nick) const;
  Occupant* occupant_of(const xmpp::Jid& full);  // by session JID
  const Occupant* occupant_of(const xmpp::Jid& full) const;
  // The occupant a bare JID is in the room as (any of its sessions), or nullptr.
  const Occupant* occupant_of_bare(std::string_view bare) const;
  Occupant& add_occupant(std::string nick, const xmpp::Jid& bare, Role role,
                         std::string occupant_id);
  void add_session(Occupant& o, Session s);
  // Removes one session; removes the occupant when it was the last. Returns true then.
  bool remove_session(const std::string& nick, const xmpp::Jid& full);
  void remove_occupant(const std::string& nick);
  // Moves an occupant to a new nick (§7.6); returns the moved occupant.
  Occupant& rename(const std::string& from, const std::string& to);
  std::size_t session_count() const { return nick_by_session_.size(); }
  // Every session JID, occupants in nick order.
  std::vector<xmpp::Jid> all_sessions() const;

  // --- history and subject ---
  const std::deque<HistoryEntry>& history() const;
  void add_history(HistoryEntry entry);
  // Removes the message with this XEP-0359 id; false when it is not in the history.
  bool remove_history(std::string_view stanza_id);
  const Subject& subject() const { return subject_; }
  void set_subject(Subject s) { subject_ = std::move(s); }

  // --- iqs passed between occupants ---
  void remember_iq(PendingIq iq, std::size_t limit);
  // Takes the pending iq with this id answered by `from`, if any.
  std::optional<PendingIq> take_iq(std::string_view id, const xmpp::Jid& from);

  // --- invitations (to check declines, §7.8.2) ---
  void remember_invitation(const std::string& invitee_bare, const std::string& inviter,
                           std::size_t limit);
  // Takes the inviter's JID for a decline from `invitee_bare` to `to`, if it was invited.
  std::optional<std::string> take_invitation(const std::string& invitee_bare, const xmpp::Jid& to);

 private:
  xmpp::Jid jid_;
  std::string jid_str_;
  RoomConfig config_;
  std::string secret_;
  TimePoint created_at_;
  std::string created_by_;
  bool locked_ = false;
  std::map<std::string, AffiliationEntry, std::less<>> affiliations_;
  std::map<std::string, std::string, std::less<>> reserved_nicks_;  // nick -> bare JID
  std::map<std::string, RegistrationRequest, std::less<>> registration_requests_;
  std::map<std::string, Occupant, std::less<>> occupants_;
  // Session full JID -> nick. Keyed by the Jid itself: it shares the session's buffer
  // where a string key would copy it.
  std::unordered_map<xmpp::Jid, std::string> nick_by_session_;
  Subject subject_;
  // What only a room in use keeps, allocated when first needed: an empty std::deque
  // allocates ~600 bytes, which made three of them a third of an idle stored room.
  struct Recent {
    std::deque<HistoryEntry> history;
    std::deque<std::pair<std::string, std::string>> invitations;  // invitee bare, inviter
    std::deque<PendingIq> pending_iqs;
  };
  std::unique_ptr<Recent> recent_;
  Recent& recent();
};

}  // namespace commonroom::muc
