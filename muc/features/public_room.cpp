// Public or hidden room (muc#roomconfig_publicroom): listed in the service's disco#items
// or not; muc_public / muc_hidden.
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

class PublicRoom : public RoomFeature {
 public:
  std::string_view name() const override { return "public_room"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(
        bool_field("muc#roomconfig_publicroom", c.public_room, "Make Room Publicly Searchable?"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    return read_bool(form, "muc#roomconfig_publicroom", next.public_room);
  }
  void add_disco_features(const Room& room, const RoomServiceConfig&,
                          std::vector<std::string>& out) const override {
    out.emplace_back(room.config().public_room ? "muc_public" : "muc_hidden");
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.public_room != b.public_room;
  }
};

}  // namespace

const RoomFeature& public_room_feature() {
  static const PublicRoom kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
