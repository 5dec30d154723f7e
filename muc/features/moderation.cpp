// XEP-0425 moderated retraction: a moderator retracts a message by its stanza-id; the room
// tells everyone (XEP-0424 <retract/>), drops it from history and logs who did it.
#include "muc/engine.hpp"
#include "muc/event_detail.hpp"
#include "muc/features/feature.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

// XEP-0425 §4 (current) request.
void handle_moderate(Engine& engine, Ctx& ctx, Room& room, const xmpp::Element& moderate) {
  const Occupant* mod = room.occupant_of(ctx.from);
  if (!mod || mod->role != Role::moderator) {
    engine.error(
        ctx, &room,
        xmpp::StanzaError::forbidden("only moderators may retract other people's messages"));
    return;
  }
  std::string id(moderate.attr("id"));
  if (id.empty()) {
    engine.error(ctx, &room,
                 xmpp::StanzaError::bad_request("<moderate/> needs the message's stanza-id"));
    return;
  }
  if (!moderate.find_child("retract", xmpp::ns::message_retract)) {
    engine.error(ctx, &room,
                 xmpp::StanzaError::feature_not_implemented("only retraction is supported"));
    return;
  }
  std::string reason = moderate.child_text("reason", xmpp::ns::message_moderate);
  bool in_history = room.remove_history(id);
  xmpp::Element m("message", std::string(xmpp::ns::component_accept));
  m.set_attr("from", room.jid_str());
  std::string stanza_id = engine.ids().next_id();
  m.set_attr("id", stanza_id);
  m.set_attr("type", "groupchat");
  xmpp::Element& retract = m.add_child("retract", std::string(xmpp::ns::message_retract));
  retract.set_attr("id", id);
  xmpp::Element& moderated =
      retract.add_child("moderated", std::string(xmpp::ns::message_moderate));
  moderated.set_attr("by", engine.occupant_jid(room, mod->nick).full());
  add_occupant_id(moderated, mod->occupant_id);
  if (!reason.empty())
    retract.add_text_child("reason", reason, std::string(xmpp::ns::message_retract));
  // The same retraction as XEP-0425 0.2 says it, for clients that read only that form
  // (Debian 12's Gajim and poezio); newer clients ignore the fastening.
  xmpp::Element& apply_to = m.add_child("apply-to", std::string(xmpp::ns::fasten));
  apply_to.set_attr("id", id);
  xmpp::Element& legacy =
      apply_to.add_child("moderated", std::string(xmpp::ns::message_moderate_0));
  legacy.set_attr("by", engine.occupant_jid(room, mod->nick).full());
  legacy.add_child("retract", std::string(xmpp::ns::message_retract_0));
  if (!reason.empty())
    legacy.add_text_child("reason", reason, std::string(xmpp::ns::message_moderate_0));
  add_stanza_id(m, room.jid_str(), stanza_id);
  RoomEvent& ev = engine.event(ctx, room, RoomEventKind::retraction);
  ev.actor_nick = mod->nick;
  ev.stanza_id = stanza_id;
  ev.target = id;
  ev.body = reason;
  ev.detail = json_detail({{"in_history", in_history ? "true" : "false"}});
  engine.fanout(ctx.out, m, room.all_sessions());
  engine.result(ctx);
}

// XEP-0425 0.2: <apply-to xmlns='urn:xmpp:fasten:0' id=''><moderate xmlns=':0'>.
void handle_legacy_moderate(Engine& engine, Ctx& ctx, Room& room, const xmpp::Element& apply_to) {
  const xmpp::Element* moderate = apply_to.find_child("moderate", xmpp::ns::message_moderate_0);
  if (!moderate) {
    engine.error(
        ctx, &room,
        xmpp::StanzaError::feature_not_implemented("only moderation is applied to messages"));
    return;
  }
  // Read as the current request: the id moves from the fastening to <moderate/>.
  xmpp::Element current("moderate", std::string(xmpp::ns::message_moderate));
  current.set_attr("id", std::string(apply_to.attr("id")));
  if (moderate->find_child("retract", xmpp::ns::message_retract_0))
    current.add_child("retract", std::string(xmpp::ns::message_retract));
  std::string reason = moderate->child_text("reason", xmpp::ns::message_moderate_0);
  if (!reason.empty())
    current.add_text_child("reason", reason, std::string(xmpp::ns::message_moderate));
  handle_moderate(engine, ctx, room, current);
}

class Moderation : public RoomFeature {
 public:
  std::string_view name() const override { return "moderation"; }
  void add_disco_features(const Room&, const RoomServiceConfig&,
                          std::vector<std::string>& out) const override {
    out.emplace_back(xmpp::ns::message_moderate);
    out.emplace_back(xmpp::ns::message_moderate_0);
  }
  bool handle_iq(Engine& engine, Ctx& ctx, Room& room, const xmpp::Element& payload,
                 bool get) const override {
    bool current = payload.is("moderate", xmpp::ns::message_moderate);
    if (!current && !payload.is("apply-to", xmpp::ns::fasten)) return false;
    if (get) {
      engine.error(ctx, &room,
                   xmpp::StanzaError::feature_not_implemented("moderation is an iq set"));
    } else if (current) {
      handle_moderate(engine, ctx, room, payload);
    } else {
      handle_legacy_moderate(engine, ctx, room, payload);
    }
    return true;
  }
};

}  // namespace

const RoomFeature& moderation_feature() {
  static const Moderation kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
