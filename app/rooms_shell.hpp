// The rooms service's shell: a ServiceLoop plus what only the rooms need. Each stanza's
// effects are saved (RoomPersistence), made durable in the abuse log and only then sent
// (docs/architecture.md rule 6), and their archive queries go to the archive worker; the host
// server's fan-out module is used when it is there; persistent rooms are restored before
// the host connection opens, and occupants are told when the service stops.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "app/config.hpp"
#include "app/service_loop.hpp"
#include "app/waiting_outcomes.hpp"
#include "muc/effects.hpp"
#include "xmpp/host_connection_status.hpp"

namespace commonroom::muc {
class RoomService;
}  // namespace commonroom::muc
namespace commonroom::store {
class EventLog;
}

namespace commonroom::app {

class ArchiveWorker;
class HostFanout;
class RoomPersistence;

class RoomsShell {
 public:
  using Clock = std::chrono::system_clock;
  // Work run on the engine thread; its effects are delivered like a stanza's.
  using Command = std::function<muc::Effects(Clock::time_point now)>;

  // `event_log`: the abuse log (nullptr: rooms unlogged, development only); must outlive
  // this.
  RoomsShell(const HostServerSettings& host_server, const ServiceSettings& settings,
             std::shared_ptr<muc::RoomService> rooms, store::EventLog* event_log);
  ~RoomsShell();  // stop()s
  RoomsShell(const RoomsShell&) = delete;
  RoomsShell& operator=(const RoomsShell&) = delete;

  // Before start(): the PostgreSQL side (none without [database]).
  void set_persistence(std::unique_ptr<RoomPersistence> persistence);
  // Before start(): answers XEP-0313 queries; built by the caller with send() as its sender.
  void set_archive(std::unique_ptr<ArchiveWorker> archive);

  // Restores the persistent rooms, then starts the archive, the engine thread and the host
  // connection.
  void start();
  // Stops the engine, tells every occupant the service is going away (status 332) and
  // waits until that is logged and sent, then closes the host connection. Idempotent.
  void stop();

  void post(Command command);  // any thread
  // Any thread: sends effects' stanzas (e.g. archive answers) as the engine does.
  void send(const muc::Effects& effects);

  xmpp::HostConnectionStatus status() const { return loop_->status(); }

 private:
  void deliver(muc::Effects&& effects, const xmpp::Element* stanza);  // engine thread
  void ask_archive(muc::Effects& effects);
  bool intercept(xmpp::Element& stanza);  // host connection thread
  void hold(std::size_t bytes);
  void durable(uint64_t ticket);  // an abuse log thread
  void send_durable();
  void stop_rooms();

  std::shared_ptr<muc::RoomService> rooms_;
  store::EventLog* event_log_;
  std::unique_ptr<RoomPersistence> persistence_;
  std::unique_ptr<ArchiveWorker> archive_;
  std::unique_ptr<HostFanout> host_fanout_;  // before loop_, whose threads use it
  // Output waiting for the abuse log (engine thread only, or stop_rooms once the engine
  // has stopped); its size is bounded by hold.
  WaitingOutcomes waiting_;
  // Every ticket up to this is durable (set by an abuse log thread).
  std::atomic<uint64_t> durable_through_{0};
  std::mutex durable_mutex_;
  std::condition_variable durable_cv_;
  bool send_posted_ = false;     // a send_durable is queued on the engine thread
  bool engine_waiting_ = false;  // the engine thread waits in hold()
  bool stopping_ = false;
  std::unique_ptr<ServiceLoop> loop_;
};

}  // namespace commonroom::app
