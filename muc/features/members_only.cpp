// Members-only room (muc#roomconfig_membersonly): only members, admins and owners enter
// (§7.2.6, registration-required); muc_membersonly / muc_open.
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

class MembersOnly : public RoomFeature {
 public:
  std::string_view name() const override { return "members_only"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(
        bool_field("muc#roomconfig_membersonly", c.members_only, "Make Room Members-Only?"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    return read_bool(form, "muc#roomconfig_membersonly", next.members_only);
  }
  void add_disco_features(const Room& room, std::vector<std::string>& out) const override {
    out.emplace_back(room.config().members_only ? "muc_membersonly" : "muc_open");
  }
  std::optional<xmpp::StanzaError> check_join(const Room& room,
                                              const JoinAttempt& join) const override {
    if (!room.config().members_only || join.affiliation >= Affiliation::member) {
      return std::nullopt;
    }
    return xmpp::StanzaError(xmpp::Condition::registration_required, xmpp::ErrorType::auth,
                             "this room is members-only");
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.members_only != b.members_only;
  }
};

}  // namespace

const RoomFeature& members_only_feature() {
  static const MembersOnly kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
