// A room feature (members-only, password, history, ...): the configuration fields, disco
// features and join checks it owns, and what it does when the engine reports something
// happening in a room. One subclass per file in muc/features/. The engine calls every
// feature's hook for each event and never asks which feature it is talking to; a feature
// overrides only the hooks it needs.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "muc/affiliation.hpp"
#include "muc/policy.hpp"
#include "muc/room.hpp"
#include "muc/room_config.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/payloads/data_form.hpp"
#include "xmpp/stanza_error.hpp"

namespace commonroom::muc {

class Engine;
class LinkDirectory;
struct Ctx;
struct Effects;
struct RoomServiceConfig;

// A submitted configuration about to be applied, for checks that need more than the form.
struct ConfigSubmission {
  const xmpp::Jid& submitter;  // real full JID of the owner submitting it
  const Room& room;
  const RoomConfig& before;
  const Policy& policy;
  const LinkDirectory* directory;  // the institutions and groups known; nullptr: none loaded
};

// Someone asking to enter a room (§7.2).
struct JoinAttempt {
  const xmpp::Jid& jid;  // real full JID
  std::string_view nick;
  Affiliation affiliation;      // effective (service admins count as owners)
  const std::string* password;  // <x xmlns='...muc'><password/>, nullptr when absent
  const Limits& limits;
  bool new_occupant = true;  // false: another session joining an occupant's nick
};

class RoomFeature {
 public:
  virtual ~RoomFeature() = default;
  // muc#roomconfig: appends this feature's fields, showing the current values.
  virtual void add_config_fields(const RoomConfig&, const Limits&,
                                 std::vector<xmpp::FormField>&) const {}
  // Reads this feature's fields that `submitted` carries into `next`; returns why the
  // submission is not acceptable (answered with not-acceptable), nullopt when fine.
  virtual std::optional<std::string> read_config(const xmpp::DataForm&, const Limits&,
                                                 RoomConfig&) const {
    return std::nullopt;
  }
  // After every feature's read_config: checks that need the submitter, the policy or the
  // service's state; may canonicalise `next`. Returns the error to refuse the whole
  // submission with.
  virtual std::optional<xmpp::StanzaError> vet_config(const ConfigSubmission&,
                                                      RoomConfig& /*next*/) const {
    return std::nullopt;
  }
  // disco#info on the room: feature vars, and muc#roominfo fields.
  virtual void add_disco_features(const Room&, const RoomServiceConfig&,
                                  std::vector<std::string>&) const {}
  virtual void add_roominfo_fields(const Room&, std::vector<xmpp::FormField>&) const {}
  // A veto on entering the room.
  virtual std::optional<xmpp::StanzaError> check_join(const Room&, const JoinAttempt&) const {
    return std::nullopt;
  }
  // Status codes the entering occupant's self-presence carries (100, 170, ...).
  virtual void add_join_codes(const RoomConfig&, std::vector<int>&) const {}
  // Status codes announcing a configuration change to occupants (§10.2.1): 170-173 for
  // privacy changes; 104 is added by the engine for anything else.
  virtual void add_change_codes(const RoomConfig& /*before*/, const RoomConfig& /*after*/,
                                std::vector<int>&) const {}
  // Whether this feature's configuration differs between the two (for 104 and the log).
  virtual bool changed(const RoomConfig&, const RoomConfig&) const { return false; }
  // Whether a change of this feature's configuration is announced with 104 (§10.2.1);
  // features whose changes have their own codes (privacy: 170-173) say no.
  virtual bool announced_by_104() const { return true; }

  // --- hooks: the engine reports, the feature acts through the engine's operations ---
  // The configuration was changed and occupants told (§10.2.1); `room.config()` is the new
  // one. May remove occupants.
  virtual void config_changed(Engine&, Ctx&, Room&, const RoomConfig& /*before*/) const {}
  // An occupant's affiliation is now `now`: the status code to remove them with when they
  // may no longer stay (321), nullopt to keep them.
  virtual std::optional<int> removal_after_affiliation_change(const Room&,
                                                              Affiliation /*now*/) const {
    return std::nullopt;
  }
  // `bare`, who is not in the room, went from `before` to `after`. Returns true when the
  // feature told them itself, so the engine's own notice (status 101) is not sent.
  virtual bool tell_absent_user(Engine&, Ctx&, Effects& /*sink*/, const Room&,
                                const std::string& /*bare*/, Affiliation /*before*/,
                                Affiliation /*after*/, const std::string& /*reason*/) const {
    return false;
  }
  // An iq get/set to the room whose payload (its only child) this feature answers, e.g.
  // jabber:iq:register; returns false, having done nothing, for any other payload.
  virtual bool handle_iq(Engine&, Ctx&, Room&, const xmpp::Element& /*payload*/,
                         bool /*get*/) const {
    return false;
  }
  // A message to the bare room that is not groupchat (invitations, forms submitted to the
  // room); returns false, having done nothing, when it is not this feature's.
  virtual bool handle_message(Engine&, Ctx&, Room&) const { return false; }
  // An occupant (`inviter_nick`) invites `invitee`; called before the invitation is sent.
  // Returns true when the room's durable state may have changed (the room is persisted).
  virtual bool invitation(Engine&, Ctx&, Room&, const xmpp::Jid& /*invitee*/,
                          const std::string& /*inviter_nick*/) const {
    return false;
  }
  virtual std::string_view name() const = 0;
};

// Features in muc#roomconfig form order (which is also disco and change-code order).
std::span<const RoomFeature* const> room_features();
// Features that veto joins, in the order their errors take precedence.
std::span<const RoomFeature* const> join_checks();

// Each feature file defines its instance.
const RoomFeature& room_name_feature();
const RoomFeature& logging_feature();
const RoomFeature& subject_feature();
const RoomFeature& invites_feature();
const RoomFeature& private_messages_feature();
const RoomFeature& max_users_feature();
const RoomFeature& presence_broadcast_feature();
const RoomFeature& member_list_feature();
const RoomFeature& public_room_feature();
const RoomFeature& persistent_feature();
const RoomFeature& moderated_feature();
const RoomFeature& members_only_feature();
const RoomFeature& password_feature();
const RoomFeature& whois_feature();
const RoomFeature& history_feature();
const RoomFeature& registration_feature();
const RoomFeature& voice_requests_feature();
const RoomFeature& stable_ids_feature();
const RoomFeature& self_ping_feature();
const RoomFeature& moderation_feature();
const RoomFeature& linked_membership_feature();
const RoomFeature& mam_feature();

// --- checks features own, called by the engine's use cases ---
// private_messages.cpp: why `sender_role` may not send a private message, if it may not.
std::optional<xmpp::StanzaError> private_message_veto(const RoomConfig& config, Role sender_role);
// member_list.cpp: may this affiliation/role read the member list (§9.5)?
bool may_read_member_list(const RoomConfig& config, Affiliation a, Role r);
// stable_ids.cpp: strips stanza-ids claiming to be ours and any occupant-id (XEP-0359 §3,
// XEP-0421 §4), then adds ours.
void strip_ids(xmpp::Element& message, std::string_view room_jid);
void add_stanza_id(xmpp::Element& message, std::string_view room_jid, std::string_view id);
void add_occupant_id(xmpp::Element& stanza, std::string_view occupant_id);
// The XEP-0421 occupant-id of a user (bare JID) in the room with this secret.
std::string occupant_id_of(std::string_view room_secret, std::string_view bare_jid);
void add_occupant_id(xmpp::Element& stanza, const OccupantId& occupant_id);
// registration.cpp: an owner or admin entering the room is asked again about requests still
// waiting.
void remind_of_registrations(Engine& engine, Ctx& ctx, const Room& room, const xmpp::Jid& session);
// logging.cpp: in a service that keeps no log, logging is fixed off, replacing any lock the
// policy puts on it (a policy that locks it on cannot make a missing log exist).
void lock_logging_off(std::vector<xmpp::FormField>& locked);

// --- helpers for feature files ---
// The submitted value of a boolean field; error text when present but not a boolean.
std::optional<std::string> read_bool(const xmpp::DataForm& form, std::string_view var, bool& out);
std::optional<std::string> read_text(const xmpp::DataForm& form, std::string_view var,
                                     std::size_t max_bytes, std::string& out);
xmpp::FormField bool_field(std::string var, bool value, std::string label);
xmpp::FormField text_field(std::string var, std::string value, std::string label);
xmpp::FormField roles_field(std::string var, const RoleSet& roles, std::string label);
std::optional<std::string> read_roles(const xmpp::DataForm& form, std::string_view var,
                                      RoleSet& out);

}  // namespace commonroom::muc
