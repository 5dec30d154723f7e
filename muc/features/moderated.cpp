// Moderated room (muc#roomconfig_moderatedroom): unaffiliated users enter as visitors and
// only participants and moderators may speak; muc_moderated / muc_unmoderated.
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

class Moderated : public RoomFeature {
 public:
  std::string_view name() const override { return "moderated"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(bool_field("muc#roomconfig_moderatedroom", c.moderated, "Make Room Moderated?"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    return read_bool(form, "muc#roomconfig_moderatedroom", next.moderated);
  }
  void add_disco_features(const Room& room, const RoomServiceConfig&,
                          std::vector<std::string>& out) const override {
    out.emplace_back(room.config().moderated ? "muc_moderated" : "muc_unmoderated");
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.moderated != b.moderated;
  }
};

}  // namespace

const RoomFeature& moderated_feature() {
  static const Moderated kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
