// The room subject: who may change it (muc#roomconfig_changesubject, §8.1), the change
// itself, and the subject message closing the join sequence (§7.2.15).
#include "muc/engine.hpp"
#include "muc/features/feature.hpp"
#include "muc/timestamp.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

class SubjectFeature : public RoomFeature {
 public:
  std::string_view name() const override { return "subject"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(bool_field("muc#roomconfig_changesubject", c.change_subject,
                             "Allow Occupants to Change Subject?"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    return read_bool(form, "muc#roomconfig_changesubject", next.change_subject);
  }
  void add_roominfo_fields(const Room& room, std::vector<xmpp::FormField>& out) const override {
    out.push_back(
        text_field("muc#roominfo_subject", room.subject().text, "Current Discussion Topic"));
    out.push_back(bool_field("muc#roomconfig_changesubject", room.config().change_subject,
                             "Subject can be modified"));
    out.push_back(bool_field("muc#roominfo_subjectmod", room.config().change_subject,
                             "The room subject can be modified by participants"));
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.change_subject != b.change_subject;
  }
};

}  // namespace

void Engine::handle_subject(Ctx& ctx, Room& room, Occupant& sender) {
  bool allowed = sender.role == Role::moderator ||
                 (room.config().change_subject && sender.role >= Role::participant);
  if (!allowed) {
    error(ctx, &room, xmpp::StanzaError::forbidden("you may not change the subject of this room"));
    return;
  }
  std::string text = ctx.stanza.child_text("subject", ctx.stanza.xmlns());
  if (text.size() > policy_->limits().max_subject_bytes) {
    error(ctx, &room, xmpp::StanzaError::not_acceptable("the subject is too long"));
    return;
  }
  room.set_subject(Subject{text, sender.nick, ctx.now});
  xmpp::Element msg = ctx.stanza;
  msg.set_xmlns(std::string(xmpp::ns::component_accept));
  msg.nodes().clear();
  msg.remove_attr("to");
  msg.set_attr("from", occupant_jid(room, sender.nick).full());
  msg.add_text_child("subject", text);
  std::string stanza_id = ids_->next_id();
  add_stanza_id(msg, room.jid_str(), stanza_id);
  add_occupant_id(msg, sender.occupant_id);
  if (!msg.has_attr("id")) msg.set_attr("id", stanza_id);
  RoomEvent& ev = event(ctx, room, RoomEventKind::subject_change);
  ev.actor_nick = sender.nick;
  ev.stanza_id = stanza_id;
  ev.body = text;
  fanout(ctx.out, msg, room.all_sessions());
  persist(ctx, room);
}

void Engine::send_subject(Ctx& ctx, const Room& room, const xmpp::Jid& to) {
  const Subject& s = room.subject();
  xmpp::Element m("message", std::string(xmpp::ns::component_accept));
  m.set_attr("from", s.nick.empty() ? room.jid_str() : occupant_jid(room, s.nick).full());
  m.set_attr("id", ids_->next_id());
  m.set_attr("to", to.full());
  m.set_attr("type", "groupchat");
  m.add_text_child("subject", s.text);  // empty <subject/> when none is set (§7.2.15)
  if (s.at) {
    xmpp::Element& delay = m.add_child("delay", std::string(xmpp::ns::delay));
    delay.set_attr("from", room.jid_str());
    delay.set_attr("stamp", format_timestamp(*s.at));
  }
  ctx.out.add_serialized(m);  // the join's last stanza, in its run (send_join_sequence)
}

const RoomFeature& subject_feature() {
  static const SubjectFeature kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
