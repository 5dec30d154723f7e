// The [policy] as last loaded, at start or by a reload (SIGHUP), for the threads that show
// or check it outside the rooms engine: the admin web's /policy page and the abuse
// workspace's refusal to ban one of the service's own domains.
#pragma once
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "app/config.hpp"

namespace commonroom::app {

// The effective [policy] in the file's own words, as (key, value) rows.
std::vector<std::pair<std::string, std::string>> policy_summary(const Config& config);

class LivePolicy {
 public:
  explicit LivePolicy(const Config& config) { set(config); }

  // Called by the reload after the rooms engine was handed the new rules.
  void set(const Config& config);

  std::vector<std::pair<std::string, std::string>> summary() const;
  std::vector<std::string> local_domains() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> summary_;
  std::vector<std::string> local_domains_;
};

}  // namespace commonroom::app
