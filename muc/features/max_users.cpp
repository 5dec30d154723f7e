// Maximum occupants (muc#roomconfig_maxusers): a full room refuses entry with
// service-unavailable (§7.2.9) except to admins and owners, up to an overflow limit.
#include <charconv>

#include "muc/features/feature.hpp"
#include "muc/muc_errors.hpp"

namespace commonroom::muc {

namespace {

class MaxUsers : public RoomFeature {
 public:
  std::string_view name() const override { return "max_users"; }
  void add_config_fields(const RoomConfig& c, const Limits& limits,
                         std::vector<xmpp::FormField>& out) const override {
    std::vector<xmpp::FormOption> options;
    for (std::uint32_t n : {10u, 20u, 30u, 50u, 100u, 200u, 500u, 1000u}) {
      if (limits.max_users == 0 || n <= limits.max_users) {
        options.push_back({std::to_string(n), std::to_string(n)});
      }
    }
    if (limits.max_users == 0) options.push_back({"None", "none"});
    std::string value = c.max_users ? std::to_string(*c.max_users) : "none";
    bool listed = false;
    for (const auto& o : options) listed = listed || o.value == value;
    if (!listed) options.push_back({value, value});
    out.push_back(xmpp::FormField::list_single("muc#roomconfig_maxusers", value, options,
                                               "Maximum Number of Occupants"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits& limits,
                                         RoomConfig& next) const override {
    const xmpp::FormField* f = form.field("muc#roomconfig_maxusers");
    if (!f || f->values.empty()) return std::nullopt;
    std::string_view v = f->value();
    if (v == "none") {
      if (limits.max_users != 0) {
        return "muc#roomconfig_maxusers: rooms here hold at most " +
               std::to_string(limits.max_users) + " occupants";
      }
      next.max_users.reset();
      return std::nullopt;
    }
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n == 0) {
      return "muc#roomconfig_maxusers: expected a positive number or none, got \"" +
             std::string(v) + "\"";
    }
    if (limits.max_users != 0 && n > limits.max_users) {
      return "muc#roomconfig_maxusers: rooms here hold at most " +
             std::to_string(limits.max_users) + " occupants";
    }
    next.max_users = n;
    return std::nullopt;
  }
  void add_roominfo_fields(const Room& room, std::vector<xmpp::FormField>& out) const override {
    out.push_back(text_field("muc#roominfo_occupants", std::to_string(room.occupants().size()),
                             "Number of occupants"));
  }
  std::optional<xmpp::StanzaError> check_join(const Room& room,
                                              const JoinAttempt& join) const override {
    if (!join.new_occupant) return std::nullopt;  // another session of a present occupant
    std::size_t n = room.occupants().size();
    std::size_t max = room.config().max_users.value_or(0);
    if (join.limits.max_users != 0 && (max == 0 || max > join.limits.max_users)) {
      max = join.limits.max_users;
    }
    if (max == 0 || n < max) return std::nullopt;
    // §7.2.9: admins and owners still get in, "up to some reasonable number".
    if (join.affiliation >= Affiliation::admin && n < max + join.limits.admin_overflow) {
      return std::nullopt;
    }
    return room_full("the room is full");
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.max_users != b.max_users;
  }
};

}  // namespace

const RoomFeature& max_users_feature() {
  static const MaxUsers kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
