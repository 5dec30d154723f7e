// Stable identities on what the room sends: the client's message id reflected
// (muc#stable_id), XEP-0359 stanza-ids on archived messages, XEP-0421 occupant-ids.
#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>

#include "muc/features/feature.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

// Poco's HMACEngine wants the block and digest sizes as constants.
struct Sha256 : Poco::SHA2Engine {
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

class StableIds : public RoomFeature {
 public:
  std::string_view name() const override { return "stable_ids"; }
  void add_disco_features(const Room&, const RoomServiceConfig&,
                          std::vector<std::string>& out) const override {
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

std::string occupant_id_of(std::string_view room_secret, std::string_view bare_jid) {
  // XEP-0421 §4.1: HMAC of the bare JID under a per-room secret: stable per user and room,
  // unlinkable across rooms, not reversible without the key.
  Poco::HMACEngine<Sha256> hmac{std::string(room_secret)};
  hmac.update(bare_jid.data(), static_cast<unsigned>(bare_jid.size()));
  return Poco::DigestEngine::digestToHex(hmac.digest());
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
