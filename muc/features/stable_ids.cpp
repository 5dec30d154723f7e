// Stable identities on what the room sends: the client's message id reflected
// (muc#stable_id), XEP-0359 stanza-ids on archived messages, XEP-0421 occupant-ids.
#include "muc/features/feature.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

class StableIds : public RoomFeature {
 public:
  std::string_view name() const override { return "stable_ids"; }
  void add_disco_features(const Room&, std::vector<std::string>& out) const override {
    out.emplace_back(xmpp::ns::muc_stable_id);
    out.emplace_back(xmpp::ns::sid);
    out.emplace_back(xmpp::ns::occupant_id);
  }
};

}  // namespace

void strip_ids(xmpp::Element& message, std::string_view room_jid) {
  auto& nodes = message.nodes();
  std::erase_if(nodes, [&](const xmpp::Element& n) {
    if (n.is_text()) return false;
    if (n.is("stanza-id", xmpp::ns::sid)) return n.attr("by") == room_jid;  // XEP-0359 rule 2
    return n.xmlns() == xmpp::ns::occupant_id ||                            // XEP-0421 §4
           n.xmlns() == xmpp::ns::muc_user;  // only the room speaks muc#user (§17.3 rule 6)
  });
}

void add_stanza_id(xmpp::Element& message, std::string_view room_jid, std::string_view id) {
  xmpp::Element& sid = message.add_child("stanza-id", std::string(xmpp::ns::sid));
  sid.set_attr("by", room_jid);
  sid.set_attr("id", id);
}

void add_occupant_id(xmpp::Element& stanza, std::string_view occupant_id) {
  stanza.add_child("occupant-id", std::string(xmpp::ns::occupant_id)).set_attr("id", occupant_id);
}

void add_occupant_id(xmpp::Element& stanza, const OccupantId& occupant_id) {
  add_occupant_id(stanza, occupant_id.hex());
}

const RoomFeature& stable_ids_feature() {
  static const StableIds kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
