// Who may search the directory (local users only by default) and how often (a token bucket
// per user), with time passed in so both are pure and testable.
#pragma once
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "xmpp/jid.hpp"

namespace commonroom::directory {

class SearchAccess {
 public:
  // `allowed_domains` empty: the parent domain of `service_domain` ("directory.cam.example"
  // -> "cam.example"). Domains are compared after nameprep, so case does not matter.
  SearchAccess(std::string_view service_domain, const std::vector<std::string>& allowed_domains);

  bool allowed(const xmpp::Jid& from) const;
  // "cam.example" or "cam.example, cam.ac.uk", for error texts.
  std::string describe() const;
  const std::vector<std::string>& domains() const { return domains_; }

 private:
  std::vector<std::string> domains_;
};

class RateLimiter {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // `per_minute` == 0: never limits. At most `max_tracked` users are remembered; users whose
  // bucket has refilled are forgotten first (they would start full anyway).
  RateLimiter(unsigned per_minute, unsigned burst, std::size_t max_tracked = 100000);

  // Takes one search from `key`'s bucket. nullopt: go ahead. Otherwise the time until the
  // next search would be allowed (the bucket is left as it was).
  std::optional<std::chrono::milliseconds> take(std::string_view key, TimePoint now);
  std::size_t tracked() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    TimePoint last;
  };
  double refill(Bucket& b, TimePoint now) const;
  void forget_full(TimePoint now);

  double per_second_;
  double capacity_;
  std::size_t max_tracked_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace commonroom::directory
