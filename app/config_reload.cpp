#include "app/config_reload.hpp"

#include <Poco/Logger.h>

#include <chrono>
#include <fstream>
#include <set>

#include "app/live_policy.hpp"
#include "app/logging.hpp"
#include "app/runtime.hpp"
#include "directory/sync_job.hpp"

namespace commonroom::app {

namespace {

// How long a reload waits for the rooms engine to take the new rules.
constexpr std::chrono::seconds kPolicyHandover{5};

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// The value as the reader sees it: quoted values keep what is inside the quotes, others
// end at an inline comment (";" or "#" after whitespace).
std::string value_of(const std::string& raw) {
  std::string v = trim(raw);
  if (!v.empty() && v[0] == '"') {
    std::string out;
    for (size_t i = 1; i < v.size(); ++i) {
      if (v[i] == '"') return out;
      if (v[i] == '\\' && i + 1 < v.size()) ++i;  // \" and \\ as the reader takes them
      out += v[i];
    }
    return v;  // unterminated: the reader reports it; compare it as written
  }
  for (size_t i = 1; i < v.size(); ++i)
    if ((v[i] == ';' || v[i] == '#') && (v[i - 1] == ' ' || v[i - 1] == '\t'))
      return trim(v.substr(0, i));
  return v;
}

std::string named(const std::pair<std::string, std::string>& key) {
  return "[" + key.first + "] " + key.second;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The [ldap] keys SyncSchedule reads; the rest of [ldap] is how a sync runs.
const std::set<std::string>& schedule_keys() {
  static const std::set<std::string> keys = {"full_sync_interval_minutes",
                                             "incremental_interval_minutes",
                                             "retry_initial_seconds", "retry_max_seconds"};
  return keys;
}

}  // namespace

RawSettings read_raw_settings(const std::string& path) {
  RawSettings out;
  std::ifstream in(path, std::ios::binary);
  std::string line, section;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string s = trim(line);
    if (s.empty() || s[0] == ';' || s[0] == '#') continue;
    if (s[0] == '[') {
      const auto close = s.find(']');
      section = close == std::string::npos ? s : trim(s.substr(1, close - 1));
      continue;
    }
    const auto eq = s.find('=');
    if (eq == std::string::npos) continue;
    out[{section, trim(s.substr(0, eq))}] = value_of(s.substr(eq + 1));
  }
  return out;
}

bool reloadable(const std::string& section, const std::string& key) {
  if (section == "logging") return key == "level" || key.starts_with("level.");
  // Retention is a job started with its interval; the rest of [policy] is the rooms rules.
  if (section == "policy") return !key.starts_with("retention_");
  if (section == "ldap") return schedule_keys().contains(key);
  return false;
}

ReloadPlan plan_reload(const RawSettings& running, const RawSettings& next) {
  std::set<std::pair<std::string, std::string>> changed;
  for (const auto& [key, value] : running) {
    auto it = next.find(key);
    if (it == next.end() || it->second != value) changed.insert(key);
  }
  for (const auto& [key, value] : next)
    if (!running.contains(key)) changed.insert(key);
  ReloadPlan plan;
  for (const auto& key : changed) {
    if (!reloadable(key.first, key.second)) {
      plan.needs_restart.push_back(named(key));
      continue;
    }
    plan.applied.push_back(named(key));
    if (key.first == "logging") plan.log_levels = true;
    if (key.first == "policy") plan.policy = true;
    if (key.first == "ldap") plan.sync_schedule = true;
  }
  return plan;
}

ConfigReloader::ConfigReloader(Config running, Runtime& runtime, directory::SyncJob* sync,
                               LivePolicy* live_policy)
    : running_(std::move(running)),
      raw_(read_raw_settings(running_.path)),
      runtime_(runtime),
      sync_(sync),
      live_policy_(live_policy) {}

bool ConfigReloader::reload() {
  auto& log = Poco::Logger::get("app");
  log.information("reload: re-reading " + running_.path);
  auto result = load_config(running_.path);
  if (!result.config) {
    std::string errors;
    for (const auto& e : result.errors) errors += "\n  " + e.to_string();
    log.error("reload refused: " + running_.path + " has " + std::to_string(result.errors.size()) +
              " error(s); still running with the configuration loaded before." + errors);
    return false;
  }
  for (const auto& w : result.warnings) log.warning("reload: " + w.to_string());
  const Config& next = *result.config;
  const RawSettings next_raw = read_raw_settings(running_.path);
  const ReloadPlan plan = plan_reload(raw_, next_raw);
  if (plan.applied.empty() && plan.needs_restart.empty()) {
    log.information("reload: nothing changed");
    return true;
  }

  if (plan.log_levels) {
    apply_log_levels(next.logging);
    running_.logging.level = next.logging.level;
    running_.logging.levels = next.logging.levels;
  }
  if (plan.policy) {
    const auto retention = running_.retention;  // read from [policy] too, but not reloaded
    if (running_.muc && !runtime_.set_policy(next.policy, kPolicyHandover))
      log.warning("reload: the rooms engine did not take the new [policy] within " +
                  std::to_string(kPolicyHandover.count()) + " s; it will once it is free");
    running_.policy = next.policy;
    running_.retention = retention;
    if (live_policy_) live_policy_->set(running_);
  }
  if (plan.sync_schedule && running_.ldap && next.ldap) {
    running_.ldap->full_sync_interval = next.ldap->full_sync_interval;
    running_.ldap->incremental_interval = next.ldap->incremental_interval;
    running_.ldap->retry_initial = next.ldap->retry_initial;
    running_.ldap->retry_max = next.ldap->retry_max;
    if (sync_) sync_->reschedule(*running_.ldap);
  }
  if (!plan.applied.empty()) log.information("reload: applied " + joined(plan.applied));
  if (!plan.needs_restart.empty())
    log.warning("reload: changed but only take effect after a restart: " +
                joined(plan.needs_restart));

  // Keys waiting for a restart keep their old values, so the next reload names them again.
  RawSettings in_effect = next_raw;
  for (const auto& [key, value] : next_raw)
    if (!reloadable(key.first, key.second)) {
      auto old = raw_.find(key);
      if (old == raw_.end())
        in_effect.erase(key);
      else
        in_effect[key] = old->second;
    }
  for (const auto& [key, value] : raw_)
    if (!reloadable(key.first, key.second) && !next_raw.contains(key)) in_effect[key] = value;
  raw_ = std::move(in_effect);
  return true;
}

}  // namespace commonroom::app
