#include "app/runtime.hpp"

#include <Poco/Logger.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <variant>

#include "app/admin_actor_policy.hpp"
#include "app/archive_worker.hpp"
#include "app/directory_staff.hpp"
#include "app/link_watcher.hpp"
#include "app/room_persistence.hpp"
#include "app/service_ban_watcher.hpp"
#include "app/version.hpp"
#include "directory/search_service.hpp"
#include "muc/effects.hpp"
#include "muc/mam_result.hpp"
#include "muc/room_service.hpp"
#include "muc/system_id_source.hpp"
#include "policies/campus_policy.hpp"
#include "store/event_log.hpp"
#include "xmpp/component_link.hpp"
#include "xmpp/log_redaction.hpp"
#include "xmpp/serializer.hpp"

namespace commonroom::app {

namespace {

using Clock = std::chrono::system_clock;
// What any pure service returned, as the engine thread needs it: the rooms service's
// effects; the directory service fills only outbound and dropped.
struct Outcome {
  muc::Effects effects;
};
// A pure service as the engine thread sees it: stanza and time in, stanzas out.
using Handler = std::function<Outcome(const xmpp::Element&, Clock::time_point)>;
// Work posted to the engine thread from elsewhere (service-wide bans): runs there, with the
// service's state, and its outcome is logged and sent like a stanza's.
using Command = std::function<Outcome(Clock::time_point)>;
using Work = std::variant<xmpp::Element, Command>;

// Stanzas waiting for the engine. When it is full the link thread waits, so the socket stops
// being read and TCP pushes back on the host server instead of memory growing without bound.
constexpr size_t kQueueLimit = 10000;
// How long stopping waits for the last room saves.
constexpr std::chrono::seconds kRoomSaveAtStop{5};
// The longest one archive (MAM) query may run in PostgreSQL before its asker gets an error.
constexpr std::chrono::milliseconds kArchiveStatementTimeout{5000};
// Output (Effects::held_bytes) that may wait for the abuse log at once; one outcome larger
// than this still goes, alone.
constexpr size_t kHeldBytes = 1 << 20;

xmpp::ComponentLinkSettings link_settings(const LinkSettings& links,
                                          const ServiceSettings& service) {
  xmpp::ComponentLinkSettings s;
  s.host = links.host;
  s.port = links.port;
  s.domain = service.domain;
  s.secret = service.secret;
  s.keepalive = links.keepalive;
  s.backoff_initial = links.backoff_initial;
  s.backoff_max = links.backoff_max;
  s.connect_timeout = links.connect_timeout;
  s.handshake_timeout = links.handshake_timeout;
  s.limits = links.limits;
  return s;
}

template <typename ServicePtr>
Handler handler_for(ServicePtr service) {
  return [service](const xmpp::Element& stanza, Clock::time_point now) {
    auto effects = service->handle(stanza, now);
    Outcome out;
    if constexpr (std::is_same_v<decltype(effects), muc::Effects>) {
      out.effects = std::move(effects);
    } else {
      out.effects.outbound = std::move(effects.outbound);
      out.effects.dropped = std::move(effects.dropped);
    }
    return out;
  };
}

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

struct Runtime::Service {
  Service(const std::string& logger, const LinkSettings& links, const ServiceSettings& settings,
          Handler h, store::EventLog* events = nullptr)
      : log(Poco::Logger::get(logger)), handle(std::move(h)), event_log(events) {
    link = std::make_unique<xmpp::ComponentLink>(
        link_settings(links, settings),
        [this](xmpp::Element&& stanza) { push(std::move(stanza)); });
  }

  ~Service() { stop(); }

  void start() {
    if (rooms && persistence) {
      // Before the link connects: no stanza may reach a room that is not restored yet.
      auto stored = persistence->load();
      for (const auto& snapshot : stored) rooms->restore(snapshot);
      log.information(link->domain() + ": restored " + std::to_string(stored.size()) +
                      " persistent room(s)");
    }
    if (archive) archive->start();
    engine = std::thread([this] { run(); });
    link->start();
  }

  void stop() {
    if (rooms && engine.joinable()) stop_rooms();
    if (archive) archive->stop();  // waiting queries are told the service is stopping
    // The link first: it closes the stream and, once joined, pushes nothing more.
    link->stop();
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    cv.notify_all();
    if (engine.joinable()) engine.join();
    if (!queue.empty()) {
      log.warning(link->domain() + ": " + std::to_string(queue.size()) +
                  " stanza(s) left unanswered at shutdown");
      queue.clear();
    }
  }

  // Link thread.
  void push(xmpp::Element&& stanza) {
    std::unique_lock lock(mutex);
    cv.wait(lock, [this] { return stopping || queue.size() < kQueueLimit; });
    if (stopping) return;
    queue.push_back(std::move(stanza));
    lock.unlock();
    cv.notify_all();
  }

  // Any thread. Commands are rare and must not wait behind a full queue of stanzas.
  void post(Command command) {
    {
      std::lock_guard lock(mutex);
      if (stopping) return;
      queue.push_back(std::move(command));
    }
    cv.notify_all();
  }

  // Engine thread: the only thread that touches the service's state.
  void run() {
    for (;;) {
      Work work;
      {
        std::unique_lock lock(mutex);
        cv.wait(lock, [this] { return stopping || !queue.empty(); });
        if (stopping) return;
        work = std::move(queue.front());
        queue.pop_front();
      }
      cv.notify_all();  // room for a link thread waiting on a full queue
      Outcome outcome;
      if (auto* command = std::get_if<Command>(&work)) {
        try {
          outcome = (*command)(Clock::now());
        } catch (const std::exception& e) {
          log.error(link->domain() + ": failed to run a posted command: " + e.what());
          continue;
        }
        deliver(std::move(outcome), nullptr);
        continue;
      }
      const auto& stanza = std::get<xmpp::Element>(work);
      if (log.trace()) log.trace("in: " + xmpp::redact_secrets(xmpp::to_string(stanza)));
      try {
        outcome = handle(stanza, Clock::now());
      } catch (const std::exception& e) {
        // A bug in one stanza's handling must not stop the service for everyone.
        log.error(link->domain() + ": failed to handle <" + stanza.name() + " from='" +
                  std::string(stanza.attr("from")) + "'>: " + e.what());
        continue;
      }
      deliver(std::move(outcome), &stanza);
    }
  }

  // Engine thread: saves, logs, then sends what one stanza (nullptr: a command) produced.
  void deliver(Outcome outcome, const xmpp::Element* stanza) {
    // Room saves are durable (or, when PostgreSQL is failing or slow, kept for the writer)
    // before anything is handed to the event log.
    if (persistence) persistence->process(outcome.effects);
    for (const auto& reason : outcome.effects.dropped) {
      log.information(
          link->domain() + ": no reply to " +
          (stanza ? "<" + stanza->name() + " from='" + std::string(stanza->attr("from")) + "'>"
                  : std::string("a posted command")) +
          ": " + reason);
    }
    if (!event_log) {
      send(outcome.effects);
      ask_archive(outcome.effects);
      return;
    }
    // DESIGN.md rule 6: the events are durable before any stanza they caused is sent.
    // Every outcome goes through the log, even one without events, so stanzas leave in
    // the order the engine produced them; the callback runs on the log's writer thread.
    // Archive queries go to the worker from there too: by then every event before the
    // query is durable, so a user's own last message is in the history they ask for.
    auto effects = std::make_shared<muc::Effects>(std::move(outcome.effects));
    auto events = std::move(effects->events);
    const size_t held = effects->held_bytes();
    hold(held);
    event_log->submit(std::move(events), [this, effects, held](store::EventLog::Ticket) mutable {
      send(*effects);
      ask_archive(*effects);
      effects.reset();  // now, not when the log drops its whole batch
      release(held);
    });
  }

  // Hands the effects' XEP-0313 queries to the archive worker (never run on this thread).
  void ask_archive(muc::Effects& effects) {
    if (effects.mam_queries.empty()) return;
    if (archive) {
      archive->submit(std::move(effects.mam_queries));
      return;
    }
    muc::Effects refused;
    for (const auto& q : effects.mam_queries)
      refused.outbound.push_back(muc::mam_error(
          q, xmpp::StanzaError::internal_server_error("the archive is unavailable")));
    send(refused);
  }

  // Output waiting for the abuse log is bounded in bytes, not only in events: a join into
  // a room of N occupants holds N presences for the newcomer, so a burst of joins into a
  // big room while the log syncs would otherwise hold (and leave malloc holding) memory
  // growing with N times the burst. The engine waits here for room, as it waits in
  // EventLog::submit when too many events are pending (not when stopping: what was handled
  // is still logged).
  void hold(size_t bytes) {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return stopping || held_bytes == 0 || held_bytes + bytes <= kHeldBytes; });
    held_bytes += bytes;
  }
  void release(size_t bytes) {
    {
      std::lock_guard lock(mutex);
      held_bytes -= bytes;
    }
    cv.notify_all();
  }

  // Stops the engine thread while the link is still up, then tells every occupant the
  // service is going away (§11.2, status 332) and waits until that is logged and sent.
  void stop_rooms() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    cv.notify_all();
    engine.join();
    auto effects = std::make_shared<muc::Effects>(rooms->shutdown(Clock::now()));
    if (persistence) {
      persistence->process(*effects);
      if (!persistence->flush(kRoomSaveAtStop))
        log.error(link->domain() + ": room state not saved at shutdown (PostgreSQL down)");
    }
    if (!event_log) {
      send(*effects);
      return;
    }
    auto events = std::move(effects->events);
    auto ticket = event_log->submit(std::move(events),
                                    [this, effects](store::EventLog::Ticket) { send(*effects); });
    if (ticket == 0 || !event_log->wait_durable(ticket, std::chrono::seconds(5)))
      log.warning(link->domain() + ": shutdown notices not sent (abuse log not durable)");
  }

  // Engine thread, or the event log's writer thread (ComponentLink::send is thread-safe).
  // The stanzas go out in batches of up to kBatchBytes, one write each: a fan-out to a
  // thousand occupants is then a few syscalls instead of a thousand (issue 3 benchmark).
  void send(const muc::Effects& effects) {
    constexpr size_t kBatchBytes = 64 * 1024;
    // Each sending thread (the engine's, or the abuse log's writer) keeps its batch buffer: a
    // fresh one per outcome was allocated, faulted in and trimmed away by malloc every time.
    thread_local std::string batch;
    batch.clear();
    if (batch.capacity() < 2 * kBatchBytes) batch.reserve(2 * kBatchBytes);
    uint64_t stanzas = 0;
    auto flush = [&] {
      if (stanzas == 0) return;
      if (!link->send(batch, stanzas))
        log.debug(link->domain() + ": link down, dropped " + std::to_string(stanzas) +
                  " stanza(s)");
      batch.clear();
      stanzas = 0;
    };
    // Each stanza is appended straight into the batch (no per-stanza buffer to copy from).
    size_t stanza_start = 0;
    muc::append_in_order(effects, batch, [&](std::string& out) {
      if (log.trace()) {
        log.trace("out: " + xmpp::redact_secrets(std::string_view(out).substr(stanza_start)));
      }
      ++stanzas;
      if (out.size() >= kBatchBytes) flush();
      stanza_start = out.size();
    });
    flush();
    if (batch.capacity() > 16 * kBatchBytes) std::string().swap(batch);  // after a huge stanza
  }

  Poco::Logger& log;
  Handler handle;
  store::EventLog* event_log;  // the Runtime's; nullptr: nothing to log (directory, no database)
  std::unique_ptr<xmpp::ComponentLink> link;
  std::thread engine;
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<Work> queue;
  bool stopping = false;
  size_t held_bytes = 0;  // of outcomes submitted to the abuse log and not yet sent
  // The rooms service only: the engine itself (restore at start, shutdown at stop) and its
  // PostgreSQL side (null without [database]).
  std::shared_ptr<muc::RoomService> rooms;
  std::unique_ptr<RoomPersistence> persistence;
  std::unique_ptr<ArchiveWorker> archive;  // XEP-0313 answers; null without [database]
};

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
    services_.push_back(std::make_unique<Service>("muc", config.links, *config.muc,
                                                  handler_for(rooms), event_log_.get()));
    services_.back()->rooms = rooms;
    rooms_service_ = services_.back().get();
    if (!config.database_uri.empty()) {
      services_.back()->persistence =
          std::make_unique<RoomPersistence>(config.database_uri, Poco::Logger::get("muc"));
      Service* service = services_.back().get();
      service->archive = std::make_unique<ArchiveWorker>(
          ArchiveWorker::postgres_reader(config.database_uri, kArchiveStatementTimeout),
          [service](const muc::Effects& answer) { service->send(answer); },
          Poco::Logger::get("muc"));
      bans_ = std::make_unique<ServiceBanWatcher>(
          config.database_uri,
          [service, rooms](std::vector<muc::ServiceBan> bans) {
            service->post([rooms, bans = std::move(bans)](Clock::time_point now) mutable {
              return Outcome{rooms->set_service_bans(std::move(bans), now)};
            });
          },
          Poco::Logger::get("muc"));
      links_ = std::make_unique<LinkWatcher>(
          config.database_uri,
          [service, rooms](std::shared_ptr<const muc::LinkDirectory> directory) {
            service->post([rooms, directory = std::move(directory)](Clock::time_point now) {
              return Outcome{rooms->set_link_directory(directory, now)};
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
    services_.push_back(std::make_unique<Service>("directory", config.links, *config.directory,
                                                  handler_for(std::move(service))));
  }
}

Runtime::~Runtime() {
  stop();
}

void Runtime::start() {
  if (bans_) {
    // Before any link connects: nobody banned may slip in while the watcher starts.
    auto bans = bans_->load();
    if (!bans.empty())
      Poco::Logger::get("muc").information("service-wide bans: " + std::to_string(bans.size()) +
                                           " in force");
    rooms_->set_service_bans(std::move(bans), Clock::now());  // no occupants yet: no effects
  }
  if (links_) {
    // Before any link connects too, so members of linked rooms get in from the start. A
    // failure only delays that (the watcher retries): links admit, they never exclude.
    if (auto directory = links_->load()) rooms_->set_link_directory(directory, Clock::now());
  }
  if (event_log_) event_log_->start();
  for (auto& s : services_) s->start();
  if (bans_) bans_->start();
  if (links_) links_->start();
}

void Runtime::stop() {
  if (bans_) bans_->stop();
  if (links_) links_->stop();
  for (auto& s : services_) s->stop();
  // After the engines: what they submitted is made durable (their stanzas can no longer
  // be sent, but nothing is sent that is not logged).
  if (event_log_) event_log_->stop();
}

bool Runtime::run_on_rooms(RoomsWork work, std::chrono::milliseconds timeout) {
  if (!rooms_service_ || !rooms_) return false;
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  rooms_service_->post([rooms = rooms_, policy = rooms_policy_, work = std::move(work),
                        done](Clock::time_point now) {
    Outcome outcome;
    try {
      work(*rooms, *policy, now, outcome.effects);
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
  if (!rooms_service_ || !rooms_policy_) return false;
  // Built here, not on the engine thread: compiling the name pattern takes a while.
  auto next = campus_policy(settings, people_);
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  rooms_service_->post([policy = rooms_policy_, next = std::move(next), done](Clock::time_point) {
    policy->set_inner(next);
    done->set_value();
    return Outcome{};
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

std::vector<LinkStatus> Runtime::status() const {
  std::vector<LinkStatus> out;
  out.reserve(services_.size());
  for (const auto& s : services_) {
    auto st = s->link->stats();
    out.push_back(
        {st.domain, st.connected, st.connects, st.stanzas_in, st.stanzas_out, st.last_error});
  }
  return out;
}

}  // namespace commonroom::app
