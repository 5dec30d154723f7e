// Internal to muc/: the XEP-0045 state machine behind RoomService. Its methods are spread
// over engine_*.cpp (one use-case family each); room features (features/*.cpp) act through
// the public ones when the engine calls their hooks (features/feature.hpp).
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "muc/effects.hpp"
#include "muc/id_source.hpp"
#include "muc/link_directory.hpp"
#include "muc/payloads/user_x.hpp"
#include "muc/policy.hpp"
#include "muc/room.hpp"
#include "muc/service_ban.hpp"
#include "muc/service_config.hpp"
#include "xmpp/service_basics.hpp"

namespace commonroom::muc {

// One stanza being handled: what arrived, from whom, when, and where the effects go.
struct Ctx {
  const xmpp::Element& stanza;
  xmpp::Jid from;  // the sender's real (full) JID
  xmpp::Jid to;    // room, room/nick or the service
  TimePoint now;
  Effects& out;
};

// What a presence about an occupant says beyond its role and affiliation.
struct PresenceNote {
  bool unavailable = false;
  std::vector<int> codes;       // for everyone
  std::vector<int> self_codes;  // only for the occupant's own sessions (110 is always added)
  std::string actor_nick;       // <actor nick=''/> (kick, ban, 321)
  std::string reason;           // <reason/>
  std::string new_nick;         // 'nick' on the item (303)
  const xmpp::Element* exit_presence = nullptr;  // unavailable: its <status/> is passed on
  const UserDestroy* destroy = nullptr;          // <destroy/> (room destruction)
  std::string id;                                // 'id' to reflect ("" = none)
  // Role used to decide whether others see this presence (presencebroadcast); for an exit
  // it is the role the occupant had.
  std::optional<Role> visible_role;
};

// How an occupant leaves when it is made to (kick, ban, affiliation change, errors).
struct Removal {
  std::vector<int> codes;  // 307 kick, 301 ban, 321 affiliation, 322 members-only, 333 error
  std::string actor_nick;
  std::string reason;
};

class Engine {
 public:
  Engine(RoomServiceConfig config, std::shared_ptr<const Policy> policy,
         std::shared_ptr<IdSource> ids);
  // The service description's disco#items callback points back at this object.
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Effects handle(const xmpp::Element& stanza, TimePoint now);
  void restore(const RoomSnapshot& snapshot);
  Effects shutdown(TimePoint now);
  // Replaces the service-wide bans; occupants now covered are removed with 301
  // (engine_service_bans.cpp).
  Effects set_service_bans(std::vector<ServiceBan> bans, TimePoint now);
  const ServiceBans& service_bans() const { return bans_; }
  // Replaces who belongs to which institution and group; occupants of linked rooms whose
  // membership changed are updated, or removed with 321 from members-only rooms
  // (features/linked_membership.cpp).
  Effects set_link_directory(std::shared_ptr<const LinkDirectory> directory, TimePoint now);
  const LinkDirectory* link_directory() const { return links_.get(); }

  const xmpp::ServiceBasics& basics() const { return basics_; }
  const RoomServiceConfig& config() const { return config_; }
  const Policy& policy() const { return *policy_; }
  IdSource& ids() { return *ids_; }
  const Room* find_room(std::string_view bare) const;
  std::vector<const Room*> rooms() const;

  // --- helpers shared by use cases and features (engine.cpp) ---
  void send(Ctx& ctx, xmpp::Element stanza);
  void fanout(Effects& sink, const xmpp::Element& stanza, std::vector<xmpp::Jid> recipients);
  // Answers the stanza with an error (by = the room when there is one); never answers
  // errors or results.
  void error(Ctx& ctx, const Room* room, xmpp::StanzaError e);
  void result(Ctx& ctx, std::optional<xmpp::Element> payload = std::nullopt);
  // A log event for `room` stamped now, actor = the sender, raw = the stanza.
  RoomEvent& event(Ctx& ctx, const Room& room, RoomEventKind kind, bool with_raw = true);
  // Records the room's durable state when it is persistent.
  void persist(Ctx& ctx, const Room& room);
  // The sender's affiliation: outcast when banned service-wide, owner for service
  // administrators, else the room's own, else member when a linked institution or group
  // has them.
  Affiliation affiliation(const Room& room, const xmpp::Jid& user) const;
  // The same, as if the room were linked to `links` and the directory were `directory`.
  Affiliation affiliation_under(const Room& room, const xmpp::Jid& user,
                                const std::vector<std::string>& links,
                                const LinkDirectory* directory) const;
  std::string occupant_id_for(const Room& room, const xmpp::Jid& user) const;
  xmpp::Jid occupant_jid(const Room& room, std::string_view nick) const;
  Limits limits() const { return policy_->limits(); }
  // Appends `later`'s stanzas after everything already in `into`, keeping their order.
  static void append(Effects& into, Effects&& later);

  // --- presence (engine_presence.cpp) ---
  // The presence of `o` as `viewer_session` sees it (nullptr: a non-occupant/any viewer
  // allowed to see real JIDs when `with_jid`).
  xmpp::Element occupant_presence(const Room& room, const Occupant& o, const PresenceNote& note,
                                  bool with_jid, const xmpp::Jid* self_session) const;
  // Sends `o`'s presence to its own sessions (with 110) or to everyone else (fanned out,
  // split by whether the recipient may see real JIDs).
  // `serialize_with_more` > 0: serialized now (Outbox::add_serialized), the caller adding
  // about that many stanzas after it to the same run.
  void presence_to_self(Effects& sink, const Room& room, const Occupant& o,
                        const PresenceNote& note, const xmpp::Jid* only_session = nullptr,
                        std::size_t serialize_with_more = 0);
  void presence_to_others(Effects& sink, const Room& room, const Occupant& o,
                          const PresenceNote& note);
  void broadcast_presence(Effects& sink, const Room& room, const Occupant& o,
                          const PresenceNote& note, bool self_first);
  // Removes an occupant made to leave: unavailable to itself with the codes (+110), then
  // (into `others`, default the same sink) to the rest.
  void remove_occupant(Ctx& ctx, Effects& self_sink, Effects& others, Room& room,
                       const std::string& nick, const Removal& removal);
  // Sends the join sequence of §7.1 to one session: others' presence, self-presence,
  // history, subject.
  // With `announce`, the occupant's presence goes to everyone else between the first and
  // second step (a new occupant; not a resync or another session).
  void send_join_sequence(Ctx& ctx, const Room& room, const Occupant& o, const xmpp::Jid& session,
                          const std::vector<int>& self_codes, const xmpp::Element* history,
                          bool announce);
  bool may_see_jids(const Room& room, const Occupant& viewer) const;
  // The nick to use, or the error to refuse the join/nick change/registration with;
  // `rewritten` tells whether the policy replaced it (status 210).
  std::optional<xmpp::StanzaError> check_nick(Ctx& ctx, const xmpp::Jid& room, std::string& nick,
                                              bool& rewritten) const;
  // Destroys a temporary room nobody is in any more.
  void drop_if_empty(Ctx& ctx, Room& room);
  void destroy_room(Ctx& ctx, Room& room, const UserDestroy& destroy, std::string reason);

  // --- roles and affiliations (engine_admin.cpp) ---
  void change_role(Ctx& ctx, Effects& self_sink, Effects& others, Room& room, Occupant& o,
                   Role role, const std::string& actor_nick, const std::string& reason);
  void change_affiliation(Ctx& ctx, Effects& self_sink, Effects& others, Room& room,
                          const std::string& bare, Affiliation a, const std::string& reason,
                          std::optional<std::string> nick, const std::string& actor_nick);
  // The status code to remove an occupant whose affiliation is now `now` with (321, from
  // the features' hooks), nullopt when they may stay.
  std::optional<int> removal_after_affiliation_change(const Room& room, Affiliation now) const;
  // Sends an invitation from the room (mediated invitation, or new member of a
  // members-only room).
  // `cont`: the inviter's <continue/> (§7.9), passed on with its thread.
  void send_invitation(Ctx& ctx, Effects& sink, const Room& room, const std::string& to,
                       const std::string& inviter, const std::string& reason,
                       const std::optional<Continuation>& cont = std::nullopt);

  // --- config (engine_owner.cpp) ---
  xmpp::DataForm config_form(const Room& room) const;
  // The settings an owner may not change: the policy's, and what the service itself fixes
  // (logging off when it keeps no log). A field's desc says why, when not the policy.
  std::vector<xmpp::FormField> locked_fields(const xmpp::Jid& room) const;
  // Applies the locked fields to a configuration.
  void apply_locks(const xmpp::Jid& room, RoomConfig& config) const;
  // After a configuration change: notifies occupants (§10.2.1), lets each feature act on it
  // (RoomFeature::config_changed), logs and persists. May destroy the room (temporary and
  // empty): `room` is then gone.
  void apply_config_change(Ctx& ctx, Room& room, const RoomConfig& before, bool initial);

  // --- features the join sequence uses (features/*.cpp) ---
  void handle_subject(Ctx& ctx, Room& room, Occupant& sender);  // subject.cpp
  // A join's history and subject: serialized as built, after its self-presence in one run.
  void send_history(Ctx& ctx, const Room& room, const xmpp::Jid& to,
                    const xmpp::Element* request);                     // history.cpp
  void send_subject(Ctx& ctx, const Room& room, const xmpp::Jid& to);  // subject.cpp

 private:
  // engine.cpp
  void handle_room_stanza(Ctx& ctx);
  void handle_service_iq(Ctx& ctx);
  bool handle_delivery_error(Ctx& ctx, Room* room);
  // engine_presence.cpp
  void handle_presence(Ctx& ctx, Room* room);
  void create_room(Ctx& ctx, const xmpp::Element* muc_x);
  void join(Ctx& ctx, Room& room, const xmpp::Element* muc_x);
  void resync(Ctx& ctx, Room& room, Occupant& o, const xmpp::Element* muc_x);
  void change_status(Ctx& ctx, Room& room, Occupant& o);
  void change_nick(Ctx& ctx, Room& room, Occupant& o);
  void exit(Ctx& ctx, Room& room, Occupant& o);
  // Rooms (other than `except`) where `user`'s bare JID is an owner, for creation quotas.
  std::size_t rooms_owned_by(const xmpp::Jid& user, const Room* except = nullptr) const;
  // Asks the policy about an occupant's message/presence; answers a refusal with
  // policy-violation and returns true.
  bool traffic_refused(Ctx& ctx, const Room& room, Traffic kind, std::size_t bytes);
  void refuse_non_occupant(Ctx& ctx);  // §7.2.18: kick a presence that is not a MUC join
  // engine_messages.cpp
  void handle_message(Ctx& ctx, Room& room);
  void groupchat(Ctx& ctx, Room& room);
  void private_message(Ctx& ctx, Room& room);
  // engine_iq.cpp
  void handle_room_iq(Ctx& ctx, Room* room);
  void handle_occupant_iq(Ctx& ctx, Room& room);
  // An answer to an iq the room passed between occupants: relayed back. False when the
  // stanza answers nothing the room sent.
  bool relay_iq_answer(Ctx& ctx, Room& room);
  // engine_admin.cpp
  void handle_admin(Ctx& ctx, Room& room, const xmpp::Element& query, bool set);
  // engine_owner.cpp
  void handle_owner(Ctx& ctx, Room& room, const xmpp::Element& query, bool set);
  // engine_disco.cpp
  void room_disco_info(Ctx& ctx, const Room& room, const xmpp::Element& query);
  void room_disco_items(Ctx& ctx, const Room& room, const xmpp::Element& query);
  xmpp::DiscoItemsAnswer service_items(const xmpp::Jid& from, const xmpp::DiscoItems& request);

  RoomServiceConfig config_;
  std::shared_ptr<const Policy> policy_;
  std::shared_ptr<IdSource> ids_;
  xmpp::ServiceBasics basics_;
  std::map<std::string, std::unique_ptr<Room>, std::less<>> rooms_;
  ServiceBans bans_;
  std::shared_ptr<const LinkDirectory> links_;  // null until the shell hands one over
};

}  // namespace commonroom::muc
