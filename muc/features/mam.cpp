// XEP-0313 on a room: the disco var when the service archives, who may read the archive,
// and the query parsed for the shell, which answers it from the event log (the engine keeps
// no archive).
#include "muc/engine.hpp"
#include "muc/features/feature.hpp"
#include "muc/timestamp.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

// The archive follows the room's visibility: members-only rooms for members, hidden rooms
// for members and occupants, public rooms for anyone not banned.
bool may_read_archive(const Room& room, Affiliation a, bool occupant) {
  if (a == Affiliation::outcast) return false;
  if (room.config().members_only) return a >= Affiliation::member;
  return room.config().public_room || occupant || a >= Affiliation::member;
}

void handle_mam(Engine& engine, Ctx& ctx, Room& room, const xmpp::Element& query) {
  if (!engine.config().mam) {
    engine.error(ctx, &room, xmpp::StanzaError::service_unavailable());
    return;
  }
  if (!may_read_archive(room, engine.affiliation(room, ctx.from),
                        room.occupant_of(ctx.from) != nullptr)) {
    engine.error(ctx, &room, xmpp::StanzaError::forbidden("you may not read this room's archive"));
    return;
  }
  if (xmpp::iq_type(ctx.stanza) == xmpp::IqType::get) {
    // XEP-0313 §4.1.1: the fields a query may use.
    xmpp::DataForm form;
    form.type = xmpp::FormType::form;
    form.set_form_type(std::string(xmpp::ns::mam));
    xmpp::FormField with;
    with.var = "with";
    with.type = xmpp::FieldType::jid_single;
    form.fields.push_back(std::move(with));
    for (const char* var : {"start", "end", "before-id", "after-id"}) {
      form.fields.push_back(text_field(var, "", ""));
    }
    xmpp::FormField ids;
    ids.var = "ids";
    ids.type = xmpp::FieldType::text_multi;
    form.fields.push_back(std::move(ids));
    xmpp::Element q("query", std::string(xmpp::ns::mam));
    q.add_child(xmpp::to_element(form));
    engine.result(ctx, std::move(q));
    return;
  }
  MamQuery mq;
  mq.room = room.jid_str();
  mq.requester = std::string(ctx.from.full());
  mq.iq_id = std::string(ctx.stanza.attr("id"));
  mq.query_id = std::string(query.attr("queryid"));
  mq.occupant_id_key = room.secret();
  if (const xmpp::Element* x = query.find_child("x", xmpp::ns::data_forms)) {
    xmpp::DataForm form = xmpp::parse_data_form(*x);
    if (form.type != xmpp::FormType::submit ||
        (!form.form_type().empty() && form.form_type() != xmpp::ns::mam)) {
      engine.error(ctx, &room,
                   xmpp::StanzaError::bad_request("expected a submitted urn:xmpp:mam:2 form"));
      return;
    }
    for (const xmpp::FormField& f : form.fields) {
      if (f.var == "FORM_TYPE" || f.values.empty()) continue;
      std::string_view v = f.value();
      if (f.var == "with") {
        auto jid = xmpp::Jid::try_parse(v);
        if (!jid) {
          engine.error(ctx, &room, xmpp::StanzaError::jid_malformed("with: not a JID"));
          return;
        }
        mq.with = std::string(jid->full());
      } else if (f.var == "start" || f.var == "end") {
        auto t = parse_timestamp(v);
        if (!t) {
          engine.error(ctx, &room,
                       xmpp::StanzaError::bad_request(f.var + ": not a XEP-0082 date-time"));
          return;
        }
        (f.var == "start" ? mq.start : mq.end) = t;
      } else if (f.var == "before-id") {
        mq.before_id = std::string(v);
      } else if (f.var == "after-id") {
        mq.after_id = std::string(v);
      } else if (f.var == "ids") {
        mq.ids = f.values;
      } else {
        // XEP-0313 §4.1.1: a field the archive does not support.
        engine.error(ctx, &room,
                     xmpp::StanzaError::feature_not_implemented("unsupported field " + f.var));
        return;
      }
    }
  }
  if (const xmpp::Element* set = query.find_child("set", xmpp::ns::rsm)) {
    mq.rsm = xmpp::parse_rsm_set(*set);
  }
  mq.flip_page = query.find_child("flip-page", xmpp::ns::mam) != nullptr;
  ctx.out.mam_queries.push_back(std::move(mq));
}

class Mam : public RoomFeature {
 public:
  std::string_view name() const override { return "mam"; }
  void add_disco_features(const Room&, const RoomServiceConfig& service,
                          std::vector<std::string>& out) const override {
    if (service.mam) out.emplace_back(xmpp::ns::mam);
  }
  bool handle_iq(Engine& engine, Ctx& ctx, Room& room, const xmpp::Element& payload,
                 bool) const override {
    if (!payload.is("query", xmpp::ns::mam)) return false;
    handle_mam(engine, ctx, room, payload);
    return true;
  }
};

}  // namespace

const RoomFeature& mam_feature() {
  static const Mam kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
