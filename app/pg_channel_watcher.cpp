#include "app/pg_channel_watcher.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "xmpp/backoff.hpp"

namespace commonroom::app {

namespace {

using Clock = std::chrono::steady_clock;
// How long one wait for a notification lasts: the bound on how long stop() takes.
constexpr long kWaitMicros = 200'000;

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, const std::string& channel, std::atomic<bool>& flag,
           const std::function<void(const std::string&)>& notice)
      : pqxx::notification_receiver(c, channel), flag_(flag), notice_(notice) {}
  void operator()(const std::string& payload, int) override {
    if (notice_) notice_(payload);
    flag_ = true;
  }

 private:
  std::atomic<bool>& flag_;
  const std::function<void(const std::string&)>& notice_;
};

}  // namespace

struct PgChannelWatcher::State {
  State(std::string u, std::string c, Hooks h, std::chrono::seconds b)
      : uri(std::move(u)), channel(std::move(c)), hooks(std::move(h)), max_backoff(b) {}

  std::string uri;
  std::string channel;
  Hooks hooks;
  std::chrono::seconds max_backoff;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable cv;
  bool stopping = false;
  std::atomic<bool> notified{false};

  void run() {
    std::unique_ptr<pqxx::connection> conn;
    std::unique_ptr<Receiver> receiver;
    xmpp::Backoff backoff(std::chrono::seconds(1), max_backoff, xmpp::Jitter::none);
    bool failing = false;
    bool due = true;
    Clock::time_point deadline{};
    for (;;) {
      {
        std::lock_guard lock(mutex);
        if (stopping) return;
      }
      try {
        if (!conn) {
          conn = std::make_unique<pqxx::connection>(uri);
          receiver = std::make_unique<Receiver>(*conn, channel, notified, hooks.notice);
          due = true;
        }
        if (due || notified.exchange(false) || Clock::now() >= deadline) {
          deadline = Clock::now() + hooks.refresh(*conn);
          due = false;
          if (failing && hooks.recovered) hooks.recovered();
          failing = false;
          backoff.reset();
        }
        conn->await_notification(0, kWaitMicros);
      } catch (const std::exception& e) {
        if (!failing && hooks.failed) hooks.failed(e);
        failing = true;
        receiver.reset();
        conn.reset();
        std::unique_lock lock(mutex);
        if (cv.wait_for(lock, backoff.next(), [this] { return stopping; })) return;
      }
    }
  }
};

PgChannelWatcher::PgChannelWatcher(std::string database_uri, std::string channel, Hooks hooks,
                                   std::chrono::seconds max_backoff)
    : state_(std::make_unique<State>(std::move(database_uri), std::move(channel), std::move(hooks),
                                     max_backoff)) {}

PgChannelWatcher::~PgChannelWatcher() {
  stop();
}

const std::string& PgChannelWatcher::database_uri() const {
  return state_->uri;
}

void PgChannelWatcher::start() {
  if (state_->thread.joinable()) return;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = false;
  }
  state_->thread = std::thread([s = state_.get()] { s->run(); });
}

void PgChannelWatcher::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
}

}  // namespace commonroom::app
