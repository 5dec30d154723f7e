#include <gtest/gtest.h>

#include <vector>

#include "xmpp/backoff.hpp"

using commonroom::xmpp::Backoff;
using commonroom::xmpp::Jitter;
using std::chrono::milliseconds;

namespace {

// A scripted random source: returns the values in order, then repeats the last one.
Backoff::Random scripted(std::vector<double> values) {
  auto i = std::make_shared<size_t>(0);
  return [values = std::move(values), i] {
    double v = values[std::min(*i, values.size() - 1)];
    ++*i;
    return v;
  };
}

std::vector<long> delays(Backoff& b, int n) {
  std::vector<long> out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<long>(b.next().count()));
  return out;
}

}  // namespace

TEST(Backoff, WithoutJitterDoublesFromInitialUpToTheCap) {
  Backoff b(milliseconds(500), milliseconds(6000), Jitter::none, scripted({0.5}));
  EXPECT_EQ(delays(b, 7), (std::vector<long>{500, 1000, 2000, 4000, 6000, 6000, 6000}));
  EXPECT_EQ(b.attempts(), 7u);
}

TEST(Backoff, ResetAfterSuccessStartsAgainFromInitial) {
  Backoff b(milliseconds(500), milliseconds(60000), Jitter::none, scripted({0.5}));
  delays(b, 5);
  b.reset();
  EXPECT_EQ(b.attempts(), 0u);
  EXPECT_EQ(b.next(), milliseconds(500));
  EXPECT_EQ(b.next(), milliseconds(1000));
}

TEST(Backoff, FullJitterDrawsBetweenZeroAndTheExponentialCeiling) {
  Backoff b(milliseconds(1000), milliseconds(60000), Jitter::full,
            scripted({0.0, 0.5, 0.25, 0.999999}));
  EXPECT_EQ(delays(b, 4), (std::vector<long>{0, 1000, 1000, 7999}));
}

TEST(Backoff, EqualJitterKeepsEveryDelayAboveHalfItsCeilingSoDelaysGrow) {
  // The worst case for growth: a high draw followed by a low one.
  Backoff b(milliseconds(500), milliseconds(60000), Jitter::equal,
            scripted({0.999, 0.0, 0.999, 0.0}));
  auto d = delays(b, 4);
  EXPECT_EQ(d, (std::vector<long>{499, 500, 1999, 2000}));
  for (size_t i = 1; i < d.size(); ++i) EXPECT_GE(d[i], d[i - 1]);
}

TEST(Backoff, DecorrelatedJitterStaysBetweenInitialAndThreeTimesThePreviousDelay) {
  Backoff b(milliseconds(100), milliseconds(1000), Jitter::decorrelated,
            scripted({0.5, 0.5, 0.999, 0.999, 0.0}));
  auto d = delays(b, 5);
  EXPECT_EQ(d[0], 200);   // [100, 300)
  EXPECT_EQ(d[1], 350);   // [100, 600)
  EXPECT_EQ(d[2], 1000);  // [100, 1050) capped at 1000
  EXPECT_EQ(d[3], 1000);  // capped
  EXPECT_EQ(d[4], 100);   // a low draw may come back down to the initial delay
}

TEST(Backoff, NeverExceedsTheCapEvenAfterManyAttempts) {
  for (Jitter j : {Jitter::none, Jitter::full, Jitter::equal, Jitter::decorrelated}) {
    Backoff b(milliseconds(500), milliseconds(60000), j, scripted({0.999999}));
    for (int i = 0; i < 200; ++i) {
      auto d = b.next();
      EXPECT_LE(d, milliseconds(60000));
      EXPECT_GE(d, milliseconds(0));
    }
  }
}

TEST(Backoff, AMisbehavingRandomSourceIsClampedIntoTheInterval) {
  Backoff b(milliseconds(500), milliseconds(60000), Jitter::equal, scripted({7.0, -3.0}));
  EXPECT_EQ(b.next(), milliseconds(499));
  EXPECT_EQ(b.next(), milliseconds(500));
}

TEST(Backoff, DefaultRandomSourceProducesValuesInTheUnitInterval) {
  auto r = commonroom::xmpp::default_random();
  double lo = 1, hi = 0;
  for (int i = 0; i < 1000; ++i) {
    double v = r();
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_LT(lo, 0.1);
  EXPECT_GT(hi, 0.9);
}

// The abuse log's reconnects: never sooner than the doubled delay, at most a quarter later,
// so a fleet of services that lost one PostgreSQL spreads out without retrying early.
TEST(Backoff, QuarterMoreJitterWaitsAtLeastTheCeilingAndAtMostAQuarterMore) {
  Backoff b(milliseconds(400), milliseconds(1600), Jitter::quarter_more,
            scripted({0.0, 0.999999, 0.0, 0.999999}));
  EXPECT_EQ(delays(b, 4), (std::vector<long>{400, 1000, 1600, 2000}));
}

// The directory sync counts its failures itself and asks for the delay after them.
TEST(Backoff, DoubledDelayIsTheCappedDelayAfterThatManyDoublings) {
  using commonroom::xmpp::doubled_delay;
  EXPECT_EQ(doubled_delay(milliseconds(60000), milliseconds(3600000), 0), milliseconds(60000));
  EXPECT_EQ(doubled_delay(milliseconds(60000), milliseconds(3600000), 3), milliseconds(480000));
  EXPECT_EQ(doubled_delay(milliseconds(60000), milliseconds(3600000), 1000), milliseconds(3600000));
}
