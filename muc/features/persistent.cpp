// Persistent or temporary room (muc#roomconfig_persistentroom): a temporary room is
// destroyed when its last occupant leaves; a persistent one is stored by the shell.
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

class Persistent : public RoomFeature {
 public:
  std::string_view name() const override { return "persistent"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(
        bool_field("muc#roomconfig_persistentroom", c.persistent, "Make Room Persistent?"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    return read_bool(form, "muc#roomconfig_persistentroom", next.persistent);
  }
  void add_disco_features(const Room& room, const RoomServiceConfig&,
                          std::vector<std::string>& out) const override {
    out.emplace_back(room.config().persistent ? "muc_persistent" : "muc_temporary");
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.persistent != b.persistent;
  }
};

}  // namespace

const RoomFeature& persistent_feature() {
  static const Persistent kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
