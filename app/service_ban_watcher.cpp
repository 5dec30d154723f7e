#include "app/service_ban_watcher.hpp"

#include <Poco/Logger.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "store/service_bans.hpp"

namespace commonroom::app {

namespace {

using Clock = std::chrono::steady_clock;
// How long one wait for a notification lasts: the bound on how long stop() takes.
constexpr long kWaitMicros = 200'000;
constexpr std::chrono::seconds kBackoffMax{30};

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, std::atomic<bool>& flag)
      : pqxx::notification_receiver(c, store::kServiceBansChannel), flag_(flag) {}
  void operator()(const std::string&, int) override { flag_ = true; }

 private:
  std::atomic<bool>& flag_;
};

std::vector<muc::ServiceBan> to_engine(const std::vector<store::ServiceBanRecord>& records) {
  std::vector<muc::ServiceBan> out;
  out.reserve(records.size());
  for (const auto& r : records) out.push_back({r.subject, r.reason, r.set_by});
  return out;
}

bool same(const std::vector<muc::ServiceBan>& a, const std::vector<muc::ServiceBan>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.subject == y.subject && x.reason == y.reason && x.set_by == y.set_by;
  });
}

}  // namespace

struct ServiceBanWatcher::State {
  State(std::string u, Apply a, Poco::Logger& l, std::chrono::seconds p)
      : uri(std::move(u)), apply(std::move(a)), log(l), poll(p) {}

  std::string uri;
  Apply apply;
  Poco::Logger& log;
  std::chrono::seconds poll;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable cv;
  bool stopping = false;
  std::atomic<bool> notified{false};
  std::vector<muc::ServiceBan> applied;  // what the engine was last given
  std::optional<double> next_expiry;     // seconds, from the last load

  std::vector<muc::ServiceBan> read(pqxx::connection_base& c) {
    auto active = store::active_service_bans(c);
    next_expiry = active.next_expiry_seconds;
    return to_engine(active.bans);
  }

  void run() {
    std::unique_ptr<pqxx::connection> conn;
    std::unique_ptr<Receiver> receiver;
    auto backoff = std::chrono::seconds(1);
    bool failing = false;
    bool reload = true;
    Clock::time_point deadline{};
    for (;;) {
      {
        std::lock_guard lock(mutex);
        if (stopping) return;
      }
      try {
        if (!conn) {
          conn = std::make_unique<pqxx::connection>(uri);
          receiver = std::make_unique<Receiver>(*conn, notified);
          reload = true;  // whatever changed while we were not listening
        }
        if (reload || notified.exchange(false) || Clock::now() >= deadline) {
          auto bans = read(*conn);
          if (!same(bans, applied)) {
            log.information("service-wide bans: " + std::to_string(bans.size()) + " in force");
            applied = bans;
            apply(std::move(bans));
          }
          auto wait = std::chrono::duration<double>(poll.count());
          if (next_expiry) wait = std::min(wait, std::chrono::duration<double>(*next_expiry + 0.5));
          deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(wait);
          reload = false;
          if (failing) log.information("service-wide bans: PostgreSQL is back, watching again");
          failing = false;
          backoff = std::chrono::seconds(1);
        }
        conn->await_notification(0, kWaitMicros);
      } catch (const std::exception& e) {
        // The engine keeps the bans it has; new ones wait until PostgreSQL answers again.
        if (!failing)
          log.error(std::string("service-wide bans: cannot read PostgreSQL, keeping the ") +
                    std::to_string(applied.size()) + " ban(s) in force and retrying: " + e.what());
        failing = true;
        receiver.reset();
        conn.reset();
        std::unique_lock lock(mutex);
        if (cv.wait_for(lock, backoff, [this] { return stopping; })) return;
        backoff = std::min(backoff * 2, kBackoffMax);
      }
    }
  }
};

ServiceBanWatcher::ServiceBanWatcher(std::string database_uri, Apply apply, Poco::Logger& log,
                                     std::chrono::seconds poll_interval)
    : state_(
          std::make_unique<State>(std::move(database_uri), std::move(apply), log, poll_interval)) {}

ServiceBanWatcher::~ServiceBanWatcher() {
  stop();
}

std::vector<muc::ServiceBan> ServiceBanWatcher::load() {
  pqxx::connection c(state_->uri);
  auto bans = state_->read(c);
  state_->applied = bans;
  return bans;
}

void ServiceBanWatcher::start() {
  state_->thread = std::thread([s = state_.get()] { s->run(); });
}

void ServiceBanWatcher::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
}

}  // namespace commonroom::app
