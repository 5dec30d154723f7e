// Mediated invitations and declines (§7.8.2, muc#roomconfig_allowinvites): the room sends
// the invitation on the occupant's behalf, and passes a decline back to the inviter.
#include "muc/engine.hpp"
#include "muc/event_detail.hpp"
#include "muc/features/feature.hpp"
#include "muc/muc_errors.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

void handle_invitations(Engine& engine, Ctx& ctx, Room& room, const UserX& x) {
  const std::vector<UserInvite>& invites = x.invites;
  if (!invites.empty()) {
    const Occupant* o = room.occupant_of(ctx.from);
    if (!o) {
      engine.error(ctx, &room, muc_not_acceptable("only occupants may invite people"));
      return;
    }
    Affiliation a = engine.affiliation(room, ctx.from);
    // Admins and owners may always invite; others when the owner allows it (§9.5: in a
    // members-only room a mere member without that right gets forbidden).
    if (a < Affiliation::admin && !room.config().allow_invites) {
      engine.error(ctx, &room,
                   xmpp::StanzaError::forbidden("only admins may invite people to this room"));
      return;
    }
    std::vector<xmpp::Jid> invitees;
    for (const UserInvite& invite : invites) {
      std::string why;
      auto to = xmpp::Jid::try_parse(invite.to.value_or(""), &why);
      if (!invite.to || !to) {
        engine.error(
            ctx, &room,
            xmpp::StanzaError::jid_malformed(invite.to ? why : "an invitation needs a 'to'"));
        return;
      }
      if (engine.affiliation(room, *to) ==
          Affiliation::outcast) {  // the room's ban or the service's
        engine.error(ctx, &room,
                     xmpp::StanzaError::not_allowed(std::string(to->bare_str()) +
                                                    " is banned from this room"));
        return;
      }
      invitees.push_back(*to);
    }
    // The invitee sees the inviter's real JID only where real JIDs are public.
    std::string inviter = room.config().whois == Whois::anyone
                              ? std::string(ctx.from.full())
                              : std::string(engine.occupant_jid(room, o->nick).full());
    std::string inviter_nick = o->nick;
    bool durable_change = false;  // a feature changed what the room stores
    for (size_t i = 0; i < invitees.size(); ++i) {
      const xmpp::Jid& to = invitees[i];
      const std::string& reason = invites[i].reason;
      for (const RoomFeature* f : room_features()) {
        if (f->invitation(engine, ctx, room, to, inviter_nick)) durable_change = true;
      }
      // §7.9: a one-to-one chat continued in the room keeps its thread.
      engine.send_invitation(ctx, ctx.out, room, std::string(to.full()), inviter, reason,
                             invites[i].continuation);
      room.remember_invitation(std::string(to.bare_str()), std::string(ctx.from.full()),
                               engine.policy().limits().max_pending_invitations);
      RoomEvent& ev = engine.event(ctx, room, RoomEventKind::invitation);
      ev.actor_nick = inviter_nick;
      ev.target = std::string(to.full());
      ev.body = reason;
    }
    if (durable_change) engine.persist(ctx, room);
  }
  for (const UserDecline& decline : x.declines) {
    auto to = xmpp::Jid::try_parse(decline.to.value_or(""));
    if (!to) {
      engine.error(ctx, &room, xmpp::StanzaError::jid_malformed("a decline needs a valid 'to'"));
      return;
    }
    // Only declines of invitations this room sent go anywhere: otherwise anyone could
    // make the room message arbitrary addresses.
    auto inviter = room.take_invitation(std::string(ctx.from.bare_str()), *to);
    if (!inviter) {
      ctx.out.dropped.push_back("decline from " + std::string(ctx.from.full()) + " to " +
                                std::string(to->full()) + " matches no invitation");
      continue;
    }
    xmpp::Element m("message", std::string(xmpp::ns::component_accept));
    m.set_attr("from", room.jid_str());
    if (ctx.stanza.has_attr("id")) m.set_attr("id", ctx.stanza.attr("id"));
    m.set_attr("to", *inviter);
    UserX passed_on;
    UserDecline& passed = passed_on.declines.emplace_back();
    passed.from = std::string(ctx.from.bare_str());
    passed.reason = decline.reason;
    m.add_child(to_element(passed_on));
    engine.send(ctx, std::move(m));
    RoomEvent& ev = engine.event(ctx, room, RoomEventKind::invitation_decline);
    ev.target = *inviter;
    ev.body = decline.reason;
  }
}

class Invites : public RoomFeature {
 public:
  std::string_view name() const override { return "invites"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(bool_field("muc#roomconfig_allowinvites", c.allow_invites,
                             "Allow Occupants to Invite Others?"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    return read_bool(form, "muc#roomconfig_allowinvites", next.allow_invites);
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.allow_invites != b.allow_invites;
  }
  bool handle_message(Engine& engine, Ctx& ctx, Room& room) const override {
    const xmpp::Element* x = ctx.stanza.find_child("x", xmpp::ns::muc_user);
    if (!x) return false;
    // A value XEP-0045 does not define throws PayloadError: the sender gets bad-request.
    handle_invitations(engine, ctx, room, parse_user_x(*x));
    return true;
  }
};

}  // namespace

const RoomFeature& invites_feature() {
  static const Invites kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
