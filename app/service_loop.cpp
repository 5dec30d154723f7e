#include "app/service_loop.hpp"

#include <Poco/Logger.h>

#include <stdexcept>

#include "xmpp/log_redaction.hpp"
#include "xmpp/serializer.hpp"

namespace commonroom::app {

namespace {

// Stanzas waiting for the engine. When it is full the host connection's thread waits, so
// the socket stops being read and TCP pushes back on the host server instead of memory
// growing without bound.
constexpr size_t kQueueLimit = 10000;

}  // namespace

xmpp::HostConnectionSettings host_connection_settings(const HostServerSettings& host_server,
                                                      const ServiceSettings& service) {
  xmpp::HostConnectionSettings s;
  s.host = host_server.host;
  s.port = host_server.port;
  s.domain = service.domain;
  s.secret = service.secret;
  s.keepalive = host_server.keepalive;
  s.backoff_initial = host_server.backoff_initial;
  s.backoff_max = host_server.backoff_max;
  s.connect_timeout = host_server.connect_timeout;
  s.handshake_timeout = host_server.handshake_timeout;
  s.limits = host_server.limits;
  return s;
}

ServiceLoop::ServiceLoop(Poco::Logger& log, xmpp::HostConnectionSettings settings, Handler handle,
                         Intercept intercept, Threading threading)
    : log_(log),
      handle_(std::move(handle)),
      intercept_(std::move(intercept)),
      threading_(threading) {
  connection_ = std::make_unique<xmpp::HostConnection>(
      std::move(settings), [this](xmpp::Element&& stanza) { push(std::move(stanza)); });
}

ServiceLoop::~ServiceLoop() {
  stop();
}

void ServiceLoop::start() {
  if (threading_ != Threading::link_thread) engine_ = std::thread([this] { run(); });
  connection_->start();
}

void ServiceLoop::stop_engine() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  lock.unlock();
  cv_.notify_all();
  if (engine_.joinable()) engine_.join();
  // A stanza the host connection's thread is handling (link_thread_when_idle) finishes
  // first: whoever stops the engine may then touch the service.
  lock.lock();
  cv_.wait(lock, [this] { return !engine_busy_; });
}

void ServiceLoop::stop() {
  // The host connection first: it closes the stream and, once joined, pushes nothing more.
  connection_->stop();
  stop_engine();
  if (!queue_.empty()) {
    log_.warning(domain() + ": " + std::to_string(queue_.size()) +
                 " stanza(s) left unanswered at shutdown");
    queue_.clear();
  }
}

void ServiceLoop::push(xmpp::Element&& stanza) {
  if (intercept_ && intercept_(stanza)) return;
  if (threading_ == Threading::link_thread) {
    // Not read further until handled: TCP pushes back on the host server as the full queue
    // does below.
    handle_one(stanza);
    return;
  }
  std::unique_lock lock(mutex_);
  if (threading_ == Threading::link_thread_when_idle && !stopping_ && !engine_busy_ &&
      queue_.empty()) {
    // Nothing before it waits and the engine sleeps: handled here, without waking the
    // engine thread (on a virtual machine a wake-up costs more CPU than a message's
    // handling; decision 0087). Not read further until handled, as with link_thread.
    engine_busy_ = true;
    lock.unlock();
    // Released however handling ends: an engine left marked busy would never run again.
    struct Release {
      ServiceLoop& loop;
      ~Release() {
        std::unique_lock lock(loop.mutex_);
        loop.engine_busy_ = false;
        const bool wake = loop.stopping_ || !loop.queue_.empty();  // posted meanwhile, or stop
        lock.unlock();
        if (wake) loop.cv_.notify_all();
      }
    } release{*this};
    handle_one(stanza);
    return;
  }
  cv_.wait(lock, [this] { return stopping_ || queue_.size() < kQueueLimit; });
  if (stopping_) return;
  queue_.push_back(std::move(stanza));
  lock.unlock();
  cv_.notify_all();
}

void ServiceLoop::post(Command command) {
  if (threading_ == Threading::link_thread)
    throw std::logic_error(domain() + ": work posted to a service handled on its link thread");
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    queue_.push_back(std::move(command));
  }
  cv_.notify_all();
}

void ServiceLoop::post_first(Command command) {
  if (threading_ == Threading::link_thread)
    throw std::logic_error(domain() + ": work posted to a service handled on its link thread");
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    queue_.push_front(std::move(command));
  }
  cv_.notify_all();
}

void ServiceLoop::run() {
  for (;;) {
    std::variant<xmpp::Element, Command> work;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || (!queue_.empty() && !engine_busy_); });
      if (stopping_) return;
      work = std::move(queue_.front());
      queue_.pop_front();
      engine_busy_ = true;
    }
    cv_.notify_all();  // room for a host connection thread waiting on a full queue
    if (auto* command = std::get_if<Command>(&work)) {
      try {
        (*command)(Clock::now());
      } catch (const std::exception& e) {
        log_.error(domain() + ": failed to run a posted command: " + e.what());
      }
    } else {
      handle_one(std::get<xmpp::Element>(work));
    }
    std::lock_guard lock(mutex_);
    engine_busy_ = false;
  }
}

void ServiceLoop::handle_one(const xmpp::Element& stanza) {
  if (log_.trace()) log_.trace("in: " + xmpp::redact_secrets(xmpp::to_string(stanza)));
  try {
    handle_(*this, stanza, Clock::now());
  } catch (const std::exception& e) {
    // A bug in one stanza's handling must not stop the service for everyone.
    log_.error(domain() + ": failed to handle <" + stanza.name() + " from='" +
               std::string(stanza.attr("from")) + "'>: " + e.what());
  }
}

void ServiceLoop::log_dropped(const xmpp::Outbox& outbox, const xmpp::Element* stanza) {
  for (const auto& reason : outbox.dropped) {
    log_.information(
        domain() + ": no reply to " +
        (stanza ? "<" + stanza->name() + " from='" + std::string(stanza->attr("from")) + "'>"
                : std::string("a posted command")) +
        ": " + reason);
  }
}

void ServiceLoop::send_serialized(std::string_view stanzas, uint64_t count) {
  connection_->send(stanzas, count);
}

void ServiceLoop::send(const xmpp::Outbox& outbox, const xmpp::FanoutWriter& write_fanout,
                       const xmpp::OutboundWriter& write_outbound,
                       const xmpp::RunWriter& write_run) {
  // A fan-out to a thousand occupants is then a few syscalls instead of a thousand.
  constexpr size_t kBatchBytes = 64 * 1024;
  // Each sending thread (the engine's, the abuse log's writer, the archive worker) keeps its
  // batch buffer: a fresh one per outbox was allocated, faulted in and trimmed away by
  // malloc every time.
  thread_local std::string batch;
  batch.clear();
  if (batch.capacity() < 2 * kBatchBytes) batch.reserve(2 * kBatchBytes);
  uint64_t stanzas = 0;
  auto flush = [&] {
    if (stanzas == 0) return;
    if (!connection_->send(batch, stanzas))
      log_.debug(domain() + ": link down, dropped " + std::to_string(stanzas) + " stanza(s)");
    batch.clear();
    stanzas = 0;
  };
  // Each stanza is appended straight into the batch (no per-stanza buffer to copy from).
  size_t stanza_start = 0;
  const std::function<void(std::string&)> after_each = [&](std::string& out) {
    if (log_.trace()) {
      log_.trace("out: " + xmpp::redact_secrets(std::string_view(out).substr(stanza_start)));
    }
    ++stanzas;
    if (out.size() >= kBatchBytes) flush();
    stanza_start = out.size();
  };
  xmpp::append_in_order(outbox, batch, after_each, write_fanout, write_outbound, write_run);
  flush();
  if (batch.capacity() > 16 * kBatchBytes) std::string().swap(batch);  // after a huge stanza
}

}  // namespace commonroom::app
