// Retry delays: exponential growth from an initial delay up to a cap, with jitter. The one
// backoff of the project: the host connection, the PostgreSQL watchers, the abuse log and the
// directory sync all wait by it.
#pragma once
#include <chrono>
#include <functional>

namespace commonroom::xmpp {

// How randomness spreads the delays. Jitter keeps many components that lost the same host
// server from reconnecting in lockstep.
enum class Jitter {
  none,          // exactly initial * 2^n (capped)
  full,          // uniform in [0, initial * 2^n)
  equal,         // uniform in [initial * 2^n / 2, initial * 2^n): still grows every attempt
  decorrelated,  // uniform in [initial, 3 * previous delay), capped
  quarter_more,  // uniform in [initial * 2^n, 1.25 * initial * 2^n): never sooner than planned
};

// initial * 2^doublings, capped at max (computed without overflow): the delay after
// doublings + 1 failures without jitter, for callers that count failures themselves.
std::chrono::milliseconds doubled_delay(std::chrono::milliseconds initial,
                                        std::chrono::milliseconds max, unsigned doublings);

class Backoff {
 public:
  // Uniform in [0, 1); injected so that tests (and the host connection) decide where randomness
  // comes from.
  using Random = std::function<double()>;

  // `random` empty: default_random().
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, Jitter jitter,
          Random random = {});

  // The delay to wait before the next attempt; each call counts one failed attempt.
  std::chrono::milliseconds next();
  // After a success: the next failure starts again from the initial delay.
  void reset();
  // Failed attempts since the last reset.
  unsigned attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  Jitter jitter_;
  Random random_;
  unsigned attempts_ = 0;
  std::chrono::milliseconds previous_{0};
};

// A Backoff::Random backed by a std::mt19937_64 seeded from std::random_device.
Backoff::Random default_random();

}  // namespace commonroom::xmpp
