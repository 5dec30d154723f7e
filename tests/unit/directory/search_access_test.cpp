// Who may search the directory and how often: the access rule and the per-user token bucket.
#include <gtest/gtest.h>

#include <chrono>

#include "directory/search_access.hpp"

using commonroom::directory::RateLimiter;
using commonroom::directory::SearchAccess;
using commonroom::xmpp::Jid;
using namespace std::chrono_literals;
using Time = std::chrono::system_clock::time_point;

namespace {

TEST(SearchAccess, LocalUsersOfTheParentDomainByDefault) {
  SearchAccess access("directory.cam.example", {});
  EXPECT_TRUE(access.allowed(Jid::parse("abc123@cam.example/phone")));
  EXPECT_TRUE(access.allowed(Jid::parse("abc123@CAM.Example")));
  EXPECT_FALSE(access.allowed(Jid::parse("abc123@evil.example")));
  EXPECT_FALSE(access.allowed(Jid::parse("abc123@sub.cam.example")));
  EXPECT_FALSE(access.allowed(Jid::parse("cam.example")));  // a server is not a user
  EXPECT_EQ(access.describe(), "cam.example");
}

TEST(SearchAccess, ConfiguredDomainsReplaceTheDefault) {
  SearchAccess access("directory.cam.example", {"cam.ac.uk", "Partner.Example"});
  EXPECT_TRUE(access.allowed(Jid::parse("x@partner.example")));
  EXPECT_TRUE(access.allowed(Jid::parse("x@cam.ac.uk")));
  EXPECT_FALSE(access.allowed(Jid::parse("x@cam.example")));
  EXPECT_EQ(access.describe(), "cam.ac.uk, partner.example");
}

TEST(RateLimiter, AllowsABurstThenOneSearchPerRefillInterval) {
  RateLimiter limiter(60, 3);  // one a second, three at once
  Time t{10000s};
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.take("a@x", t)) << i;
  auto wait = limiter.take("a@x", t);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 1000ms);
  EXPECT_EQ(limiter.take("a@x", t + 500ms), std::optional<std::chrono::milliseconds>(500ms));
  EXPECT_FALSE(limiter.take("a@x", t + 1000ms));
  EXPECT_TRUE(limiter.take("a@x", t + 1000ms));
  // Refusals do not cost tokens: after a long pause the full burst is back.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.take("a@x", t + 1h)) << i;
}

TEST(RateLimiter, ZeroTurnsItOff) {
  RateLimiter limiter(0, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(limiter.take("a@x", Time{}));
  EXPECT_EQ(limiter.tracked(), 0u);
}

TEST(RateLimiter, AClockSteppedBackDoesNotRefillOrDrain) {
  RateLimiter limiter(60, 1);
  Time t{10000s};
  EXPECT_FALSE(limiter.take("a@x", t));
  EXPECT_TRUE(limiter.take("a@x", t - 1h));
  EXPECT_TRUE(limiter.take("a@x", t + 500ms));
  EXPECT_FALSE(limiter.take("a@x", t + 1000ms));
}

TEST(RateLimiter, RemembersABoundedNumberOfUsersForgettingRefilledOnesFirst) {
  RateLimiter limiter(60, 1, 3);
  Time t{10000s};
  EXPECT_FALSE(limiter.take("a", t));
  EXPECT_FALSE(limiter.take("b", t));
  EXPECT_FALSE(limiter.take("c", t));
  EXPECT_EQ(limiter.tracked(), 3u);
  // Everyone is mid-refill: a fourth user is let through without being tracked.
  EXPECT_FALSE(limiter.take("d", t));
  EXPECT_EQ(limiter.tracked(), 3u);
  EXPECT_TRUE(limiter.take("a", t));  // still limited
  // A second later all buckets are full again: they are forgotten to make room.
  EXPECT_FALSE(limiter.take("e", t + 1s));
  EXPECT_EQ(limiter.tracked(), 1u);
}

}  // namespace
