// One pure service behind its host connection (the XEP-0114 connection to the host server).
// The connection's thread reads stanzas into a bounded queue; the service's engine thread
// takes them one at a time and hands each to the service, which alone touches the
// service's state. Both services run in one of these; what only the rooms need (saving,
// the abuse log, the archive, host fan-out) is app/rooms_shell.hpp, on top.
// A service that nothing else ever posts work to (the directory) may instead be handled on
// the host connection's thread itself (Threading::link_thread): one thread wake-up less
// per request (decision 0085). The rooms (Threading::link_thread_when_idle) keep their
// engine thread for posted work and for busy times, but a stanza that finds the engine idle
// and nothing queued is handled on the connection's thread at once (decision 0087).
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <variant>

#include "app/config.hpp"
#include "xmpp/host_connection.hpp"
#include "xmpp/host_connection_status.hpp"
#include "xmpp/outbox.hpp"

namespace Poco {
class Logger;
}

namespace commonroom::app {

// The XEP-0114 settings of one service's host connection, from the configuration.
xmpp::HostConnectionSettings host_connection_settings(const HostServerSettings& host_server,
                                                      const ServiceSettings& service);

class ServiceLoop {
 public:
  using Clock = std::chrono::system_clock;
  // Engine thread: hands one stanza to the pure service and delivers what it returned
  // (through `loop`: log_dropped, send).
  using Handler =
      std::function<void(ServiceLoop& loop, const xmpp::Element& stanza, Clock::time_point now)>;
  // Work posted from elsewhere; runs on the engine thread between two stanzas.
  using Command = std::function<void(Clock::time_point now)>;
  // Host connection thread: true when `stanza` is the shell's own business (an answer from
  // the host server itself); it then never reaches the service.
  using Intercept = std::function<bool(xmpp::Element& stanza)>;

  enum class Threading {
    engine_thread,  // a queue and an engine thread of its own; post() works
    link_thread,    // handled as read, on the host connection's thread; post() throws
    // As engine_thread, except that a stanza read while the engine is idle and nothing is
    // queued is handled on the host connection's thread (never two at once, in order).
    link_thread_when_idle,
  };

  ServiceLoop(Poco::Logger& log, xmpp::HostConnectionSettings settings, Handler handle,
              Intercept intercept = {}, Threading threading = Threading::engine_thread);
  ~ServiceLoop();  // stop()s
  ServiceLoop(const ServiceLoop&) = delete;
  ServiceLoop& operator=(const ServiceLoop&) = delete;

  void start();  // the engine thread, then the host connection
  // Stops the engine thread once it is between two stanzas; the host connection stays up,
  // so a shell can still send its goodbyes. Idempotent.
  void stop_engine();
  bool engine_running() const { return engine_.joinable(); }
  // Graceful: the host connection sends </stream:stream> and closes, then the engine thread
  // stops; stanzas still queued are left unanswered (and counted in the log). Idempotent.
  void stop();

  // Any thread. Commands are rare and do not wait behind a full queue of stanzas. An
  // exception from one is logged; the loop goes on. With Threading::link_thread there is
  // no engine to run them: std::logic_error.
  void post(Command command);
  // As post, but ahead of every stanza and command already waiting: for work that only
  // releases output (stanzas whose events became durable), which should not wait behind
  // the input.
  void post_first(Command command);

  // Any thread (the host connection's send is thread-safe): the outbox's stanzas in send
  // order, in batches of one write each. `write_fanout`: how fan-outs are written instead of
  // one copy per recipient (host fan-out), when set; `write_outbound`: how single stanzas
  // it takes are written (carried by the host), when set; `write_run`: likewise for runs
  // of serialized stanzas (a newcomer's roster).
  void send(const xmpp::Outbox& outbox, const xmpp::FanoutWriter& write_fanout = {},
            const xmpp::OutboundWriter& write_outbound = {}, const xmpp::RunWriter& write_run = {});
  // Stanzas serialized already, `count` of them back to back.
  void send_serialized(std::string_view stanzas, uint64_t count = 1);
  // Logs why each stanza in outbox.dropped got no reply; `stanza`: what was handled
  // (nullptr: a posted command).
  void log_dropped(const xmpp::Outbox& outbox, const xmpp::Element* stanza);

  const std::string& domain() const { return connection_->domain(); }
  xmpp::HostConnectionStatus status() const { return connection_->stats(); }
  Poco::Logger& log() const { return log_; }

 private:
  void push(xmpp::Element&& stanza);             // host connection thread
  void run();                                    // engine thread
  void handle_one(const xmpp::Element& stanza);  // whichever thread handles stanzas

  Poco::Logger& log_;
  Handler handle_;
  Intercept intercept_;
  Threading threading_;
  std::unique_ptr<xmpp::HostConnection> connection_;
  std::thread engine_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::variant<xmpp::Element, Command>> queue_;
  bool stopping_ = false;
  // Some thread is handling a stanza or command (link_thread_when_idle: the engine thread,
  // or the host connection's thread for a stanza that found the engine idle).
  bool engine_busy_ = false;
};

}  // namespace commonroom::app
