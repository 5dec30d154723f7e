// Roles whose presence is broadcast (muc#roomconfig_presencebroadcast); the engine's
// presence fan-out obeys it.
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

class PresenceBroadcast : public RoomFeature {
 public:
  std::string_view name() const override { return "presence_broadcast"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(roles_field("muc#roomconfig_presencebroadcast", c.presence_broadcast,
                              "Roles for which Presence is Broadcasted"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    return read_roles(form, "muc#roomconfig_presencebroadcast", next.presence_broadcast);
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.presence_broadcast != b.presence_broadcast;
  }
};

}  // namespace

const RoomFeature& presence_broadcast_feature() {
  static const PresenceBroadcast kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
