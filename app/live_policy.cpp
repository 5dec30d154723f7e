#include "app/live_policy.hpp"

namespace commonroom::app {

std::vector<std::pair<std::string, std::string>> policy_summary(const Config& config) {
  const auto& p = config.policy;
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out.empty() ? std::string("(none)") : out;
  };
  auto rate = [](uint32_t per_minute) {
    return per_minute == 0 ? std::string("no limit") : std::to_string(per_minute) + " a minute";
  };
  std::vector<std::string> creators = p.persistent_creators;
  if (p.directory_staff_may_persist) creators.push_back("directory:staff");
  return {
      {"local_domains", list(p.local_domains)},
      {"persistent_creators", list(creators)},
      {"service_admins", list(p.service_admins)},
      {"room_quota", std::to_string(p.room_quota)},
      {"room_name_pattern", p.room_name_pattern},
      {"room_name_min_length / max_length",
       std::to_string(p.room_name_min) + " / " + std::to_string(p.room_name_max)},
      {"reserved_room_names", list(p.reserved_room_names)},
      {"reserved_nicks", list(p.reserved_nicks)},
      {"denied_domains", list(p.denied_domains)},
      {"max_users_default / max_users",
       std::to_string(p.max_users_default) + " / " + std::to_string(p.max_users_ceiling)},
      {"max_rooms", std::to_string(p.max_rooms)},
      {"max_message_bytes", std::to_string(p.max_message_bytes)},
      {"messages_per_minute (burst)",
       rate(p.messages_per_minute) + " (" + std::to_string(p.message_burst) + ")"},
      {"presences_per_minute (burst)",
       rate(p.presences_per_minute) + " (" + std::to_string(p.presence_burst) + ")"},
      {"max_links", std::to_string(p.max_links)},
      {"retention_days", config.retention.days == 0 ? std::string("0 (kept forever)")
                                                    : std::to_string(config.retention.days)},
  };
}

void LivePolicy::set(const Config& config) {
  auto summary = policy_summary(config);
  std::lock_guard lock(mutex_);
  summary_ = std::move(summary);
  local_domains_ = config.policy.local_domains;
}

std::vector<std::pair<std::string, std::string>> LivePolicy::summary() const {
  std::lock_guard lock(mutex_);
  return summary_;
}

std::vector<std::string> LivePolicy::local_domains() const {
  std::lock_guard lock(mutex_);
  return local_domains_;
}

}  // namespace commonroom::app
