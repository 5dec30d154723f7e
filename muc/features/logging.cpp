// Room logging (muc#roomconfig_enablelogging): status 170 on entry, 170/171 on change.
// Campus policy keeps every room logged for abuse handling; the shell logs every event
// whatever the flag says, and the flag tells occupants (§7.2.12). A service with no log at
// all (development only, decision 0018) fixes the flag off, so no room claims a log.
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

class Logging : public RoomFeature {
 public:
  std::string_view name() const override { return "logging"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(
        bool_field("muc#roomconfig_enablelogging", c.enable_logging, "Enable Public Logging?"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    return read_bool(form, "muc#roomconfig_enablelogging", next.enable_logging);
  }
  // Disco tells would-be occupants before they enter (the roominfo form may carry
  // roomconfig fields, as it does the room name).
  void add_roominfo_fields(const Room& room, std::vector<xmpp::FormField>& out) const override {
    out.push_back(
        bool_field("muc#roomconfig_enablelogging", room.config().enable_logging, "Logged"));
  }
  void add_join_codes(const RoomConfig& c, std::vector<int>& codes) const override {
    if (c.enable_logging) codes.push_back(170);
  }
  void add_change_codes(const RoomConfig& before, const RoomConfig& after,
                        std::vector<int>& codes) const override {
    if (before.enable_logging != after.enable_logging) {
      codes.push_back(after.enable_logging ? 170 : 171);
    }
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.enable_logging != b.enable_logging;
  }
  bool announced_by_104() const override { return false; }  // 170/171 say it
};

constexpr std::string_view kVar = "muc#roomconfig_enablelogging";

}  // namespace

void lock_logging_off(std::vector<xmpp::FormField>& locked) {
  std::erase_if(locked, [](const xmpp::FormField& f) { return f.var == kVar; });
  xmpp::FormField off = xmpp::FormField::boolean(std::string(kVar), false);
  off.desc = "this service keeps no log of its rooms (a development setup)";
  locked.push_back(std::move(off));
}

const RoomFeature& logging_feature() {
  static const Logging kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
