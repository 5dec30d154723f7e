// Voice requests (§7.13, §8.6): a visitor asks for voice with a muc#request form; the room
// forwards an approval form to the moderators; a moderator's approval grants voice.
#include "muc/engine.hpp"
#include "muc/event_detail.hpp"
#include "muc/features/feature.hpp"
#include "muc/muc_errors.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

void handle_voice_form(Engine& engine, Ctx& ctx, Room& room, const xmpp::DataForm& form) {
  Occupant* sender = room.occupant_of(ctx.from);
  if (!sender) {
    engine.error(ctx, &room, muc_not_acceptable("you are not in this room"));
    return;
  }
  if (form.type != xmpp::FormType::submit) {
    engine.error(ctx, &room,
                 xmpp::StanzaError::bad_request("expected a submitted muc#request form"));
    return;
  }
  if (form.field("muc#request_allow")) {
    // A moderator's answer to an approval form (§8.6).
    if (sender->role != Role::moderator) {
      engine.error(ctx, &room,
                   xmpp::StanzaError::forbidden("only moderators may approve voice requests"));
      return;
    }
    if (!form.bool_value("muc#request_allow").value_or(false)) return;  // declined
    std::string nick(form.value("muc#roomnick").value_or(""));
    Occupant* target = room.occupant(nick);
    if (!target) {
      engine.error(ctx, &room, xmpp::StanzaError::item_not_found("nobody has that nickname here"));
      return;
    }
    if (target->role == Role::visitor) {
      engine.change_role(ctx, ctx.out, ctx.out, room, *target, Role::participant, sender->nick, "");
    }
    return;
  }
  if (form.value("muc#role").value_or("") != "participant") {
    engine.error(ctx, &room,
                 xmpp::StanzaError::bad_request("a voice request asks for muc#role participant"));
    return;
  }
  if (sender->role != Role::visitor) return;  // already has voice: nothing to ask
  std::vector<xmpp::Jid> moderators;
  for (const auto& [nick, o] : room.occupants()) {
    if (o.role != Role::moderator) continue;
    for (const Session& s : o.sessions) moderators.push_back(s.jid);
  }
  RoomEvent& ev = engine.event(ctx, room, RoomEventKind::voice_request);
  ev.actor_nick = sender->nick;
  if (moderators.empty()) return;
  xmpp::DataForm approval;
  approval.type = xmpp::FormType::form;
  approval.title = "Voice request";
  approval.instructions.push_back(
      "To approve this request for voice, select the \"Grant voice to this person?\" checkbox "
      "and click OK. To skip this request, click the cancel button.");
  approval.set_form_type(std::string(xmpp::ns::muc_request));
  approval.fields.push_back(xmpp::FormField::list_single(
      "muc#role", "participant", {{"Participant", "participant"}}, "Requested role"));
  xmpp::FormField jid;
  jid.var = "muc#jid";
  jid.type = xmpp::FieldType::jid_single;
  jid.label = "User ID";
  jid.values.emplace_back(ctx.from.full());
  approval.fields.push_back(std::move(jid));
  approval.fields.push_back(text_field("muc#roomnick", sender->nick, "Room Nickname"));
  approval.fields.push_back(bool_field("muc#request_allow", false, "Grant voice to this person?"));
  xmpp::Element m("message", std::string(xmpp::ns::component_accept));
  m.set_attr("from", room.jid_str());
  m.set_attr("id", engine.ids().next_id());
  m.add_child(xmpp::to_element(approval));
  engine.fanout(ctx.out, m, std::move(moderators));
}

class VoiceRequests : public RoomFeature {
 public:
  std::string_view name() const override { return "voice_requests"; }
  void add_disco_features(const Room&, const RoomServiceConfig&,
                          std::vector<std::string>& out) const override {
    out.emplace_back(xmpp::ns::muc_request);
  }
  bool handle_message(Engine& engine, Ctx& ctx, Room& room) const override {
    const xmpp::Element* x = ctx.stanza.find_child("x", xmpp::ns::data_forms);
    if (!x) return false;
    xmpp::DataForm form = xmpp::parse_data_form(*x);
    if (form.form_type() != xmpp::ns::muc_request) return false;
    handle_voice_form(engine, ctx, room, form);
    return true;
  }
};

}  // namespace

const RoomFeature& voice_requests_feature() {
  static const VoiceRequests kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
