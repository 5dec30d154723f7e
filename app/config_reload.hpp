// Reload on SIGHUP: re-reads commonroom.ini, applies what can change while the service runs
// (log levels, the [policy] rules, the directory sync schedule) and names every other
// change as needing a restart. A file with errors is refused and the running one kept.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "app/config.hpp"

namespace commonroom::directory {
class SyncJob;
}

namespace commonroom::app {

class Runtime;
class LivePolicy;

// The "key = value" lines of a configuration file by (section, key), values as written
// (inline comments and surrounding quotes removed): enough to see which keys changed.
using RawSettings = std::map<std::pair<std::string, std::string>, std::string>;
RawSettings read_raw_settings(const std::string& path);

// Which changed keys a reload applies and which wait for a restart ("[section] key").
struct ReloadPlan {
  std::vector<std::string> applied;
  std::vector<std::string> needs_restart;
  bool log_levels = false;
  bool policy = false;
  bool sync_schedule = false;
};
ReloadPlan plan_reload(const RawSettings& running, const RawSettings& next);
// Whether a change to this key takes effect on reload (true) or only after a restart.
bool reloadable(const std::string& section, const std::string& key);

class ConfigReloader {
 public:
  // `sync`: the running directory sync job, or nullptr when syncs are not scheduled here.
  // `live_policy`: what the admin web shows and checks of [policy], or nullptr.
  ConfigReloader(Config running, Runtime& runtime, directory::SyncJob* sync,
                 LivePolicy* live_policy = nullptr);

  // Re-reads the configuration file and applies what it can; false when the file was
  // refused (the running configuration is kept). Everything it does is logged.
  bool reload();

 private:
  Config running_;
  // What is in effect: a key that needs a restart keeps its old value here, so every later
  // reload names it again until the service is restarted.
  RawSettings raw_;
  Runtime& runtime_;
  directory::SyncJob* sync_;
  LivePolicy* live_policy_;
};

}  // namespace commonroom::app
