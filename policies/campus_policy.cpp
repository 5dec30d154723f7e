#include "policies/campus_policy.hpp"

#include <unicode/unistr.h>
#include <unicode/uspoof.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace commonroom::policies {

namespace {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// A list of domains and bare JIDs names `user` by its bare JID or its domain.
bool names(const std::vector<std::string>& list, const xmpp::Jid& user) {
  return contains(list, user.bare_str()) || contains(list, user.domain());
}

std::string join(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

// ICU's spoof checker (UTS #39 confusables), opened once. Two nicks are confusable exactly
// when their skeletons are equal (what uspoof_areConfusable compares with every confusable
// check on), so each nick's skeletons are computed once and kept: checking a newcomer
// against a room of N occupants is then N string comparisons, not 2N ICU skeleton
// computations (which made the 10,000th join into one room take 30 ms).
struct CampusPolicy::Spoof {
  struct Skeletons {
    std::string plain;
    std::string folded;  // of the case-folded nick: "Admin" and "admin" read the same
  };
  // Bounded: emptied when full (a cache, not state).
  static constexpr size_t kMaxCachedNicks = 1 << 16;

  USpoofChecker* checker = nullptr;
  std::mutex mutex;  // policies are shared by the services' engine threads
  std::unordered_map<std::string, Skeletons> cache;

  Spoof() {
    UErrorCode status = U_ZERO_ERROR;
    checker = uspoof_open(&status);
    if (U_SUCCESS(status)) uspoof_setChecks(checker, USPOOF_CONFUSABLE, &status);
    if (U_FAILURE(status)) {
      if (checker) uspoof_close(checker);
      throw std::runtime_error(std::string("ICU spoof checker: ") + u_errorName(status));
    }
  }
  ~Spoof() { uspoof_close(checker); }
  Spoof(const Spoof&) = delete;
  Spoof& operator=(const Spoof&) = delete;

  std::string skeleton(const icu::UnicodeString& s) const {
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString out;
    uspoof_getSkeletonUnicodeString(checker, 0, s, out, &status);
    std::string utf8;
    // A nick ICU cannot take apart is compared as itself.
    if (U_FAILURE(status)) out = s;
    return out.toUTF8String(utf8);
  }

  Skeletons skeletons(std::string_view nick) {
    std::string key(nick);
    {
      std::lock_guard lock(mutex);
      if (auto it = cache.find(key); it != cache.end()) return it->second;
    }
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(nick.data(), nick.size()));
    Skeletons s{skeleton(u), skeleton(icu::UnicodeString(u).foldCase())};
    std::lock_guard lock(mutex);
    if (cache.size() >= kMaxCachedNicks) cache.clear();
    cache.emplace(std::move(key), s);
    return s;
  }
};

CampusPolicy::CampusPolicy(PolicySettings settings, std::shared_ptr<const StaffDirectory> staff)
    : settings_(std::move(settings)),
      staff_(std::move(staff)),
      room_name_(settings_.room_name_pattern, std::regex::ECMAScript),
      spoof_(std::make_unique<Spoof>()) {}

CampusPolicy::~CampusPolicy() = default;

bool CampusPolicy::is_local(const xmpp::Jid& user) const {
  return contains(settings_.local_domains, user.domain());
}

bool CampusPolicy::may_own_persistent(const xmpp::Jid& user) const {
  return is_service_admin(user) || names(settings_.persistent_creators, user) ||
         (staff_ && staff_->is_staff(user.bare()));
}

bool CampusPolicy::is_service_admin(const xmpp::Jid& user) const {
  return contains(settings_.service_admins, user.bare_str());
}

bool CampusPolicy::confusable(std::string_view a, std::string_view b) const {
  const Spoof::Skeletons sa = spoof_->skeletons(a);
  const Spoof::Skeletons sb = spoof_->skeletons(b);
  return sa.plain == sb.plain || sa.folded == sb.folded;
}

muc::Verdict CampusPolicy::check_creation(const muc::CreationRequest& r) const {
  if (r.rooms_total >= settings_.max_rooms) {
    return muc::Verdict::deny("the service holds as many rooms as it may (" +
                              std::to_string(settings_.max_rooms) + "); try again later");
  }
  // Service admins may act from outside the local domains (the admin web acts from a
  // domain of its own); the name rules and the service's room limit still apply to them.
  const bool admin = r.service_admin || is_service_admin(r.creator);
  if (!admin && !is_local(r.creator)) {
    return muc::Verdict::deny("only users of " + join(settings_.local_domains) +
                              " may create rooms");
  }
  std::string_view name = r.room.node();
  if (name.size() < settings_.room_name_min || name.size() > settings_.room_name_max) {
    return muc::Verdict::deny("room names are " + std::to_string(settings_.room_name_min) + " to " +
                              std::to_string(settings_.room_name_max) + " characters long");
  }
  if (!std::regex_match(name.begin(), name.end(), room_name_)) {
    return muc::Verdict::deny("room names must match " + settings_.room_name_pattern);
  }
  std::string lower = ascii_lower(name);
  for (const auto& reserved : settings_.reserved_room_names) {
    if (ascii_lower(reserved) == lower) {
      return muc::Verdict::deny("the room name \"" + std::string(name) + "\" is reserved");
    }
  }
  if (admin) return muc::Verdict::allow();
  if (r.rooms_owned >= settings_.room_quota) {
    return muc::Verdict::deny("you may own at most " + std::to_string(settings_.room_quota) +
                              " rooms at once");
  }
  if (r.persistent && !may_own_persistent(r.creator)) {
    return muc::Verdict::deny("only staff and users granted it may create persistent rooms");
  }
  return muc::Verdict::allow();
}

void CampusPolicy::default_config(const xmpp::Jid&, muc::RoomConfig& config) const {
  config.max_users = std::min(settings_.max_users_default, settings_.max_users_ceiling);
}

std::vector<xmpp::FormField> CampusPolicy::locked_fields(const xmpp::Jid&) const {
  // Every room is non-anonymous and logged: the abuse log and accountability depend on it.
  return {xmpp::FormField::list_single("muc#roomconfig_whois", "anyone", {}),
          xmpp::FormField::boolean("muc#roomconfig_enablelogging", true)};
}

muc::Limits CampusPolicy::limits() const {
  muc::Limits l;
  l.max_users = settings_.max_users_ceiling;
  l.max_links = settings_.max_links;
  return l;
}

muc::NickDecision CampusPolicy::check_nick_in_room(
    const xmpp::Jid& user, const xmpp::Jid&, std::string_view nick,
    const std::vector<std::string_view>& others) const {
  using Kind = muc::NickDecision::Kind;
  if (!is_service_admin(user)) {
    for (const auto& reserved : settings_.reserved_nicks) {
      if (confusable(nick, reserved)) {
        return {Kind::conflict, "", "the nickname \"" + reserved + "\" is reserved"};
      }
    }
  }
  for (std::string_view other : others) {
    if (confusable(nick, other)) {
      return {Kind::conflict, "",
              "\"" + std::string(nick) + "\" looks too much like \"" + std::string(other) +
                  "\", which someone in the room uses"};
    }
  }
  return {};
}

muc::Verdict CampusPolicy::may_enter(const xmpp::Jid& user, const xmpp::Jid&,
                                     const muc::RoomConfig& config, muc::Affiliation a) const {
  if (is_service_admin(user)) return muc::Verdict::allow();
  if (contains(settings_.denied_domains, user.domain())) {
    return muc::Verdict::deny("users of " + std::string(user.domain()) +
                              " may not enter rooms here");
  }
  if (!is_local(user) && !config.public_room && a == muc::Affiliation::none) {
    return muc::Verdict::deny("users of other domains may enter public rooms only");
  }
  return muc::Verdict::allow();
}

muc::Verdict CampusPolicy::may_link_room(const xmpp::Jid& user, const xmpp::Jid&) const {
  // Linking admits a whole college or department; the same people who may keep rooms
  // (staff, persistent_creators, service admins) may decide that.
  if (may_own_persistent(user)) return muc::Verdict::allow();
  return muc::Verdict::deny(
      "only staff and users granted persistent rooms may link a room to institutions or groups");
}

muc::Verdict CampusPolicy::check_traffic(const xmpp::Jid& user, const xmpp::Jid& room,
                                         muc::Traffic kind, std::size_t bytes,
                                         std::chrono::system_clock::time_point now) const {
  bool message = kind == muc::Traffic::message;
  if (message && bytes > settings_.max_message_bytes) {
    return muc::Verdict::deny("messages are limited to " +
                              std::to_string(settings_.max_message_bytes) +
                              " bytes; this one has " + std::to_string(bytes));
  }
  double per_minute = message ? settings_.messages_per_minute : settings_.presences_per_minute;
  double burst = message ? settings_.message_burst : settings_.presence_burst;
  if (per_minute <= 0) return muc::Verdict::allow();
  std::string key = std::string(message ? "m " : "p ") + std::string(room.bare_str()) + " " +
                    std::string(user.bare_str());
  std::lock_guard lock(buckets_mutex_);
  if (buckets_.size() >= 100000) {
    // Forget buckets that have refilled: they hold nothing a new one would not.
    std::erase_if(buckets_, [&](const auto& entry) {
      const Bucket& b = entry.second;
      bool m = entry.first.starts_with("m ");
      double rate = (m ? settings_.messages_per_minute : settings_.presences_per_minute) / 60.0;
      double cap = m ? settings_.message_burst : settings_.presence_burst;
      double elapsed = std::chrono::duration<double>(now - b.last).count();
      return rate <= 0 || b.tokens + elapsed * rate >= cap;
    });
  }
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst, now});
  Bucket& b = it->second;
  double elapsed = std::chrono::duration<double>(now - b.last).count();
  if (elapsed > 0) {
    b.tokens = std::min(burst, b.tokens + elapsed * per_minute / 60.0);
    b.last = now;
  }
  if (b.tokens < 1.0) {
    return muc::Verdict::deny(
        message ? "you are sending messages too fast (at most " +
                      std::to_string(settings_.messages_per_minute) + " a minute); wait a moment"
                : "you are changing your presence too fast (at most " +
                      std::to_string(settings_.presences_per_minute) + " a minute); wait a moment");
  }
  b.tokens -= 1.0;
  return muc::Verdict::allow();
}

}  // namespace commonroom::policies
