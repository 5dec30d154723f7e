// Room name, description and language: muc#roomconfig_roomname/roomdesc/lang.
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

class RoomName : public RoomFeature {
 public:
  std::string_view name() const override { return "room_name"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(text_field("muc#roomconfig_roomname", c.name, "Natural-Language Room Name"));
    out.push_back(
        text_field("muc#roomconfig_roomdesc", c.description, "Short Description of Room"));
    out.push_back(
        text_field("muc#roomconfig_lang", c.lang, "Natural Language for Room Discussions"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits& limits,
                                         RoomConfig& next) const override {
    if (auto e =
            read_text(form, "muc#roomconfig_roomname", limits.max_room_name_bytes, next.name)) {
      return e;
    }
    if (auto e = read_text(form, "muc#roomconfig_roomdesc", limits.max_room_name_bytes,
                           next.description)) {
      return e;
    }
    // A language tag (RFC 5646) is short; 35 bytes covers every real one.
    return read_text(form, "muc#roomconfig_lang", 35, next.lang);
  }
  void add_roominfo_fields(const Room& room, std::vector<xmpp::FormField>& out) const override {
    const RoomConfig& c = room.config();
    if (!c.description.empty()) {
      out.push_back(text_field("muc#roominfo_description", c.description, "Description"));
    }
    if (!c.lang.empty()) {
      out.push_back(text_field("muc#roominfo_lang", c.lang, "Language of discussion"));
    }
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.name != b.name || a.description != b.description || a.lang != b.lang;
  }
};

}  // namespace

const RoomFeature& room_name_feature() {
  static const RoomName kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
