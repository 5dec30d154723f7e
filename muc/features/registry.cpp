// The feature list and the small form helpers feature files share.
#include <array>
#include <charconv>

#include "muc/features/feature.hpp"

namespace commonroom::muc {

std::span<const RoomFeature* const> room_features() {
  // muc#roomconfig order of XEP-0045 §10.1.3's example form.
  static const std::array<const RoomFeature*, 22> kAll{
      &room_name_feature(),
      &logging_feature(),
      &subject_feature(),
      &invites_feature(),
      &private_messages_feature(),
      &max_users_feature(),
      &presence_broadcast_feature(),
      &member_list_feature(),
      &public_room_feature(),
      &persistent_feature(),
      &moderated_feature(),
      &members_only_feature(),
      &linked_membership_feature(),
      &password_feature(),
      &whois_feature(),
      &history_feature(),
      &registration_feature(),
      &voice_requests_feature(),
      &stable_ids_feature(),
      &self_ping_feature(),
      &moderation_feature(),
      &mam_feature(),
  };
  return kAll;
}

std::span<const RoomFeature* const> join_checks() {
  // Bans and locked rooms are checked by the engine before these. Then: not a member,
  // wrong password, a nickname reserved by someone else, a full room.
  static const std::array<const RoomFeature*, 4> kChecks{
      &members_only_feature(), &password_feature(), &registration_feature(), &max_users_feature()};
  return kChecks;
}

std::optional<std::string> read_bool(const xmpp::DataForm& form, std::string_view var, bool& out) {
  const xmpp::FormField* f = form.field(var);
  if (!f) return std::nullopt;
  if (f->values.empty()) return std::nullopt;  // left empty: keep the current value
  auto v = xmpp::parse_form_boolean(f->value());
  if (!v) return std::string(var) + ": expected a boolean (0, 1, false or true)";
  out = *v;
  return std::nullopt;
}

std::optional<std::string> read_text(const xmpp::DataForm& form, std::string_view var,
                                     std::size_t max_bytes, std::string& out) {
  const xmpp::FormField* f = form.field(var);
  if (!f) return std::nullopt;
  if (f->values.size() > 1) return std::string(var) + ": expected one value";
  std::string_view v = f->value();
  if (v.size() > max_bytes) {
    return std::string(var) + ": longer than " + std::to_string(max_bytes) + " bytes";
  }
  out = std::string(v);
  return std::nullopt;
}

xmpp::FormField bool_field(std::string var, bool value, std::string label) {
  return xmpp::FormField::boolean(std::move(var), value, std::move(label));
}

xmpp::FormField text_field(std::string var, std::string value, std::string label) {
  xmpp::FormField f =
      xmpp::FormField::text_single(std::move(var), std::move(value), std::move(label));
  if (f.values.size() == 1 && f.values.front().empty()) f.values.clear();
  return f;
}

xmpp::FormField roles_field(std::string var, const RoleSet& roles, std::string label) {
  xmpp::FormField f;
  f.var = std::move(var);
  f.type = xmpp::FieldType::list_multi;
  f.label = std::move(label);
  for (Role r : {Role::moderator, Role::participant, Role::visitor}) {
    std::string name(to_string(r));
    if (roles.contains(r)) f.values.push_back(name);
    std::string option_label = name;
    option_label[0] = static_cast<char>(option_label[0] - 'a' + 'A');
    f.options.push_back({option_label, name});
  }
  return f;
}

std::optional<std::string> read_roles(const xmpp::DataForm& form, std::string_view var,
                                      RoleSet& out) {
  const xmpp::FormField* f = form.field(var);
  if (!f) return std::nullopt;
  RoleSet roles;
  for (const auto& v : f->values) {
    auto r = role_from_string(v);
    if (!r || *r == Role::none) return std::string(var) + ": unknown role \"" + v + "\"";
    roles.add(*r);
  }
  out = roles;
  return std::nullopt;
}

}  // namespace commonroom::muc
