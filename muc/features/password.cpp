// Password-protected room (muc#roomconfig_passwordprotectedroom + roomsecret): entry needs
// the password (§7.2.5, not-authorized); muc_passwordprotected / muc_unsecured. The room
// keeps only a salted hash of the password (muc/room_secret.hpp, decision 0036), so the
// configuration form never shows it back and an empty secret keeps the current one. For
// the same reason mediated invitations carry no <password/>: §7.8.2's SHOULD (the room adds
// it) cannot be met, and the inviter, who knows the password, tells the invitee.
#include "muc/features/feature.hpp"
#include "muc/room_secret.hpp"

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
    secret.desc = c.password.empty()
                      ? "Needed to enter the room when a password is required."
                      : "A password is set (it is stored hashed and cannot be shown). Leave "
                        "this empty to keep it, or type a new one.";
    out.push_back(std::move(secret));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits& limits,
                                         RoomConfig& next) const override {
    if (auto e = read_bool(form, "muc#roomconfig_passwordprotectedroom", next.password_protected)) {
      return e;
    }
    std::string typed;
    if (auto e =
            read_text(form, "muc#roomconfig_roomsecret", limits.max_room_password_bytes, typed)) {
      return e;
    }
    if (!typed.empty()) {
      next.password = hash_room_secret(typed);
    } else if (!next.password_protected) {
      next.password.clear();  // an unsecured room keeps no password to come back to
    }
    // §10.1.3's own example of a configuration to refuse.
    if (next.password_protected && next.password.empty()) {
      return std::string("a password-protected room needs a password (muc#roomconfig_roomsecret)");
    }
    return std::nullopt;
  }
  void add_disco_features(const Room& room, const RoomServiceConfig&,
                          std::vector<std::string>& out) const override {
    out.emplace_back(room.config().password_protected ? "muc_passwordprotected" : "muc_unsecured");
  }
  std::optional<xmpp::StanzaError> check_join(const Room& room,
                                              const JoinAttempt& join) const override {
    const RoomConfig& c = room.config();
    // Owners configure the password; asking them for it would only lock them out.
    if (!c.password_protected || join.affiliation == Affiliation::owner) return std::nullopt;
    if (join.password && room_secret_matches(*join.password, c.password)) return std::nullopt;
    return xmpp::StanzaError::not_authorized(join.password ? "wrong password"
                                                           : "this room needs a password");
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.password_protected != b.password_protected || a.password != b.password;
  }
};

}  // namespace

const RoomFeature& password_feature() {
  static const Password kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
