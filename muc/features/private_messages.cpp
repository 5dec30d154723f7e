// Who may send private messages through the room (muc#roomconfig_allowpm, §7.5).
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

class PrivateMessages : public RoomFeature {
 public:
  std::string_view name() const override { return "private_messages"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(xmpp::FormField::list_single("muc#roomconfig_allowpm",
                                               std::string(to_string(c.allow_pm)),
                                               {{"Anyone", "anyone"},
                                                {"Anyone with Voice", "participants"},
                                                {"Moderators Only", "moderators"},
                                                {"Nobody", "none"}},
                                               "Who Can Send Private Messages?"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits&,
                                         RoomConfig& next) const override {
    const xmpp::FormField* f = form.field("muc#roomconfig_allowpm");
    if (!f || f->values.empty()) return std::nullopt;
    auto p = pm_policy_from_string(f->value());
    if (!p) {
      return "muc#roomconfig_allowpm: expected anyone, participants, moderators or none, got \"" +
             std::string(f->value()) + "\"";
    }
    next.allow_pm = *p;
    return std::nullopt;
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.allow_pm != b.allow_pm;
  }
};

}  // namespace

std::optional<xmpp::StanzaError> private_message_veto(const RoomConfig& config, Role sender) {
  switch (config.allow_pm) {
    case PmPolicy::anyone:
      return std::nullopt;
    case PmPolicy::participants:
      if (sender >= Role::participant) return std::nullopt;
      return xmpp::StanzaError::forbidden(
          "only occupants with voice may send private messages here");
    case PmPolicy::moderators:
      if (sender >= Role::moderator) return std::nullopt;
      return xmpp::StanzaError::forbidden("only moderators may send private messages here");
    case PmPolicy::none:
      break;
  }
  return xmpp::StanzaError::not_allowed("private messages are disabled in this room");
}

const RoomFeature& private_messages_feature() {
  static const PrivateMessages kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
