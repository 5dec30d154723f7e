// Members-only room (muc#roomconfig_membersonly): only members, admins and owners enter
// (§7.2.6, registration-required) and stay (322 when the room becomes members-only, 321
// when someone stops being a member); invitations make members (§9.5); muc_membersonly /
// muc_open.
#include "muc/engine.hpp"
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

class MembersOnly : public RoomFeature {
 public:
  std::string_view name() const override { return "members_only"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(
        bool_field("muc#roomconfig_membersonly", c.members_only, "Make Room Members-Only?"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    return read_bool(form, "muc#roomconfig_membersonly", next.members_only);
  }
  void add_disco_features(const Room& room, const RoomServiceConfig&,
                          std::vector<std::string>& out) const override {
    out.emplace_back(room.config().members_only ? "muc_membersonly" : "muc_open");
  }
  std::optional<xmpp::StanzaError> check_join(const Room& room,
                                              const JoinAttempt& join) const override {
    if (!room.config().members_only || join.affiliation >= Affiliation::member) {
      return std::nullopt;
    }
    return xmpp::StanzaError::registration_required("this room is members-only");
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.members_only != b.members_only;
  }

  void config_changed(Engine& engine, Ctx& ctx, Room& room,
                      const RoomConfig& before) const override {
    if (!room.config().members_only || before.members_only) return;
    // §10.2: non-members leave a room that became members-only, with 322.
    std::vector<std::string> out;
    for (const auto& [nick, o] : room.occupants()) {
      if (engine.affiliation(room, o.bare) < Affiliation::member) out.push_back(nick);
    }
    for (const auto& nick : out)
      engine.remove_occupant(ctx, ctx.out, ctx.out, room, nick, Removal{{322}, "", ""});
  }

  std::optional<int> removal_after_affiliation_change(const Room& room,
                                                      Affiliation now) const override {
    // §9.4: no longer a member of a members-only room: removed with 321.
    if (room.config().members_only && now < Affiliation::member) return 321;
    return std::nullopt;
  }

  bool tell_absent_user(Engine& engine, Ctx& ctx, Effects& sink, const Room& room,
                        const std::string& bare, Affiliation before, Affiliation after,
                        const std::string& reason) const override {
    // §9.5: a new member of a members-only room who is not here is invited.
    if (!room.config().members_only || after != Affiliation::member ||
        before >= Affiliation::member)
      return false;
    engine.send_invitation(ctx, sink, room, bare, std::string(ctx.from.bare_str()), reason);
    return true;
  }

  bool invitation(Engine& engine, Ctx& ctx, Room& room, const xmpp::Jid& invitee,
                  const std::string& inviter_nick) const override {
    if (!room.config().members_only) return false;
    if (engine.affiliation(room, invitee) < Affiliation::member) {
      // §9.5: an invitation to a members-only room makes the invitee a member (unless a
      // linked institution or group already does).
      engine.change_affiliation(ctx, ctx.out, ctx.out, room, std::string(invitee.bare_str()),
                                Affiliation::member, "invited by " + inviter_nick, std::nullopt,
                                inviter_nick);
    }
    return true;
  }
};

}  // namespace

const RoomFeature& members_only_feature() {
  static const MembersOnly kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
