// The running service: one host connection per configured service, and an engine thread for
// the rooms (the directory answers on its host connection's thread).
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "xmpp/host_connection_status.hpp"

namespace commonroom::directory {
class PeopleIndexSource;
}
namespace commonroom::store {
class EventLog;
struct EventLogStats;
}  // namespace commonroom::store
namespace commonroom::muc {
class RoomService;
struct Effects;
}  // namespace commonroom::muc

namespace commonroom::app {

// Owns the services' threads: per service a ServiceLoop (the rooms': host connection thread
// feeding an engine thread through a queue, inside a RoomsShell; the directory's: handled on
// its host connection thread); the abuse log and the
// rooms' PostgreSQL watchers. The pure services never see a socket or a clock.
class Runtime {
 public:
  // `people`: what the directory service searches (nullptr: the directory service runs
  // without search, e.g. when there is no [database]); must outlive the Runtime.
  explicit Runtime(const Config& config, const directory::PeopleIndexSource* people = nullptr);
  ~Runtime();  // stop()s
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  void start();                                            // host connections + engine threads
  std::vector<xmpp::HostConnectionStatus> status() const;  // thread-safe snapshot
  // The abuse log's counters (thread-safe); nullopt when there is none.
  std::optional<store::EventLogStats> abuse_log_stats() const;
  // Waits until every event logged so far is in PostgreSQL (the journal copied at once), so
  // a reader of room_events sees all of it; true at once without a log.
  bool abuse_log_catch_up(std::chrono::milliseconds timeout) const;
  // Runs `work` on the rooms engine thread, the only thread that may touch the rooms service;
  // the admin web's actor is set on `policy` for that one call. The effects it leaves in
  // `out` are saved, logged and sent like a stanza's, so occupants see admin web changes at
  // once. Waits up to `timeout`; false when there is no rooms service or the work did not
  // run in time (it may still run later).
  using RoomsWork =
      std::function<void(muc::RoomService& rooms, class AdminActorPolicy& policy,
                         std::chrono::system_clock::time_point now, muc::Effects& out)>;
  bool run_on_rooms(RoomsWork work, std::chrono::milliseconds timeout);

  // Replaces the campus rules the rooms engine applies (a configuration reload), on the
  // engine thread between two stanzas. Waits up to `timeout`; false when there is no rooms
  // service or the change did not happen in time (it may still happen later).
  bool set_policy(const policies::PolicySettings& settings, std::chrono::milliseconds timeout);

  // The rooms service runs without an abuse log ([muc] unlogged_rooms_for_development).
  bool rooms_unlogged() const;
  // Graceful: each host connection sends </stream:stream> and waits briefly for the server's, then
  // the engine threads finish. Idempotent.
  void stop();

 private:
  std::unique_ptr<store::EventLog> event_log_;  // the abuse log; null without [muc]+[database]
  // Destroyed before the abuse log they submit to, after the watchers that post to them.
  std::unique_ptr<class RoomsShell> rooms_shell_;  // null without [muc]
  // The host server's module, asked by the directory whether it carries large answers.
  std::unique_ptr<class HostFanout> directory_host_;   // null without [directory]
  std::unique_ptr<class ServiceLoop> directory_loop_;  // null without [directory]
  // Service-wide bans from PostgreSQL into the rooms engine; null without [muc]+[database].
  std::unique_ptr<class ServiceBanWatcher> bans_;
  // Institution and group memberships for linked rooms; null without [muc]+[database].
  std::unique_ptr<class LinkWatcher> links_;
  std::shared_ptr<muc::RoomService> rooms_;
  std::shared_ptr<class AdminActorPolicy> rooms_policy_;
  bool rooms_unlogged_ = false;
  const directory::PeopleIndexSource* people_ = nullptr;  // for directory:staff
};

}  // namespace commonroom::app
