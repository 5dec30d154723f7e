#include "app/runtime.hpp"

#include <Poco/Logger.h>

#include <chrono>
#include <functional>
#include <future>

#include "app/admin_actor_policy.hpp"
#include "app/archive_worker.hpp"
#include "app/directory_staff.hpp"
#include "app/host_fanout.hpp"
#include "app/link_watcher.hpp"
#include "app/room_persistence.hpp"
#include "app/rooms_shell.hpp"
#include "app/service_ban_watcher.hpp"
#include "app/service_loop.hpp"
#include "app/version.hpp"
#include "directory/search_service.hpp"
#include "muc/effects.hpp"
#include "muc/room_service.hpp"
#include "muc/system_id_source.hpp"
#include "policies/campus_policy.hpp"
#include "store/event_log.hpp"

namespace commonroom::app {

namespace {

using Clock = std::chrono::system_clock;

// The longest one archive (MAM) query may run in PostgreSQL before its asker gets an error.
constexpr std::chrono::milliseconds kArchiveStatementTimeout{5000};

// The abuse log's messages go to the "store" logger.
store::LogSink store_log_sink() {
  return [](store::LogSeverity severity, const std::string& message) {
    auto& log = Poco::Logger::get("store");
    if (severity == store::LogSeverity::error)
      log.error(message);
    else if (severity == store::LogSeverity::warning)
      log.warning(message);
    else
      log.information(message);
  };
}

// Config checking made sure directory:staff comes with the people index.
std::shared_ptr<const muc::Policy> campus_policy(const policies::PolicySettings& settings,
                                                 const directory::PeopleIndexSource* people) {
  std::shared_ptr<const policies::StaffDirectory> staff;
  if (settings.directory_staff_may_persist && people)
    staff = std::make_shared<IndexStaffDirectory>(*people);
  return std::make_shared<policies::CampusPolicy>(settings, staff);
}

}  // namespace

Runtime::Runtime(const Config& config, const directory::PeopleIndexSource* people)
    : people_(people) {
  if (config.muc && !config.database_uri.empty()) {
    store::EventLogSettings s;
    s.database_uri = config.database_uri;
    s.journal_dir = config.abuse_log.journal_dir;
    s.mode = config.abuse_log.journal_first ? store::EventLogMode::journal_first
                                            : store::EventLogMode::database_first;
    s.max_batch_events = config.abuse_log.max_batch_events;
    s.database_timeout = config.abuse_log.database_timeout;
    s.segment_bytes = config.abuse_log.segment_bytes;
    s.replay_interval = config.abuse_log.replay_interval;
    s.log = store_log_sink();
    event_log_ = std::make_unique<store::EventLog>(std::move(s));  // throws JournalError
  } else if (config.muc) {
    // Config checking allows this only with [muc] unlogged_rooms_for_development.
    Poco::Logger::get("muc").warning(
        "ROOMS ARE NOT LOGGED (unlogged_rooms_for_development): no abuse log, no archive; "
        "rooms tell everyone who enters that they are not logged. Never use this for real "
        "users");
  }
  if (config.muc) {
    muc::RoomServiceConfig cfg;
    cfg.domain = config.muc->domain;
    cfg.version = kVersion;
    // Rooms claim logging only when there is a log (decision 0018); the archive is the
    // abuse log, so MAM needs it too.
    cfg.logged = event_log_ != nullptr;
    cfg.mam = cfg.logged;
    // Config checking made sure directory:staff comes with the people index.
    rooms_policy_ = std::make_shared<AdminActorPolicy>(campus_policy(config.policy, people));
    auto rooms = std::make_shared<muc::RoomService>(std::move(cfg), rooms_policy_,
                                                    std::make_shared<muc::SystemIdSource>());
    rooms_shell_ =
        std::make_unique<RoomsShell>(config.host_server, *config.muc, rooms, event_log_.get());
    if (!config.database_uri.empty()) {
      RoomsShell* shell = rooms_shell_.get();
      shell->set_persistence(
          std::make_unique<RoomPersistence>(config.database_uri, Poco::Logger::get("muc")));
      // A query reads only once the log has copied every event before it (decision 0077).
      ArchiveWorker::CatchUp catch_up;
      if (event_log_) catch_up = [this] { return abuse_log_catch_up(kArchiveStatementTimeout); };
      shell->set_archive(std::make_unique<ArchiveWorker>(
          ArchiveWorker::postgres_reader(config.database_uri, kArchiveStatementTimeout),
          [shell](const muc::Effects& answer) { shell->send(answer); }, Poco::Logger::get("muc"),
          256, std::move(catch_up)));
      bans_ = std::make_unique<ServiceBanWatcher>(
          config.database_uri,
          [shell, rooms](std::vector<muc::ServiceBan> bans) {
            shell->post([rooms, bans = std::move(bans)](Clock::time_point now) mutable {
              return rooms->set_service_bans(std::move(bans), now);
            });
          },
          Poco::Logger::get("muc"));
      links_ = std::make_unique<LinkWatcher>(
          config.database_uri,
          [shell, rooms](std::shared_ptr<const muc::LinkDirectory> directory) {
            shell->post([rooms, directory = std::move(directory)](Clock::time_point now) {
              return rooms->set_link_directory(directory, now);
            });
          },
          Poco::Logger::get("muc"), config.directory_search.refresh_interval);
      rooms_ = rooms;
    } else {
      Poco::Logger::get("muc").warning(
          "no [database]: persistent rooms are kept in memory only and lost on restart");
    }
    rooms_unlogged_ = !event_log_;
  }
  if (config.directory) {
    directory::SearchServiceConfig cfg;
    cfg.domain = config.directory->domain;
    cfg.version = kVersion;
    cfg.search = config.directory_search;
    auto service = people ? std::make_shared<directory::SearchService>(std::move(cfg), *people)
                          : std::make_shared<directory::SearchService>(std::move(cfg));
    // With Prosody's commonroom_fanout module a page of people crosses the link as one
    // text rather than ~240 elements for Prosody to parse (decision 0084).
    directory_host_ = std::make_unique<HostFanout>(config.directory->domain);
    HostFanout* host = directory_host_.get();
    auto settings = host_connection_settings(config.host_server, *config.directory);
    settings.on_connected = [this, host] {
      directory_loop_->send_serialized(host->on_connected());
    };
    directory_loop_ = std::make_unique<ServiceLoop>(
        Poco::Logger::get("directory"), std::move(settings),
        [service, host](ServiceLoop& loop, const xmpp::Element& stanza, Clock::time_point now) {
          const auto outbox = service->handle(stanza, now);
          loop.log_dropped(outbox, &stanza);
          loop.send(outbox, {}, [host](const xmpp::Element& reply, std::string& out) {
            return host->write_carried(reply, out);
          });
        },
        [this, host](xmpp::Element& stanza) {
          auto& log = Poco::Logger::get("directory");
          const bool carried = host->carry();
          if (host->take_answer(stanza)) {
            if (host->carry() && !carried)
              log.information(host->domain() + ": the host server carries large answers");
            return true;
          }
          std::string question, plain;
          if (!host->take_returned(stanza, question, plain)) return false;
          log.warning(host->domain() +
                      ": the host server passed a carried answer back (was "
                      "mod_commonroom_fanout unloaded?): sending it as XML and asking again");
          if (!plain.empty()) directory_loop_->send_serialized(plain);
          if (!question.empty()) directory_loop_->send_serialized(question);
          return true;
        },
        // Nothing is ever posted to the directory: a search is answered on the thread that
        // read it, without waking another (decision 0085).
        ServiceLoop::Threading::link_thread);
  }
}

Runtime::~Runtime() {
  stop();
}

void Runtime::start() {
  if (bans_) {
    // Before any host connection opens: nobody banned may slip in while the watcher starts.
    auto bans = bans_->load();
    if (!bans.empty())
      Poco::Logger::get("muc").information("service-wide bans: " + std::to_string(bans.size()) +
                                           " in force");
    rooms_->set_service_bans(std::move(bans), Clock::now());  // no occupants yet: no effects
  }
  if (links_) {
    // Before any host connection opens too, so members of linked rooms get in from the start. A
    // failure only delays that (the watcher retries): links admit, they never exclude.
    if (auto directory = links_->load()) rooms_->set_link_directory(directory, Clock::now());
  }
  if (event_log_) event_log_->start();
  if (rooms_shell_) rooms_shell_->start();
  if (directory_loop_) directory_loop_->start();
  if (bans_) bans_->start();
  if (links_) links_->start();
}

void Runtime::stop() {
  if (bans_) bans_->stop();
  if (links_) links_->stop();
  if (rooms_shell_) rooms_shell_->stop();
  if (directory_loop_) directory_loop_->stop();
  // After the engines: what they submitted is made durable (their stanzas can no longer
  // be sent, but nothing is sent that is not logged).
  if (event_log_) event_log_->stop();
}

bool Runtime::run_on_rooms(RoomsWork work, std::chrono::milliseconds timeout) {
  if (!rooms_shell_ || !rooms_) return false;
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  rooms_shell_->post([rooms = rooms_, policy = rooms_policy_, work = std::move(work),
                      done](Clock::time_point now) {
    muc::Effects outcome;
    try {
      work(*rooms, *policy, now, outcome);
    } catch (...) {
      policy->set_actor("");
      done->set_value();
      throw;
    }
    policy->set_actor("");
    done->set_value();
    return outcome;
  });
  return finished.wait_for(timeout) == std::future_status::ready;
}

bool Runtime::set_policy(const policies::PolicySettings& settings,
                         std::chrono::milliseconds timeout) {
  if (!rooms_shell_ || !rooms_policy_) return false;
  // Built here, not on the engine thread: compiling the name pattern takes a while.
  auto next = campus_policy(settings, people_);
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  rooms_shell_->post([policy = rooms_policy_, next = std::move(next), done](Clock::time_point) {
    policy->set_inner(next);
    done->set_value();
    return muc::Effects{};
  });
  return finished.wait_for(timeout) == std::future_status::ready;
}

bool Runtime::rooms_unlogged() const {
  return rooms_unlogged_;
}

std::optional<store::EventLogStats> Runtime::abuse_log_stats() const {
  if (!event_log_) return std::nullopt;
  return event_log_->stats();
}

bool Runtime::abuse_log_catch_up(std::chrono::milliseconds timeout) const {
  if (!event_log_) return true;
  return event_log_->wait_in_database(timeout);
}

std::vector<xmpp::HostConnectionStatus> Runtime::status() const {
  std::vector<xmpp::HostConnectionStatus> out;
  if (rooms_shell_) out.push_back(rooms_shell_->status());
  if (directory_loop_) out.push_back(directory_loop_->status());
  return out;
}

}  // namespace commonroom::app
