// Who may read the member list (muc#roomconfig_getmemberlist, §9.5): admins always; in
// non-anonymous rooms every member; otherwise occupants whose role the owner listed.
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

class MemberList : public RoomFeature {
 public:
  std::string_view name() const override { return "member_list"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(roles_field("muc#roomconfig_getmemberlist", c.get_member_list,
                              "Roles and Affiliations that May Retrieve Member List"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    return read_roles(form, "muc#roomconfig_getmemberlist", next.get_member_list);
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.get_member_list != b.get_member_list;
  }
};

}  // namespace

bool may_read_member_list(const RoomConfig& config, Affiliation a, Role r) {
  if (a >= Affiliation::admin) return true;
  if (a == Affiliation::outcast) return false;
  if (config.whois == Whois::anyone && a == Affiliation::member) return true;
  return r != Role::none && config.get_member_list.contains(r);
}

const RoomFeature& member_list_feature() {
  static const MemberList kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
