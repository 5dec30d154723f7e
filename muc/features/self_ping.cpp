// XEP-0410 self-ping optimization: the room itself answers a ping to the sender's own
// occupant JID (the engine's occupant-iq handler does it); advertised on each room.
#include "muc/features/feature.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::muc {

namespace {

class SelfPing : public RoomFeature {
 public:
  std::string_view name() const override { return "self_ping"; }
  void add_disco_features(const Room&, const RoomServiceConfig&,
                          std::vector<std::string>& out) const override {
    out.emplace_back(xmpp::ns::muc_self_ping);
  }
};

}  // namespace

const RoomFeature& self_ping_feature() {
  static const SelfPing kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
