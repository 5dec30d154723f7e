// Who may see real JIDs (muc#roomconfig_whois): non-anonymous rooms show them to everyone
// (status 100 on entry, 172 on change), semi-anonymous ones to moderators only (173).
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

class WhoisFeature : public RoomFeature {
 public:
  std::string_view name() const override { return "whois"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(xmpp::FormField::list_single(
        "muc#roomconfig_whois", std::string(to_string(c.whois)),
        {{"Moderators Only", "moderators"}, {"Anyone", "anyone"}}, "Who May Discover Real JIDs?"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    const xmpp::FormField* f = form.field("muc#roomconfig_whois");
    if (!f || f->values.empty()) return std::nullopt;
    auto w = whois_from_string(f->value());
    if (!w) {
      return "muc#roomconfig_whois: expected moderators or anyone, got \"" +
             std::string(f->value()) + "\"";
    }
    next.whois = *w;
    return std::nullopt;
  }
  void add_disco_features(const Room& room, const RoomServiceConfig&,
                          std::vector<std::string>& out) const override {
    out.emplace_back(room.config().whois == Whois::anyone ? "muc_nonanonymous"
                                                          : "muc_semianonymous");
  }
  void add_roominfo_fields(const Room& room, std::vector<xmpp::FormField>& out) const override {
    // Owners' addresses are contact points only where real JIDs are public anyway.
    if (room.config().whois != Whois::anyone) return;
    xmpp::FormField f;
    f.var = "muc#roominfo_contactjid";
    f.type = xmpp::FieldType::jid_multi;
    f.label = "Contact Addresses";
    for (const auto& [jid, e] : room.affiliations()) {
      if (e.affiliation == Affiliation::owner) f.values.push_back(jid);
    }
    if (!f.values.empty()) out.push_back(std::move(f));
  }
  void add_join_codes(const RoomConfig& c, std::vector<int>& codes) const override {
    if (c.whois == Whois::anyone) codes.push_back(100);
  }
  void add_change_codes(const RoomConfig& before, const RoomConfig& after,
                        std::vector<int>& codes) const override {
    if (before.whois != after.whois) codes.push_back(after.whois == Whois::anyone ? 172 : 173);
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.whois != b.whois;
  }
  bool announced_by_104() const override { return false; }  // 172/173 say it
};

}  // namespace

const RoomFeature& whois_feature() {
  static const WhoisFeature kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
