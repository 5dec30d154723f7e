#include "app/rooms_shell.hpp"

#include <Poco/Logger.h>

#include "app/archive_worker.hpp"
#include "app/host_fanout.hpp"
#include "app/room_persistence.hpp"
#include "muc/effects.hpp"
#include "muc/mam_result.hpp"
#include "muc/room_service.hpp"
#include "store/event_log.hpp"
#include "xmpp/stanza_error.hpp"

namespace commonroom::app {

namespace {

// How long stopping waits for the last room saves.
constexpr std::chrono::seconds kRoomSaveAtStop{5};
// Output (Outbox::held_bytes) that may wait for the abuse log at once; one outcome larger
// than this still goes, alone.
constexpr size_t kHeldBytes = 1 << 20;

}  // namespace

RoomsShell::RoomsShell(const HostServerSettings& host_server, const ServiceSettings& settings,
                       std::shared_ptr<muc::RoomService> rooms, store::EventLog* event_log)
    : rooms_(std::move(rooms)),
      event_log_(event_log),
      host_fanout_(std::make_unique<HostFanout>(settings.domain)) {
  auto s = host_connection_settings(host_server, settings);
  // The rooms send fan-outs, so they ask the host server for its fan-out module at each
  // connection and use it when there.
  s.on_connected = [this] { loop_->send_serialized(host_fanout_->on_connected()); };
  loop_ = std::make_unique<ServiceLoop>(
      Poco::Logger::get("muc"), std::move(s),
      [this](ServiceLoop&, const xmpp::Element& stanza, Clock::time_point now) {
        deliver(rooms_->handle(stanza, now), &stanza);
      },
      [this](xmpp::Element& stanza) { return intercept(stanza); },
      // A stanza that finds the engine idle is handled at once on the connection's thread,
      // without waking the engine thread (decision 0087).
      ServiceLoop::Threading::link_thread_when_idle);
}

RoomsShell::~RoomsShell() {
  stop();
}

void RoomsShell::set_persistence(std::unique_ptr<RoomPersistence> persistence) {
  persistence_ = std::move(persistence);
}

void RoomsShell::set_archive(std::unique_ptr<ArchiveWorker> archive) {
  archive_ = std::move(archive);
}

void RoomsShell::start() {
  if (persistence_) {
    // Before the host connection opens: no stanza may reach a room that is not restored yet.
    auto stored = persistence_->load();
    for (const auto& snapshot : stored) rooms_->restore(snapshot);
    loop_->log().information(loop_->domain() + ": restored " + std::to_string(stored.size()) +
                             " persistent room(s)");
  }
  if (archive_) archive_->start();
  loop_->start();
}

void RoomsShell::stop() {
  if (loop_->engine_running()) stop_rooms();
  if (archive_) archive_->stop();  // waiting queries are told the service is stopping
  loop_->stop();
}

void RoomsShell::post(Command command) {
  loop_->post([this, command = std::move(command)](Clock::time_point now) {
    deliver(command(now), nullptr);
  });
}

bool RoomsShell::intercept(xmpp::Element& stanza) {
  auto& log = loop_->log();
  const bool carried = host_fanout_->carry();
  if (host_fanout_->take_answer(stanza)) {
    log.information(loop_->domain() + ": " +
                    (host_fanout_->available()
                         ? "the host server fans out for us (one stanza per message)"
                         : "no fan-out module on the host server: one stanza per recipient"));
    if (host_fanout_->carry() && !carried)
      log.information(loop_->domain() + ": the host server carries large answers");
    return true;
  }
  std::string question, copies;
  if (host_fanout_->take_returned(stanza, question, copies)) {
    log.warning(loop_->domain() +
                ": the host server passed a fan-out request back (was "
                "mod_commonroom_fanout unloaded?): sending per recipient and asking again");
    loop_->send_serialized(copies);
    loop_->send_serialized(question);
    return true;
  }
  return false;
}

// Engine thread: saves, logs, then sends what one stanza (nullptr: a command) produced.
void RoomsShell::deliver(muc::Effects&& outcome, const xmpp::Element* stanza) {
  // Room saves are durable (or, when PostgreSQL is failing or slow, kept for the writer)
  // before anything is handed to the event log.
  if (persistence_) persistence_->process(outcome);
  loop_->log_dropped(outcome, stanza);
  if (!event_log_) {
    send(outcome);
    ask_archive(outcome);
    return;
  }
  // docs/architecture.md rule 6: the events are durable before any stanza they caused is
  // sent. The outcome waits here, on the engine thread, until the log's writer says its
  // ticket is durable; then this thread sends it. The stanzas' recipients are the
  // sessions' reference-counted JIDs: serializing and freeing them on the writer thread
  // moved each one's cache line between the cores and back for every message, and even
  // on this thread they are cold after the wait, so their text is copied now.
  // Archive queries go to the worker when sent: by then every event before the query is
  // durable, so a user's own last message is in the history they ask for.
  // What became durable meanwhile leaves first, in order (hold does that too).
  // Nothing to log and nothing earlier waiting: every event before it is durable, so it
  // goes at once (checked again once hold has sent what became durable).
  auto sent_now = [&] {
    if (!waiting_.may_send_now(outcome)) return false;
    send(outcome);
    ask_archive(outcome);
    return true;
  };
  send_durable();
  if (sent_now()) return;
  outcome.detach_recipients();
  hold(outcome.held_bytes());
  if (sent_now()) return;
  uint64_t ticket = 0;  // nothing of its own to log: it leaves right after the one before
  if (!outcome.events.empty()) {
    ticket = event_log_->submit(std::move(outcome.events),
                                [this](store::EventLog::Ticket t) { durable(t); });
    if (ticket == 0) return;  // the log has stopped: nothing unlogged is sent
    outcome.events.clear();
  }
  waiting_.push(ticket, std::move(outcome));
}

// The abuse log's thread that made a ticket durable (its database thread for a batch
// committed straight to PostgreSQL, else its writer), in ticket order.
// Kept short: it wakes the engine thread, at most once until the engine picks the
// durable outcomes up.
void RoomsShell::durable(uint64_t ticket) {
  durable_through_.store(ticket, std::memory_order_release);
  std::lock_guard lock(durable_mutex_);
  if (engine_waiting_) durable_cv_.notify_one();
  if (send_posted_) return;
  send_posted_ = true;
  loop_->post_first([this](ServiceLoop::Clock::time_point) {
    {
      std::lock_guard posted(durable_mutex_);
      send_posted_ = false;
    }
    send_durable();
  });
}

// Engine thread (or stop_rooms once it has stopped): sends, in order, every waiting
// outcome whose events are durable.
void RoomsShell::send_durable() {
  waiting_.release(durable_through_.load(std::memory_order_acquire), [this](muc::Effects& fx) {
    send(fx);
    ask_archive(fx);
  });
}

// Hands the effects' XEP-0313 queries to the archive worker (never run on the engine thread).
void RoomsShell::ask_archive(muc::Effects& effects) {
  if (effects.mam_queries.empty()) return;
  if (archive_) {
    archive_->submit(std::move(effects.mam_queries));
    return;
  }
  muc::Effects refused;
  for (const auto& q : effects.mam_queries)
    refused.outbound.push_back(
        muc::mam_error(q, xmpp::StanzaError::internal_server_error("the archive is unavailable")));
  send(refused);
}

// Output waiting for the abuse log is bounded in bytes, not only in events: a join into
// a room of N occupants holds N presences for the newcomer, so a burst of joins into a
// big room while the log syncs would otherwise hold (and leave malloc holding) memory
// growing with N times the burst. The engine sends what becomes durable while it waits
// here for room, as it waits in EventLog::submit when too many events are pending (not
// when stopping: what was handled is still logged).
void RoomsShell::hold(size_t bytes) {
  for (;;) {
    send_durable();
    if (waiting_.held_bytes() == 0 || waiting_.held_bytes() + bytes <= kHeldBytes) return;
    const uint64_t oldest = waiting_.oldest_ticket();
    std::unique_lock lock(durable_mutex_);
    if (stopping_) return;
    engine_waiting_ = true;
    durable_cv_.wait(lock, [&] {
      return stopping_ || durable_through_.load(std::memory_order_acquire) >= oldest;
    });
    engine_waiting_ = false;
  }
}

// Stops the engine thread while the host connection is still up, then tells every
// occupant the service is going away (§11.2, status 332) and waits until that is logged
// and sent.
void RoomsShell::stop_rooms() {
  {
    std::lock_guard lock(durable_mutex_);
    stopping_ = true;
  }
  durable_cv_.notify_all();
  loop_->stop_engine();
  auto effects = rooms_->shutdown(Clock::now());
  auto& log = loop_->log();
  if (persistence_) {
    persistence_->process(effects);
    if (!persistence_->flush(kRoomSaveAtStop))
      log.error(loop_->domain() + ": room state not saved at shutdown (PostgreSQL down)");
  }
  if (!event_log_) {
    send(effects);
    return;
  }
  // The engine has stopped: what still waits for the log, then the notices, leave from
  // this thread.
  uint64_t last = waiting_.newest_ticket();
  if (!effects.events.empty()) {
    last = event_log_->submit(std::move(effects.events),
                              [this](store::EventLog::Ticket t) { durable(t); });
    effects.events.clear();
    if (last == 0) {
      log.warning(loop_->domain() + ": shutdown notices not sent (abuse log stopped)");
      return;
    }
  } else if (last == 0) {
    send(effects);  // nothing to log, nothing earlier waiting
    return;
  }
  waiting_.push(last, std::move(effects));
  if (!event_log_->wait_durable(last, std::chrono::seconds(5)))
    log.warning(loop_->domain() + ": shutdown notices not sent (abuse log not durable)");
  send_durable();
  waiting_.clear();
}

// The engine thread, the thread stopping the rooms, or the archive worker.
void RoomsShell::send(const muc::Effects& effects) {
  // Large single answers (a room's configuration form, a long member list) go carried when
  // the host's module offers it (decision 0084); write_carried declines everything else.
  const xmpp::OutboundWriter carried = [this](const xmpp::Element& stanza, std::string& out) {
    return host_fanout_->write_carried(stanza, out);
  };
  // Runs of serialized stanzas likewise (a newcomer's roster, the rest of a join, an archive
  // page): one stanza per run (decision 0086).
  const xmpp::RunWriter batched = [this](const xmpp::SerializedRun& run, std::string& out) {
    return host_fanout_->write_batch(run, out);
  };
  if (host_fanout_->available()) {
    loop_->send(
        effects,
        [this](const xmpp::Fanout& fanout, std::string& out,
               const std::function<void(std::string&)>& each) {
          host_fanout_->write(fanout, out, each);
        },
        carried, batched);
    return;
  }
  loop_->send(effects, {}, carried, batched);
}

}  // namespace commonroom::app
