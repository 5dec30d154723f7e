// Password-protected room (muc#roomconfig_passwordprotectedroom + roomsecret): entry needs
// the password (§7.2.5, not-authorized); muc_passwordprotected / muc_unsecured.
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

class Password : public RoomFeature {
 public:
  std::string_view name() const override { return "password"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(bool_field("muc#roomconfig_passwordprotectedroom", c.password_protected,
                             "Password Required to Enter?"));
    xmpp::FormField secret;
    secret.var = "muc#roomconfig_roomsecret";
    secret.type = xmpp::FieldType::text_private;
    secret.label = "Password";
    secret.desc = "Needed to enter the room when a password is required.";
    if (!c.password.empty()) secret.values.push_back(c.password);
    out.push_back(std::move(secret));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits& limits,
                                         RoomConfig& next) const override {
    if (auto e = read_bool(form, "muc#roomconfig_passwordprotectedroom", next.password_protected)) {
      return e;
    }
    if (auto e = read_text(form, "muc#roomconfig_roomsecret", limits.max_room_name_bytes,
                           next.password)) {
      return e;
    }
    // §10.1.3's own example of a configuration to refuse.
    if (next.password_protected && next.password.empty()) {
      return std::string("a password-protected room needs a password (muc#roomconfig_roomsecret)");
    }
    return std::nullopt;
  }
  void add_disco_features(const Room& room, std::vector<std::string>& out) const override {
    out.emplace_back(room.config().password_protected ? "muc_passwordprotected" : "muc_unsecured");
  }
  std::optional<xmpp::StanzaError> check_join(const Room& room,
                                              const JoinAttempt& join) const override {
    const RoomConfig& c = room.config();
    // Owners configure the password; asking them for it would only lock them out.
    if (!c.password_protected || join.affiliation == Affiliation::owner) return std::nullopt;
    if (join.password && same_secret(*join.password, c.password)) return std::nullopt;
    return xmpp::StanzaError(xmpp::Condition::not_authorized, xmpp::ErrorType::auth,
                             join.password ? "wrong password" : "this room needs a password");
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.password_protected != b.password_protected || a.password != b.password;
  }
};

}  // namespace

bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

const RoomFeature& password_feature() {
  static const Password kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
