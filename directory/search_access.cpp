#include "directory/search_access.hpp"

#include <algorithm>
#include <cmath>

namespace commonroom::directory {

namespace {

std::string prepared_domain(std::string_view domain) {
  try {
    return std::string(xmpp::Jid::parse(domain).domain());
  } catch (const xmpp::JidError&) {
    return std::string(domain);  // never matches a prepared JID's domain
  }
}

}  // namespace

SearchAccess::SearchAccess(std::string_view service_domain,
                           const std::vector<std::string>& allowed_domains) {
  if (allowed_domains.empty()) {
    auto dot = service_domain.find('.');
    std::string_view parent =
        dot == std::string_view::npos ? service_domain : service_domain.substr(dot + 1);
    domains_.push_back(prepared_domain(parent));
  } else {
    for (const auto& d : allowed_domains) domains_.push_back(prepared_domain(d));
  }
}

bool SearchAccess::allowed(const xmpp::Jid& from) const {
  // Only accounts: a bare domain (another server or component) is not a user.
  if (!from.has_node()) return false;
  return std::find(domains_.begin(), domains_.end(), from.domain()) != domains_.end();
}

std::string SearchAccess::describe() const {
  std::string out;
  for (const auto& d : domains_) {
    if (!out.empty()) out += ", ";
    out += d;
  }
  return out;
}

RateLimiter::RateLimiter(unsigned per_minute, unsigned burst, std::size_t max_tracked)
    : per_second_(per_minute / 60.0),
      capacity_(std::max(1u, burst)),
      max_tracked_(std::max<std::size_t>(1, max_tracked)) {}

double RateLimiter::refill(Bucket& b, TimePoint now) const {
  // A clock stepped backwards must not drain or overfill anyone's bucket.
  double elapsed = std::max(0.0, std::chrono::duration<double>(now - b.last).count());
  b.tokens = std::min(capacity_, b.tokens + elapsed * per_second_);
  b.last = std::max(b.last, now);
  return b.tokens;
}

void RateLimiter::forget_full(TimePoint now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (refill(it->second, now) >= capacity_) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<std::chrono::milliseconds> RateLimiter::take(std::string_view key, TimePoint now) {
  if (per_second_ <= 0) return std::nullopt;
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_tracked_) forget_full(now);
    // Still full of users mid-burst: let this one through untracked rather than grow
    // without bound (only local users get this far).
    if (buckets_.size() >= max_tracked_) return std::nullopt;
    it = buckets_.emplace(std::string(key), Bucket{capacity_, now}).first;
  }
  Bucket& b = it->second;
  if (refill(b, now) >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  double wait = (1.0 - b.tokens) / per_second_;
  return std::chrono::milliseconds(static_cast<long>(std::ceil(wait * 1000.0)));
}

}  // namespace commonroom::directory
