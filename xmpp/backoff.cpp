#include "xmpp/backoff.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <random>

namespace commonroom::xmpp {

namespace {

using std::chrono::milliseconds;

// Draws in [lo, hi); a random source that misbehaves (returns >= 1 or < 0) is clamped so a
// delay never leaves its interval.
milliseconds uniform(const Backoff::Random& random, milliseconds lo, milliseconds hi) {
  if (hi <= lo) return lo;
  double r = std::clamp(random(), 0.0, 1.0);
  auto span = static_cast<double>((hi - lo).count());
  auto offset = static_cast<milliseconds::rep>(r * span);
  return lo + milliseconds(std::min<milliseconds::rep>(offset, (hi - lo).count() - 1));
}

}  // namespace

milliseconds doubled_delay(milliseconds initial, milliseconds max, unsigned doublings) {
  milliseconds delay = initial;
  for (unsigned i = 0; i < doublings && delay < max; ++i) delay *= 2;
  return std::min(delay, max);
}

Backoff::Backoff(milliseconds initial, milliseconds max, Jitter jitter, Random random)
    : initial_(std::max(initial, milliseconds(1))),
      max_(std::max(max, initial_)),
      jitter_(jitter),
      random_(random ? std::move(random) : default_random()) {}

milliseconds Backoff::next() {
  const milliseconds ceiling = doubled_delay(initial_, max_, attempts_);
  ++attempts_;

  milliseconds delay{};
  switch (jitter_) {
    case Jitter::none:
      delay = ceiling;
      break;
    case Jitter::full:
      delay = uniform(random_, milliseconds(0), ceiling);
      break;
    case Jitter::equal:
      delay = uniform(random_, ceiling / 2, ceiling);
      break;
    case Jitter::decorrelated: {
      milliseconds prev = previous_.count() == 0 ? initial_ : previous_;
      delay = std::min(uniform(random_, initial_, prev * 3), max_);
      break;
    }
    case Jitter::quarter_more:
      delay = uniform(random_, ceiling, ceiling + ceiling / 4 + milliseconds(1));
      break;
  }
  previous_ = delay;
  return delay;
}

void Backoff::reset() {
  attempts_ = 0;
  previous_ = milliseconds(0);
}

Backoff::Random default_random() {
  struct State {
    std::mutex mutex;
    std::mt19937_64 engine{std::random_device{}()};
    std::uniform_real_distribution<double> dist{0.0, 1.0};
  };
  auto state = std::make_shared<State>();
  return [state] {
    std::lock_guard lock(state->mutex);
    return state->dist(state->engine);
  };
}

}  // namespace commonroom::xmpp
